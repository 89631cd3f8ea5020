"""The colour a person's campus code carries right now, with the reason in plain words.

Later capabilities (health rules, isolation) register a provider; the most severe
answer wins. With no provider the code is green.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from campuscode.codes.tokens import Colour

SEVERITY = {Colour.GREEN: 0, Colour.YELLOW: 1, Colour.RED: 2}


@dataclass(frozen=True)
class Status:
    colour: str
    reason: str


StatusProvider = Callable[[object], Status | None]
_providers: list[StatusProvider] = []


def register_status_provider(
    provider: StatusProvider, *, candidates: "CandidateSource | None" = None
) -> StatusProvider:
    """Add a function person → Status | None; called from an app's `ready()`.

    `candidates(school_id)` may name the people the provider could answer non-green for
    (a superset is fine): a whole-school pass, like a gate's offline snapshot, then asks
    the providers about those people only instead of every person in the school.
    """
    if provider not in _providers:
        _providers.append(provider)
    if candidates is not None:
        _candidates[provider] = candidates
    return provider


CandidateSource = Callable[[int], Iterable[int]]
_candidates: dict[StatusProvider, CandidateSource] = {}


def maybe_not_green(school_id: int) -> set[int] | None:
    """Ids of the school's people whose status may not be green, or None when some
    provider cannot say (then every person must be asked)."""
    if any(provider not in _candidates for provider in _providers):
        return None
    ids: set[int] = set()
    for provider in _providers:
        ids.update(_candidates[provider](school_id))
    return ids


def current_status(person) -> Status:
    worst = Status(Colour.GREEN, str(_("No health alerts.")))
    for provider in _providers:
        status = provider(person)
        if status is not None and SEVERITY[status.colour] > SEVERITY[worst.colour]:
            worst = status
    return worst
