"""The rules of a place applied to one person at one moment: a pure function.

The server (with facts from the database), the `campuscode gate` command (with facts
from its snapshot) and the gate page's JavaScript (static/gates/kiosk.js, the same
order of checks) all decide with these rules, so a gate answers the same online and
offline. Times are wall-clock times in the school's time zone.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from campuscode.gates.models import ColourPolicy, Direction, Notice, Place, Reason

SEVERITY = {"green": 0, "yellow": 1, "red": 2}
COLOURS = ("green", "yellow", "red")


def parse_hhmm(value) -> time | None:
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value
    try:
        hours, minutes = str(value).strip().split(":")[:2]
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        return None


def hhmm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def in_window(now: time, start: time, end: time) -> bool:
    """[start, end) on a clock face; a window with end <= start runs across midnight."""
    if start < end:
        return start <= now < end
    return now >= start or now < end


@dataclass(frozen=True)
class PlaceRules:
    kind: str
    allowed_kinds: tuple[str, ...] = ()
    allowed_unit_paths: tuple[str, ...] = ()
    visitor_ids: frozenset[int] = field(default_factory=frozenset)
    opens_at: time | None = None
    closes_at: time | None = None
    curfew_starts: time | None = None
    curfew_ends: time | None = None
    red_policy: str = ColourPolicy.REFUSE
    yellow_policy: str = ColourPolicy.NOTICE

    @property
    def restricted(self) -> bool:
        return bool(self.allowed_kinds or self.allowed_unit_paths)

    @classmethod
    def for_place(cls, place: Place, *, curfew_defaults: tuple[time, time] | None = None):
        curfew_starts, curfew_ends = place.curfew_starts, place.curfew_ends
        if place.kind == Place.Kind.DORMITORY and not curfew_starts and curfew_defaults:
            curfew_starts, curfew_ends = curfew_defaults
        return cls(
            kind=place.kind,
            allowed_kinds=tuple(place.allowed_kinds or ()),
            allowed_unit_paths=tuple(u.path for u in place.allowed_units.all()),
            visitor_ids=frozenset(place.visitors.values_list("pk", flat=True)),
            opens_at=place.opens_at,
            closes_at=place.closes_at,
            curfew_starts=curfew_starts,
            curfew_ends=curfew_ends,
            red_policy=place.red_policy,
            yellow_policy=place.yellow_policy,
        )

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "allowed_kinds": list(self.allowed_kinds),
            "allowed_unit_paths": list(self.allowed_unit_paths),
            "visitor_ids": sorted(self.visitor_ids),
            "opens_at": hhmm(self.opens_at),
            "closes_at": hhmm(self.closes_at),
            "curfew_starts": hhmm(self.curfew_starts),
            "curfew_ends": hhmm(self.curfew_ends),
            "red_policy": self.red_policy,
            "yellow_policy": self.yellow_policy,
        }

    def offline_dict(self) -> dict:
        """What a gate needs besides its list: hours, curfew and colour policies. Who the
        place admits (kinds, units, visitors) is the list itself (selectors.build_snapshot)."""
        return {
            key: value
            for key, value in self.as_dict().items()
            if key not in ("kind", "allowed_kinds", "allowed_unit_paths", "visitor_ids")
        }

    @classmethod
    def from_dict(cls, data: dict) -> "PlaceRules":
        return cls(
            kind=data.get("kind", ""),
            allowed_kinds=tuple(data.get("allowed_kinds") or ()),
            allowed_unit_paths=tuple(data.get("allowed_unit_paths") or ()),
            visitor_ids=frozenset(data.get("visitor_ids") or ()),
            opens_at=parse_hhmm(data.get("opens_at")),
            closes_at=parse_hhmm(data.get("closes_at")),
            curfew_starts=parse_hhmm(data.get("curfew_starts")),
            curfew_ends=parse_hhmm(data.get("curfew_ends")),
            red_policy=data.get("red_policy", ColourPolicy.REFUSE),
            yellow_policy=data.get("yellow_policy", ColourPolicy.NOTICE),
        )


@dataclass(frozen=True)
class PersonFacts:
    person_id: int
    kind: str = ""
    unit_path: str = ""
    state: str = "active"
    colour: str = "green"
    valid_from: date | None = None
    valid_until: date | None = None
    known: bool = True


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    notice: str = Notice.NONE

    @property
    def reason_label(self) -> str:
        return str(Reason(self.reason).label)


def worse_colour(a: str | None, b: str | None) -> str:
    a, b = a or "green", b or "green"
    return a if SEVERITY.get(a, 0) >= SEVERITY.get(b, 0) else b


def colour_outcome(rules: PlaceRules, colour: str) -> tuple[str | None, str]:
    """(refusal reason or None, notice) for a person of `colour` at this place."""
    for name, policy, reason in (
        ("red", rules.red_policy, Reason.RED_STATUS),
        ("yellow", rules.yellow_policy, Reason.YELLOW_STATUS),
    ):
        if colour == name:
            if policy == ColourPolicy.REFUSE:
                return reason, Notice.NONE
            if policy == ColourPolicy.NOTICE:
                return None, Notice(name)
    return None, Notice.NONE


def colour_floor(rules: PlaceRules, status_colour: str) -> str | None:
    """What an offline gate must know of a person's health status: the least severe
    colour that, taken with whatever colour a code carries, decides exactly as the
    status does here; None when the place refuses them whatever code they show.

    With the usual policies (red refused, yellow noticed) that is "" for green, "yellow"
    for yellow (the notice the gate shows) and None for red; a colour the place allows
    without a notice is not sent at all."""
    outcomes = [colour_outcome(rules, worse_colour(code, status_colour)) for code in COLOURS]
    if all(refusal for refusal, _notice in outcomes):
        return None
    for floor in COLOURS:
        if [colour_outcome(rules, worse_colour(code, floor)) for code in COLOURS] == outcomes:
            return "" if floor == "green" else floor
    return status_colour  # pragma: no cover (the status itself always qualifies)


def evaluate(
    *, rules: PlaceRules, person: PersonFacts, direction: str, local: datetime
) -> Decision:
    """Who may pass, in this order: the person's standing, visitor validity, whether the
    place admits them, the opening hours, the colour policy, then the curfew notice.

    Exits skip the place's admission and hours: nobody is kept inside a library at
    closing time. Standing and colour apply both ways (R5.5: isolation means no exit).
    """
    if person.state == "suspended":
        return Decision(False, Reason.SUSPENDED)
    if person.state == "left":
        return Decision(False, Reason.LEFT)
    today = local.date()
    outside_validity = (person.valid_from and today < person.valid_from) or (
        person.valid_until and today > person.valid_until
    )
    if person.kind == "visitor" and outside_validity:
        return Decision(False, Reason.VISITOR_INVALID)
    entering = direction == Direction.IN
    if entering:
        if person.kind == "visitor":
            if person.person_id not in rules.visitor_ids:
                return Decision(False, Reason.NOT_ALLOWED)
        elif rules.restricted:
            if not person.known:
                return Decision(False, Reason.NOT_ALLOWED)
            if rules.allowed_kinds and person.kind not in rules.allowed_kinds:
                return Decision(False, Reason.NOT_ALLOWED)
            if rules.allowed_unit_paths and not any(
                person.unit_path.startswith(path) for path in rules.allowed_unit_paths
            ):
                return Decision(False, Reason.NOT_ALLOWED)
        hours = (rules.opens_at, rules.closes_at)
        if all(hours) and not in_window(local.time(), *hours):
            return Decision(False, Reason.OUTSIDE_HOURS)
    refusal, notice = colour_outcome(rules, person.colour)
    if refusal:
        return Decision(False, refusal)
    if (
        entering
        and not notice
        and rules.curfew_starts
        and rules.curfew_ends
        and in_window(local.time(), rules.curfew_starts, rules.curfew_ends)
    ):
        notice = Notice.CURFEW
    return Decision(True, Reason.OK, notice)
