"""Reads of check-in data, always through the user's scope (R6.6)."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch

from campuscode.checkins.models import CampusAssignment, Checkin, CheckinPoint, Flag
from campuscode.checkins.windows import kind_group, windows_on
from campuscode.codes.tokens import Colour
from campuscode.people.access import Cap, units_under
from campuscode.people.models import OrgUnit, Person


class Show:
    ALL = "all"
    CHECKED = "checked"
    MISSING = "missing"
    YELLOW = "yellow"
    RED = "red"
    FLAGGED = "flagged"
    EXCUSED = "excused"
    CHOICES = (ALL, CHECKED, MISSING, YELLOW, RED, FLAGGED, EXCUSED)


# Other apps mark people without a check-in as excused for a window: followup's approved
# advance reports (R4.2). Each provider is (day, period, person ids) → {person id: note}.
ExcuseProvider = Callable[[date, str, list[int]], dict[int, str]]
excuse_providers: list[ExcuseProvider] = []


@dataclass
class RollRow:
    person: Person
    checkin: Checkin | None
    excuse: str | None = None

    @property
    def open_flags(self) -> list[Flag]:
        return [f for f in self.checkin.flags.all() if not f.explained_at] if self.checkin else []

    @property
    def all_flags(self) -> list[Flag]:
        return list(self.checkin.flags.all()) if self.checkin else []


@dataclass
class UnitCount:
    unit: OrgUnit
    expected: int = 0
    checked: int = 0
    yellow: int = 0
    red: int = 0
    flagged: int = 0
    excused: int = 0

    @property
    def missing(self) -> int:
        return self.expected - self.checked - self.excused


@dataclass
class Roll:
    day: date
    period: str
    rows: list[RollRow] = field(default_factory=list)
    counts: list[UnitCount] = field(default_factory=list)
    total: UnitCount | None = None


def scope_unit_choices(user) -> list[OrgUnit]:
    """The units a user may filter the lists by: their scope units and everything below."""
    return list(units_under(user, Cap.VIEW_HEALTH).exclude(kind=OrgUnit.Kind.SCHOOL))


def roll(
    *,
    user,
    day: date,
    period: str,
    unit: OrgUnit | None = None,
    show: str = Show.ALL,
    search: str = "",
) -> Roll:
    """Who has and has not checked in for one window, in the user's health scope."""
    people = Person.objects.visible_to(user, Cap.VIEW_HEALTH).filter(state=Person.State.ACTIVE)
    if unit is not None:
        people = people.filter(org_unit__path__startswith=unit.path)
    if search:
        people = people.filter(name__contains=search) | people.filter(number__startswith=search)
    people = [p for p in people.order_by("org_unit__path", "number") if p.is_valid_on(day)]
    expected_kinds: dict[tuple[int, str], bool] = {}
    expected = []
    for person in people:
        key = (person.school_id, kind_group(person.kind))
        if key not in expected_kinds:
            windows = windows_on(day, kind=person.kind, school_id=person.school_id)
            expected_kinds[key] = any(w.period == period for w in windows)
        if expected_kinds[key]:
            expected.append(person)
    checkins = {
        c.person_id: c
        for c in Checkin.objects.effective()
        .filter(day=day, period=period, person_id__in=[p.pk for p in expected])
        .select_related("point")
        .prefetch_related(Prefetch("flags", queryset=Flag.objects.order_by("pk")))
    }
    missing_ids = [p.pk for p in expected if p.pk not in checkins]
    excuses: dict[int, str] = {}
    for provider in excuse_providers if missing_ids else ():
        excuses.update(provider(day, period, missing_ids))
    result = Roll(day=day, period=period)
    counts: dict[int, UnitCount] = {}
    total = UnitCount(unit=unit)
    for person in expected:
        row = RollRow(person, checkins.get(person.pk))
        if row.checkin is None:
            row.excuse = excuses.get(person.pk)
        count = counts.setdefault(person.org_unit_id, UnitCount(unit=person.org_unit))
        for bucket in (count, total):
            bucket.expected += 1
            if row.checkin:
                bucket.checked += 1
                bucket.yellow += row.checkin.colour == Colour.YELLOW
                bucket.red += row.checkin.colour == Colour.RED
                bucket.flagged += bool(row.open_flags)
            elif row.excuse is not None:
                bucket.excused += 1
        if _shown(row, show):
            result.rows.append(row)
    result.counts = list(counts.values())
    result.total = total
    return result


def _shown(row: RollRow, show: str) -> bool:
    if show == Show.CHECKED:
        return row.checkin is not None
    if show == Show.MISSING:
        return row.checkin is None and row.excuse is None
    if show == Show.EXCUSED:
        return row.excuse is not None
    if show in (Show.YELLOW, Show.RED):
        return row.checkin is not None and row.checkin.colour == show
    if show == Show.FLAGGED:
        return bool(row.open_flags)
    return True


def history_of(person: Person, *, limit: int = 60) -> list[Checkin]:
    return list(
        Checkin.objects.filter(person=person)
        .select_related("point", "point__campus", "recorded_by")
        .prefetch_related("flags")
        .order_by("-at")[:limit]
    )


def today_count(point: CheckinPoint, day: date) -> int:
    """Today's effective check-ins at the point, for its screen."""
    return Checkin.objects.effective().filter(point=point, day=day).count()


def campuses_of(person: Person) -> list[OrgUnit]:
    own = person.org_unit.ancestor_of_kind(OrgUnit.Kind.CAMPUS)
    extra = [
        a.campus for a in CampusAssignment.objects.filter(person=person).select_related("campus")
    ]
    return [c for c in [own, *extra] if c is not None]


def honesty_scan(checkins) -> dict[str, int]:
    """Re-run the shared-device and same-address checks over stored check-ins (for an
    audit of imported or generated history): how many check-ins each would flag."""
    from campuscode.core.rules import get_setting

    span = get_setting("checkin_burst_seconds")
    needed = get_setting("checkin_burst_accounts")
    devices: dict[tuple, set] = defaultdict(set)
    by_address: dict[tuple, list] = defaultdict(list)
    rows = checkins.values_list(
        "pk", "person_id", "device", "day", "period", "point_id", "ip", "at"
    )
    for _pk, person_id, device, day, period, point_id, ip, at in rows.iterator():
        if device:
            devices[(device, day, period)].add(person_id)
        if ip:
            by_address[(point_id, ip)].append((at, person_id))
    shared = sum(len(people) for people in devices.values() if len(people) > 1)
    burst = 0
    for events in by_address.values():
        events.sort()
        start = 0
        for end in range(len(events)):
            while (events[end][0] - events[start][0]).total_seconds() > span:
                start += 1
            if len({p for _at, p in events[start : end + 1]}) >= needed:
                burst += 1
    return {"shared_device": shared, "address_burst": burst}


@dataclass
class DayTotals:
    day: date
    expected: int = 0
    green: int = 0
    yellow: int = 0
    red: int = 0

    @property
    def missing(self) -> int:
        return max(self.expected - self.green - self.yellow - self.red, 0)


def trend(*, user, end: date, days: int = 14, unit: OrgUnit | None = None) -> list[DayTotals]:
    """Per day: check-ins expected in the user's health scope and how they came out (R6.3).

    Expected = active people × that day's windows for their kind (holidays count none).
    Counts only; the page that shows it audits the view like the list itself.
    """
    from datetime import timedelta

    from django.db.models import Count

    people = Person.objects.visible_to(user, Cap.VIEW_HEALTH).filter(state=Person.State.ACTIVE)
    if unit is not None:
        people = people.filter(org_unit__path__startswith=unit.path)
    groups = defaultdict(int)  # (school id, kind) → people
    for school_id, kind, count in (
        people.values_list("school_id", "kind").annotate(n=Count("pk")).order_by()
    ):
        groups[(school_id, kind)] += count
    first = end - timedelta(days=days - 1)
    totals = {first + timedelta(days=i): DayTotals(first + timedelta(days=i)) for i in range(days)}
    for day, row in totals.items():
        for (school_id, kind), count in groups.items():
            row.expected += count * len(windows_on(day, kind=kind, school_id=school_id))
    counted = (
        Checkin.objects.effective()
        .filter(day__gte=first, day__lte=end, person__in=people)
        .values_list("day", "colour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for day, colour, count in counted:
        if day in totals and colour in (Colour.GREEN, Colour.YELLOW, Colour.RED):
            setattr(totals[day], colour, getattr(totals[day], colour) + count)
    return list(totals.values())
