"""Reads of check-in data, always through the user's scope (R6.6)."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from campuscode.checkins import tally
from campuscode.checkins.honesty import honesty_scan  # noqa: F401  (its old home)
from campuscode.checkins.models import CampusAssignment, Checkin, CheckinPoint, Flag
from campuscode.codes.tokens import Colour
from campuscode.people.access import (
    ROLE_CAPABILITIES,
    ROLE_PERSON_KINDS,
    Cap,
    assignments,
    units_for,
    units_under,
)
from campuscode.people.models import OrgUnit, Person


class Show:
    ALL = "all"
    CHECKED = "checked"
    MISSING = "missing"
    YELLOW = "yellow"
    RED = "red"
    FLAGGED = "flagged"
    EXCUSED = "excused"
    TAMPERED = "tampered"  # a check-in of the window not written by the application
    CHOICES = (ALL, CHECKED, MISSING, YELLOW, RED, FLAGGED, EXCUSED, TAMPERED)


# Other apps mark people without a check-in as excused for a window: followup's approved
# advance reports (R4.2). Each provider is (day, period, person ids) → {person id: note}.
ExcuseProvider = Callable[[date, str, list[int]], dict[int, str]]
excuse_providers: list[ExcuseProvider] = []


@dataclass
class RollRow:
    person: Person
    checkin: Checkin | None
    excuse: str | None = None
    state: str = tally.State.MISSED  # see tally.State
    # Flags belong to the window, not the row: those of every check-in of the person's
    # window, a corrected (superseded) one's included, so a correction hides none.
    flags: list[Flag] = field(default_factory=list)

    @property
    def open_flags(self) -> list[Flag]:
        return [f for f in self.flags if not f.explained_at]

    @property
    def all_flags(self) -> list[Flag]:
        return list(self.flags)


@dataclass
class UnitCount:
    unit: OrgUnit | None
    expected: int = 0
    checked: int = 0
    yellow: int = 0
    red: int = 0
    flagged: int = 0
    excused: int = 0
    missed: int = 0  # the window closed without a check-in or an excuse
    pending: int = 0  # the window is still open or has not started

    @property
    def missing(self) -> int:
        """Not checked in and not excused: missed or still to come."""
        return self.missed + self.pending


@dataclass
class Roll:
    day: date
    period: str
    rows: object = field(default_factory=list)  # a queryset of people until paged
    counts: list[UnitCount] = field(default_factory=list)
    total: UnitCount | None = None
    state: str = tally.State.MISSED  # the window: missed (closed), open or upcoming
    excuses: dict[int, str] = field(default_factory=dict)
    windows: dict = field(default_factory=dict)
    now: object = None

    def page_rows(self, people) -> list[RollRow]:
        """The rows of some people of `rows` (a page): their check-ins, excuses, states."""
        people = list(people)
        ids = [p.pk for p in people]
        checkins = {
            c.person_id: c
            for c in Checkin.objects.effective()
            .filter(day=self.day, period=self.period, person_id__in=ids)
            .select_related("point")
        }
        flags = defaultdict(list)
        for flag in window_flags(day=self.day, period=self.period, person_ids=ids):
            flags[flag.checkin.person_id].append(flag)
        result = []
        for person in people:
            row = RollRow(person, checkins.get(person.pk), flags=flags[person.pk])
            if row.checkin is not None:
                row.state = tally.State.CHECKED
            elif person.pk in self.excuses:
                row.excuse, row.state = self.excuses[person.pk], tally.State.EXCUSED
            else:
                window = self.windows[(person.school_id, person.kind)]
                row.state = tally.pending_state(window, self.now)
            result.append(row)
        return result

    def all_rows(self) -> list[RollRow]:
        return self.page_rows(self.rows)


def window_flags(*, day: date, period: str, person_ids: list[int]) -> list[Flag]:
    """The flags of every check-in of these people in one window, corrected ones too."""
    return list(
        Flag.objects.filter(
            checkin__person_id__in=person_ids, checkin__day=day, checkin__period=period
        )
        .select_related("checkin")
        .order_by("checkin__at", "pk")
    )


def tampered_people(*, people, day: date, period: str) -> list[int]:
    """Who among `people` has a check-in in the window not written by the application
    (checkins.integrity): each row's MAC is checked here, so only on request."""
    from campuscode.checkins.integrity import tampered_checkin_ids

    rows = list(Checkin.objects.filter(day=day, period=period, person__in=people))
    bad = tampered_checkin_ids(rows)
    return sorted({c.person_id for c in rows if c.pk in bad})


def scope_unit_choices(user) -> list[OrgUnit]:
    """The units a user may filter the lists by: their scope units and everything below."""
    return list(units_under(user, Cap.VIEW_HEALTH).exclude(kind=OrgUnit.Kind.SCHOOL))


def scoped_people(user, *, unit: OrgUnit | None = None):
    people = Person.objects.visible_to(user, Cap.VIEW_HEALTH)
    if unit is not None:
        people = people.filter(org_unit__path__startswith=unit.path)
    return people


def unit_counts(
    expected_people, *, day: date, period: str, excused: list[int], closed: set
) -> list[UnitCount]:
    """The window's counts per unit of the people expected in it, set-based: the people
    grouped by unit, the window's check-ins and open flags joined to them and grouped the
    same way (a person has at most one effective check-in per window: a constraint). A
    subquery per person (the check-in's colour, a flag) took 1 s for 50,000 people."""
    people = expected_people.values("pk")
    groups: dict[tuple, dict] = {}  # (unit, school, kind) → counts

    names = ("expected", "checked", *Colour.values, "excused")

    def of(key) -> dict:
        if key not in groups:
            groups[key] = dict.fromkeys(names, 0)
        return groups[key]

    for *key, n in (
        expected_people.values_list("org_unit", "school_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        of(tuple(key))["expected"] += n
    for *key, colour, n in (
        Checkin.objects.effective()
        .filter(day=day, period=period, person__in=people)
        .values_list("person__org_unit", "person__school_id", "person__kind", "colour")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        of(tuple(key))["checked"] += n
        of(tuple(key))[colour] += n
    checked_excused = set(
        Checkin.objects.effective()
        .filter(day=day, period=period, person_id__in=excused)
        .values_list("person_id", flat=True)
    )
    for *key, n in (
        expected_people.filter(pk__in=[pk for pk in excused if pk not in checked_excused])
        .values_list("org_unit", "school_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        of(tuple(key))["excused"] += n
    flagged = dict(
        Flag.objects.filter(
            checkin__person__in=people,
            checkin__day=day,
            checkin__period=period,
            explained_at__isnull=True,
        )
        .values_list("checkin__person__org_unit")
        .annotate(n=Count("checkin__person", distinct=True))
        .order_by()
    )
    units = OrgUnit.objects.filter(pk__in={key[0] for key in groups}).select_related("parent")
    counts = {u.pk: UnitCount(unit=u, flagged=flagged.get(u.pk, 0)) for u in units}
    for (unit_id, school_id, kind), found in groups.items():
        count = counts[unit_id]
        count.expected += found["expected"]
        count.checked += found["checked"]
        count.yellow += found[Colour.YELLOW]
        count.red += found[Colour.RED]
        count.excused += found["excused"]
        if (school_id, kind) in closed:
            count.missed += found["expected"] - found["checked"] - found["excused"]
    for count in counts.values():
        count.pending = count.expected - count.checked - count.excused - count.missed
    return list(counts.values())


def roll(
    *,
    user,
    day: date,
    period: str,
    unit: OrgUnit | None = None,
    show: str = Show.ALL,
    search: str = "",
    now=None,
) -> Roll:
    """Who was expected in one window of the user's health scope and how it stands (see
    tally). Counts are for the whole scope (grouped queries); `rows` is a queryset of
    the people the `show` filter keeps, to be paged and then filled by `page_rows`."""
    now = now or timezone.now()
    people = scoped_people(user, unit=unit)
    if search:
        people = people.filter(Q(name__contains=search) | Q(number__startswith=search))
    school_ids = people.order_by().values_list("school_id", flat=True).distinct()
    windows = tally.window_groups(day, period, list(school_ids))
    # Those whose state or validity changed since the day are decided by their history.
    changed = tally.changed_people(people, day)
    due = [
        pk
        for pk, (_school, _kind, created_day, history) in changed.items()
        if tally.expected_by_history(history, created_day, day)
    ]
    on_record = tally.expected_q(day) & ~Q(pk__in=list(changed))
    expected_people = tally.with_dates(people).filter(
        (on_record | Q(pk__in=due)) & tally.groups_q(windows)
    )
    effective = Checkin.objects.effective().filter(person=OuterRef("pk"), day=day, period=period)
    expected = expected_people.annotate(
        colour=Subquery(effective.order_by("-at").values("colour")[:1]),
        flagged=Exists(
            Flag.objects.filter(
                checkin__person=OuterRef("pk"),
                checkin__day=day,
                checkin__period=period,
                explained_at__isnull=True,
            )
        ),
    )
    excused = {
        pk: note
        for (pk, _day, _period), note in tally.excuses(
            first=day, last=day, people=expected.values("pk"), periods=(period,)
        ).items()
    }
    closed = [key for key, window in windows.items() if window.end <= now]
    unchecked = Q(colour__isnull=True) & ~Q(pk__in=list(excused))
    result = Roll(day=day, period=period, excuses=excused, windows=windows, now=now)
    result.counts = unit_counts(
        expected_people, day=day, period=period, excused=list(excused), closed=set(closed)
    )
    total = UnitCount(unit=unit)
    for count in result.counts:
        for name in ("expected", "checked", "yellow", "red", "flagged", "excused", "missed"):
            setattr(total, name, getattr(total, name) + getattr(count, name))
    total.pending = total.expected - total.checked - total.excused - total.missed
    result.counts.sort(key=lambda c: c.unit.path)
    result.total = total
    states = {tally.pending_state(w, now) for w in windows.values()}
    result.state = (
        tally.State.MISSED
        if states <= {tally.State.MISSED}
        else tally.State.OPEN
        if tally.State.OPEN in states
        else tally.State.UPCOMING
    )
    shown = {
        Show.CHECKED: Q(colour__isnull=False),
        Show.MISSING: unchecked,
        Show.EXCUSED: Q(colour__isnull=True, pk__in=list(excused)),
        Show.YELLOW: Q(colour=Colour.YELLOW),
        Show.RED: Q(colour=Colour.RED),
        Show.FLAGGED: Q(flagged=True),
    }.get(show, Q())
    if show == Show.TAMPERED:
        shown = Q(pk__in=tampered_people(people=expected.values("pk"), day=day, period=period))
    result.rows = (
        expected.filter(shown)
        .select_related("org_unit__parent")  # each row shows its unit's label
        .order_by("org_unit__path", "number")
    )
    return result


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


# An app that keeps day totals per unit (analytics' summary tables) answers the trend's
# past days from them: (units=, first=, last=) → {day: DayTotals} of the units' subtrees
# (people of every kind but visitors), for the days it holds counted after the day ended.
TrendSource = Callable[..., dict[date, tally.DayTotals]]
trend_sources: list[TrendSource] = []


def summary_units(user, unit: OrgUnit | None) -> list[OrgUnit] | None:
    """The whole subtrees that make up the user's health scope (`unit`'s, when given), or
    None when the scope is not whole subtrees (a role limited to some kinds of people)."""
    if any(
        Cap.VIEW_HEALTH in ROLE_CAPABILITIES[a.role] and a.role in ROLE_PERSON_KINDS
        for a in assignments(user)
    ):
        return None
    tops = sorted(units_for(user, Cap.VIEW_HEALTH), key=lambda u: (u.path.count("/"), u.path))
    if unit is not None:
        return [unit] if any(unit.path.startswith(top.path) for top in tops) else []
    kept: list[OrgUnit] = []
    for top in tops:
        if not any(top.path.startswith(other.path) for other in kept):
            kept.append(top)
    return kept


def trend(*, user, end: date, days: int = 14, unit: OrgUnit | None = None, now=None):
    """The last `days` days of the user's health scope, counted as tally.trend counts.

    Past days come from a trend source (the analytics summaries, refreshed every ten
    minutes for yesterday and nightly for the week) where it holds them, visitors counted
    apart; today, and any day it lacks, from the check-ins themselves. At 50,000 people
    the 14-day count took 5 s of CPU (bench/README.md, Scale)."""
    now = now or timezone.now()
    people = scoped_people(user, unit=unit)
    first = end - timedelta(days=days - 1)
    units = summary_units(user, unit) if trend_sources else None
    held: dict[date, tally.DayTotals] = {}
    last_past = min(end, timezone.localdate(now) - timedelta(days=1))
    if units and first <= last_past:
        for source in trend_sources:
            held = source(units=units, first=first, last=last_past)
            if held:
                break
    live_from = first
    while live_from in held:
        live_from += timedelta(days=1)
    found = [held[first + timedelta(days=n)] for n in range((live_from - first).days)]
    visitors = people.filter(kind=Person.Kind.VISITOR)
    if found and visitors.exists():
        # The summaries leave visitors out; the few in the scope are counted here.
        apart = tally.trend(
            people=visitors,
            end=live_from - timedelta(days=1),
            days=len(found),
            now=now,
        )
        for totals, extra in zip(found, apart.days, strict=True):
            for name in ("expected", "green", "yellow", "red", "excused", "missed", "pending"):
                setattr(totals, name, getattr(totals, name) + getattr(extra, name))
    if live_from <= end:
        live = tally.trend(people=people, end=end, days=(end - live_from).days + 1, now=now)
        found += live.days
    return tally.Trend(found)
