"""The detectors of anomaly cases, registered by the apps that know the data (R6.4).

Every detector says what kind of case it opens, who verifies and handles it (the duty:
a capability held over the person, so the class adviser or the health office), how its
evidence reads on the case page, and how a new hit meets an earlier case of its kind.
The daily run (services.run_detectors) asks each registered detector for its hits; it
never needs to know the detectors. campuscode/anomalies/README.md says how another
app adds one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campuscode.anomalies.detectors import Hit
    from campuscode.anomalies.models import AnomalyCase


def trim_after_closed(hit: "Hit", closed: "AnomalyCase", school_id: int) -> "Hit | None":
    """The part of `hit` after a closed case's last day (what that case did not cover)."""
    from campuscode.anomalies.services import evidence_after

    return evidence_after(hit, closed.last_day)


def fresh_after_closed(hit: "Hit", closed: "AnomalyCase", school_id: int) -> "Hit | None":
    """For patterns over a rolling window (a rate, a spread of values): a closed case
    stands for the whole window it looked at, so only a window wholly after it counts."""
    return hit if hit.first_day > closed.last_day else None


def snapshot(old: dict, new: dict) -> dict:
    """An open case takes the detector's latest reading of the pattern."""
    return {**old, **new}


@dataclass(frozen=True)
class Detector:
    # Stored on the case (at most 20 characters), unique among detectors.
    kind: str
    # What the case is about, for lists and notifications (a lazy translation).
    label: str
    # (school_id=, now=) → list of Hit: the people the detector finds today. It must be
    # deterministic for the same data and `now` (re-runs are how idempotency is tested).
    detect: Callable[..., list["Hit"]]
    # The capability whose holders over the person verify and handle the case
    # (Cap.APPROVE_REQUESTS: the class adviser and the department; Cap.MANAGE_HEALTH: the
    # health office). They are assigned and notified when the case opens.
    duty: str
    # case → the evidence in plain words for the case page (translated strings).
    evidence: Callable[["AnomalyCase"], list[str]]
    # True: one open case per person of this kind takes every new hit (a pattern);
    # False: hits on days apart are separate cases (runs of missed days).
    one_open: bool = True
    # How a hit overlapping a closed case of the kind may still open a new one: the
    # returned hit opens it, None opens nothing.
    after_closed: Callable[["Hit", "AnomalyCase", int], "Hit | None"] = fresh_after_closed
    # How an open case takes a new hit's detail (old detail, new detail) → detail;
    # None: the built-in merge of `days` and `checkins` lists.
    merge: Callable[[dict, dict], dict] | None = snapshot


_detectors: dict[str, Detector] = {}


def register(detector: Detector) -> Detector:
    """Add a detector (call it from your AppConfig.ready()). Registering a kind twice
    replaces the first one (a reload), never runs it twice."""
    if len(detector.kind) > 20:
        raise ValueError(f"anomaly kind {detector.kind!r} is longer than 20 characters")
    _detectors[detector.kind] = detector
    return detector


def detectors() -> list[Detector]:
    return list(_detectors.values())


def get(kind: str) -> Detector | None:
    return _detectors.get(kind)


def label_of(kind: str) -> str:
    detector = _detectors.get(kind)
    return str(detector.label) if detector else kind


def kind_choices() -> list[tuple[str, str]]:
    return [(d.kind, d.label) for d in _detectors.values()]
