"""The random draw of a spot check (R7.3, 双随机): which units, and which inspectors.

A pure function of its seed and sorted inputs, so anyone can re-run it from the audit
log's seed and get the same result."""

import random
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class DrawResult:
    units: list[int]
    inspectors: list[int]
    recused: list[int]


def related(unit_path: str, home_path: str | None) -> bool:
    """An inspector is from the unit checked when their own unit lies inside it, or it
    inside their own unit (a college's staff do not check that college's classes)."""
    if not home_path:
        return False
    return home_path.startswith(unit_path) or unit_path.startswith(home_path)


def draw_from(
    *,
    seed: str,
    units: Sequence[tuple[int, str]],  # (unit id, path)
    pool: Sequence[tuple[int, str | None]],  # (user id, path of their own unit or None)
    units_count: int,
    inspectors_count: int,
) -> DrawResult | None:
    """Draw `units_count` units, then `inspectors_count` inspectors from the pool less
    those recused for any unit drawn; None when too few inspectors remain."""
    rng = random.Random(seed)
    candidates = sorted(units)
    chosen = sorted(rng.sample(candidates, min(units_count, len(candidates))))
    recused = sorted(
        user for user, home in pool if any(related(path, home) for _unit, path in chosen)
    )
    eligible = sorted(user for user, _home in pool if user not in recused)
    if len(eligible) < inspectors_count:
        return None
    return DrawResult(
        units=[unit for unit, _path in chosen],
        inspectors=sorted(rng.sample(eligible, inspectors_count)),
        recused=recused,
    )
