"""Reads of check-in data, always through the user's scope (R6.6)."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, Subquery
from django.utils import timezone

from campuscode.checkins import tally
from campuscode.checkins.honesty import honesty_scan  # noqa: F401  (its old home)
from campuscode.checkins.models import CampusAssignment, Checkin, CheckinPoint, Flag, Period
from campuscode.codes.tokens import Colour
from campuscode.core.rules import get_setting
from campuscode.people.access import (
    ROLE_CAPABILITIES,
    ROLE_PERSON_KINDS,
    Cap,
    assignments,
    outermost_units,
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
    # In a rolled-up list (see roll_up): the row sums units below `unit` (it opens a list
    # of its own), or counts only the people placed directly in the list's own unit.
    below: bool = False
    direct: bool = False

    @property
    def missing(self) -> int:
        """Not checked in and not excused: missed or still to come."""
        return self.missed + self.pending


@dataclass
class Roll:
    day: date
    period: str
    rows: object = field(default_factory=list)  # a queryset of people until paged
    counts: list[UnitCount] = field(default_factory=list)  # per unit the people are in
    shown: list[UnitCount] = field(default_factory=list)  # counts, rolled up when many
    rolled: bool = False
    # Both windows of the day, as the 14-day trend counts a day (of everyone due, for
    # the trend's today without counting the day again).
    day_totals: tally.DayTotals | None = None
    total: UnitCount | None = None
    state: str = tally.State.MISSED  # the window: missed (closed), open or upcoming
    excuses: dict[int, str] = field(default_factory=dict)
    windows: dict = field(default_factory=dict)
    now: object = None

    def row_count(self, show: str) -> int | None:
        """How many rows `show` keeps, from the counts (None: only a query can tell)."""
        total = self.total
        return {
            Show.ALL: total.expected,
            Show.CHECKED: total.checked,
            Show.MISSING: total.missing,
            Show.EXCUSED: total.excused,
            Show.YELLOW: total.yellow,
            Show.RED: total.red,
            Show.FLAGGED: total.flagged,
        }.get(show)

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


def scope_unit(user, unit_id) -> OrgUnit | None:
    """The unit `unit_id` names, if it is in the user's health scope (the school itself
    aside: no unit means the whole scope)."""
    try:
        pk = int(unit_id)
    except (TypeError, ValueError):
        return None
    return (
        units_under(user, Cap.VIEW_HEALTH).exclude(kind=OrgUnit.Kind.SCHOOL).filter(pk=pk).first()
    )


def scope_tops(user, unit: OrgUnit | None = None) -> list[OrgUnit]:
    """The units a list starts from: `unit`, else the tops of the user's health scope
    (those inside another one left out)."""
    if unit is not None:
        return [unit]
    return outermost_units(user, Cap.VIEW_HEALTH)


def _below(base: OrgUnit) -> list[OrgUnit]:
    """The units one level below `base`, a campus's units in place of the campus (a
    campus is where people are, not how a school is organised)."""
    children = list(OrgUnit.objects.filter(parent=base))
    campuses = [u.pk for u in children if u.kind == OrgUnit.Kind.CAMPUS]
    if campuses:
        children += OrgUnit.objects.filter(parent_id__in=campuses)
    return sorted(
        (u for u in children if u.kind != OrgUnit.Kind.CAMPUS), key=lambda u: (u.kind, u.path)
    )


def unit_menu(user, unit: OrgUnit | None) -> dict:
    """The unit filter as a hierarchy: the units above the current one (within the
    scope), and those one level below it. A school's 1,230 units in one menu was slow to
    draw and useless on a phone."""
    tops = scope_tops(user, unit)
    up = []
    if unit is not None:
        scope = scope_tops(user)
        up = [
            u
            for u in unit.ancestors().exclude(pk=unit.pk).exclude(kind=OrgUnit.Kind.SCHOOL)
            if any(u.path.startswith(top.path) and u.pk != top.pk for top in scope)
        ]
    if len(tops) == 1:
        below = _below(tops[0])
    else:
        below = [t for t in tops if t.kind != OrgUnit.Kind.SCHOOL]
    return {"up": up, "below": below}


def roll_up(counts: list[UnitCount], tops: list[OrgUnit]) -> list[UnitCount]:
    """`counts` (per unit people are in) summed per unit one level below the list's unit
    (see _below), or per top of the scope when it has several."""
    single = tops[0] if len(tops) == 1 else None
    levels = _below(single) if single else list(tops)
    by_path = sorted(levels, key=lambda u: -len(u.path))
    rows: dict[int, UnitCount] = {}
    for count in counts:
        path = count.unit.path
        into = next((u for u in by_path if path.startswith(u.path)), None)
        if into is None:  # directly in the list's unit (or a campus of it)
            into = single or count.unit
        row = rows.get(into.pk)
        if row is None:
            row = rows[into.pk] = UnitCount(unit=into, direct=into is single)
        row.below = row.below or count.unit.pk != into.pk
        for name in (
            "expected",
            "checked",
            "yellow",
            "red",
            "flagged",
            "excused",
            "missed",
            "pending",
        ):
            setattr(row, name, getattr(row, name) + getattr(count, name))
    return sorted(rows.values(), key=lambda c: (not c.direct, c.unit.kind, c.unit.path))


def scoped_people(user, *, unit: OrgUnit | None = None):
    people = Person.objects.visible_to(user, Cap.VIEW_HEALTH)
    if unit is not None:
        people = people.filter(org_unit__path__startswith=unit.path)
    return people


def day_counts(
    people, *, day: date, windows: dict[str, dict], excused: dict[str, set], closed: set
) -> dict[str, list[UnitCount]]:
    """Both windows of `day` counted per unit in one grouped query: `people` (those due on
    the day, whatever the window) left-joined to each window's effective check-in (at
    most one a person: a constraint) and grouped by unit, school, kind and the two
    colours. `windows` is period → (school, kind) → window, `excused` period → person ids,
    `closed` the (period, school, kind) whose window has ended. Open flags are not
    counted here (roll adds them for its window). The page took three counts of 50,000
    people (its window, then both again for the trend's today): 0.6 s of CPU."""
    periods = list(windows)
    joins = {
        f"w_{p}": FilteredRelation(
            "checkins",
            condition=Q(
                checkins__day=day, checkins__period=p, checkins__superseded_at__isnull=True
            ),
        )
        for p in periods
    }
    rows = (
        people.annotate(**joins)
        .values_list("org_unit", "school_id", "kind", *(f"w_{p}__colour" for p in periods))
        .annotate(n=Count("pk"))
        .order_by()
    )
    found: dict[str, dict[int, UnitCount]] = {p: {} for p in periods}
    units: set[int] = set()

    def count_of(period, unit_id) -> UnitCount:
        if unit_id not in found[period]:
            found[period][unit_id] = UnitCount(unit=None)
            units.add(unit_id)
        return found[period][unit_id]

    for unit_id, school_id, kind, *colours, n in rows:
        for period, colour in zip(periods, colours, strict=True):
            if (school_id, kind) not in windows[period]:
                continue  # no such window for them (a check-in there does not count)
            count = count_of(period, unit_id)
            count.expected += n
            if colour is not None:
                count.checked += n
                if colour in (Colour.YELLOW, Colour.RED):
                    setattr(count, colour, getattr(count, colour) + n)
            elif (period, school_id, kind) in closed:
                count.missed += n  # less the excused, below
    excused_ids = set().union(*excused.values()) if excused else set()
    if excused_ids:
        checked = set(
            Checkin.objects.effective()
            .filter(day=day, person_id__in=excused_ids)
            .values_list("person_id", "period")
        )
        for pk, unit_id, school_id, kind in people.filter(pk__in=excused_ids).values_list(
            "pk", "org_unit", "school_id", "kind"
        ):
            for period in periods:
                if (
                    pk in excused.get(period, ())
                    and (pk, period) not in checked
                    and (school_id, kind) in windows[period]
                ):
                    count = count_of(period, unit_id)
                    count.excused += 1
                    if (period, school_id, kind) in closed:
                        count.missed -= 1
    by_pk = OrgUnit.objects.select_related("parent").in_bulk(units)
    result: dict[str, list[UnitCount]] = {}
    for period, counts in found.items():
        for unit_id, count in counts.items():
            count.unit = by_pk[unit_id]
            count.pending = count.expected - count.checked - count.excused - count.missed
        result[period] = list(counts.values())
    return result


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
    # People belong to the school of their unit: the scope's units name the schools.
    school_ids = sorted({top.school_id for top in scope_tops(user, unit)})
    day_windows = {p: tally.window_groups(day, p, school_ids) for p in Period.values}
    windows = day_windows[period]
    # Those whose state or validity changed since the day are decided by their history.
    changed = tally.changed_people(people, day)
    due = [
        pk
        for pk, (_school, _kind, created_day, history) in changed.items()
        if tally.expected_by_history(history, created_day, day)
    ]
    on_record = tally.expected_on_q(day) & ~Q(pk__in=list(changed))
    due_today = people.filter(on_record | Q(pk__in=due))
    expected_people = due_today.filter(tally.groups_q(windows))
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
    on_day = due_today.filter(tally.groups_q({k for w in day_windows.values() for k in w}))
    day_excuses: dict[str, dict[int, str]] = defaultdict(dict)
    for (pk, _day, p), note in tally.excuses(
        first=day, last=day, people=on_day.values("pk")
    ).items():
        day_excuses[p][pk] = note
    excused = day_excuses[period]
    closed = {
        (p, *key)
        for p, groups in day_windows.items()
        for key, window in groups.items()
        if window.end <= now
    }
    unchecked = Q(colour__isnull=True) & ~Q(pk__in=list(excused))
    result = Roll(day=day, period=period, excuses=excused, windows=windows, now=now)
    both = day_counts(
        on_day,
        day=day,
        windows=day_windows,
        excused={p: set(found) for p, found in day_excuses.items()},
        closed=closed,
    )
    result.counts = both[period]
    flagged = dict(
        Flag.objects.filter(
            checkin__person__in=expected_people.values("pk"),
            checkin__day=day,
            checkin__period=period,
            explained_at__isnull=True,
        )
        .values_list("checkin__person__org_unit")
        .annotate(n=Count("checkin__person", distinct=True))
        .order_by()
    )
    for count in result.counts:
        count.flagged = flagged.get(count.unit.pk, 0)
    result.day_totals = tally.DayTotals(day)
    for counts in both.values():
        for count in counts:
            for name in ("expected", "yellow", "red", "excused", "missed", "pending"):
                setattr(
                    result.day_totals, name, getattr(result.day_totals, name) + getattr(count, name)
                )
            result.day_totals.green += count.checked - count.yellow - count.red
    total = UnitCount(unit=unit)
    for count in result.counts:
        for name in ("expected", "checked", "yellow", "red", "flagged", "excused", "missed"):
            setattr(total, name, getattr(total, name) + getattr(count, name))
    total.pending = total.expected - total.checked - total.excused - total.missed
    result.counts.sort(key=lambda c: c.unit.path)
    result.total = total
    limit = max(
        [get_setting("checkin_list_unit_rows", school_id) for school_id in school_ids] or [0]
    )
    result.rolled = len(result.counts) > limit
    result.shown = (
        roll_up(result.counts, scope_tops(user, unit)) if result.rolled else result.counts
    )
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
    tops = outermost_units(user, Cap.VIEW_HEALTH)
    if unit is not None:
        return [unit] if any(unit.path.startswith(top.path) for top in tops) else []
    return tops


def trend(
    *,
    user,
    end: date,
    days: int = 14,
    unit: OrgUnit | None = None,
    now=None,
    last_day: tally.DayTotals | None = None,
):
    """The last `days` days of the user's health scope, counted as tally.trend counts.

    Past days come from a trend source (the analytics summaries, refreshed every ten
    minutes for yesterday and nightly for the week) where it holds them, visitors counted
    apart; today, and any day it lacks, from the check-ins themselves. At 50,000 people
    the 14-day count took 5 s of CPU (bench/README.md, Scale). `last_day`: the totals of
    `end` already counted live the same way (Roll.day_totals of the same scope, without
    a search), so that the list page counts today once."""
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
    live_to = end
    if last_day is not None and last_day.day == end and live_from <= end:
        live_to = end - timedelta(days=1)
    if live_from <= live_to:
        live = tally.trend(people=people, end=live_to, days=(live_to - live_from).days + 1, now=now)
        found += live.days
    if live_to < end and live_from <= end:
        found.append(last_day)
    return tally.Trend(found)
