"""Reads for the dashboards and reports, always from the summary tables and always through
the reader's scope (R6.3, R6.6).

`dashboard_for(user, ...)` and `gate_traffic_for(user, ...)` are plain functions (no
request) so that bench/ can time "today's dashboard for this user".

Small groups (R6.6, data minimisation): a figure about fewer people than the school's
`analytics_min_group` is shown as "<N"; a count of fevers, symptoms, isolations or red
codes likewise when it is about fewer than N people (on any one day: over a week, one
person's seven days of isolation are still one person), since a handful in a known class
points at people.
Secondary suppression: a hidden figure must not come back by subtraction. Wherever a
line of figures (the units of a table, the days of a period, the outcomes of the expected
check-ins) has its total shown somewhere, and exactly one figure on it is hidden, the next
smallest figure on that line is hidden too (`complement`); the total itself stays, since
it is about a group large enough to show. Two hidden figures only give away their sum.
Rankings between units are off unless the school turns them on.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.db.models import Case, IntegerField, Max, Min, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.analytics.models import COUNTS, SENSITIVE, DailyUnitSummary, GateHourSummary
from campuscode.core.rules import get_setting
from campuscode.people.access import Cap, covers_unit, outermost_units
from campuscode.people.models import OrgUnit

SUMMED = (*COUNTS, "temp_sum")
# Over several days a group's size, and the people a sensitive count is about, are the most
# on any one day (a person counted on seven days is still one person).
PEAKS = ("people", *SENSITIVE.values())
MAX_DAYS = 92


@dataclass
class Figures:
    """Summed summary rows: one unit or a subtree, one day or a range."""

    people: int = 0
    expected: int = 0
    green: int = 0
    yellow: int = 0
    red: int = 0
    excused: int = 0
    isolated: int = 0
    missed: int = 0
    pending: int = 0
    manual: int = 0
    makeup: int = 0
    fever: int = 0
    symptomatic: int = 0
    temp_count: int = 0
    red_people: int = 0
    isolated_people: int = 0
    fever_people: int = 0
    symptomatic_people: int = 0
    temp_sum: float = 0.0
    symptoms: Counter = field(default_factory=Counter)

    def add(self, other: "Figures | dict") -> None:
        get = other.get if isinstance(other, dict) else lambda name: getattr(other, name)
        for name in SUMMED:
            setattr(self, name, getattr(self, name) + (get(name) or 0))
        if isinstance(other, Figures):
            self.symptoms.update(other.symptoms)

    @property
    def checked(self) -> int:
        return self.green + self.yellow + self.red

    @property
    def on_phone(self) -> int:
        return max(self.checked - self.manual - self.makeup, 0)

    @property
    def reported(self) -> int:
        """Excused by an approved advance report (the rest of `excused` is isolation)."""
        return max(self.excused - self.isolated, 0)

    @property
    def due(self) -> int:
        return self.checked + self.missed

    @property
    def rate(self) -> float | None:
        """Per cent of the check-ins due that were done (excused and open windows aside)."""
        return 100 * self.checked / self.due if self.due else None

    @property
    def average_temperature(self) -> float | None:
        return self.temp_sum / self.temp_count if self.temp_count else None


def complement(values: dict, hidden: set) -> set:
    """Secondary suppression along one line whose total is shown: `hidden` (keys of
    `values`, the figures on the line) plus, when exactly one of them is hidden, the
    smallest other figure that is not zero (a zero hidden beside it would protect
    nothing a reader could not guess), or the smallest zero when there is no other."""
    hidden = {key for key in hidden if key in values}
    if len(hidden) != 1:
        return hidden
    others = sorted(
        (key for key in values if key not in hidden), key=lambda key: (not values[key], values[key])
    )
    return hidden | set(others[:1])


def complement_lines(values: dict, hidden: set, lines: list) -> set:
    """`complement` over several lines (each a list of keys of `values`) until nothing
    changes: hiding a figure on one line can leave one hidden on another. Narrow lines
    first, so that the figure hidden with another is one that line really protects."""
    hidden = set(hidden)
    while True:
        before = len(hidden)
        for line in lines:
            hidden |= complement({key: values[key] for key in line}, hidden & set(line))
        if len(hidden) == before:
            return hidden


def secondary_note() -> str:
    return _(
        "Where only one figure in a row or column with a total would be hidden, the next "
        "smallest is hidden too, so that no hidden figure can be worked out from the totals."
    )


class Shown:
    """Figures as a reader may see them: small groups and small sensitive counts hidden;
    `hidden`: all of them, as the complement of another hidden figure."""

    def __init__(self, figures: Figures, min_group: int, hidden: bool = False):
        self.figures = figures
        self.min_group = min_group
        self.hidden_text = f"<{min_group}"
        # `people`: the group's size (over several days, the most on any one day).
        self.suppressed = hidden or 0 < figures.people < min_group

    def __getattr__(self, name: str):
        figures = self.__dict__["figures"]
        value = getattr(figures, name)
        if self.suppressed:
            return self.hidden_text
        if name in SENSITIVE and value and getattr(figures, SENSITIVE[name]) < self.min_group:
            return self.hidden_text
        return value

    def symptom(self, code: str):
        value = self.figures.symptoms.get(code, 0)
        if self.suppressed or (value and self.figures.symptomatic_people < self.min_group):
            return self.hidden_text
        return value

    @property
    def rate(self) -> str:
        rate = self.figures.rate
        if self.suppressed or rate is None:
            return "—"
        return f"{rate:.1f}%"

    @property
    def rate_value(self) -> float | None:
        return None if self.suppressed else self.figures.rate

    @property
    def average_temperature(self) -> str:
        value = self.figures.average_temperature
        if self.suppressed or value is None:
            return "—"
        return f"{value:.2f}"


@dataclass
class UnitRow:
    unit: OrgUnit
    own: bool  # the selected unit's own people (not a unit under it)
    by_day: dict[date, Figures]
    total: Figures
    rank: int | None = None

    @property
    def label(self) -> str:
        return str(self.unit.name)


@dataclass
class Dashboard:
    unit: OrgUnit
    first: date
    last: date
    rows: list[UnitRow]
    by_day: dict[date, Figures]
    total: Figures
    min_group: int
    ranked: bool
    refreshed_at: datetime | None

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def shown(self, figures: Figures, hidden: bool = False) -> Shown:
        return Shown(figures, self.min_group, hidden)

    @cached_property
    def hidden_days(self) -> set[date]:
        """Days hidden, their complement included: the days add up to the period's total
        (the reasons panel, the report's notice)."""
        small = {day for day in self.days if self.shown(self.by_day[day]).suppressed}
        return complement({day: self.by_day[day].people for day in self.days}, small)

    @cached_property
    def hidden_units(self) -> set[int]:
        """Units (rows) hidden, their complement included: the rows add up to the total."""
        small = {row.unit.pk for row in self.rows if self.shown(row.total).suppressed}
        return complement({row.unit.pk: row.total.people for row in self.rows}, small)

    @property
    def day_rows(self) -> list[tuple[date, Shown]]:
        return [(day, self.shown(self.by_day[day], day in self.hidden_days)) for day in self.days]

    @property
    def unit_rows(self) -> list[tuple[UnitRow, Shown]]:
        return [(row, self.shown(row.total, row.unit.pk in self.hidden_units)) for row in self.rows]

    def cell(self, row: UnitRow, day: date) -> Shown:
        """One unit on one day (the heatmap): hidden with its unit's row."""
        return self.shown(row.by_day[day], row.unit.pk in self.hidden_units)

    def rank(self) -> None:
        """Number the units by rate, best first; only those shown take part, the others
        keep their place below (a rank would say where a hidden rate lies)."""

        def rate_of(row):
            return self.shown(row.total, row.unit.pk in self.hidden_units).rate_value

        showable = [row for row in self.rows if rate_of(row) is not None]
        showable.sort(key=lambda row: -rate_of(row))
        for n, row in enumerate(showable, start=1):
            row.rank = n
        self.rows = showable + [row for row in self.rows if row.rank is None]

    @property
    def shown_total(self) -> Shown:
        return self.shown(self.total)


def range_total(days: "Iterable[Figures]") -> Figures:
    """Several days of one group added up; its `people` is the most on any one day (the
    group's size, which decides whether its figures may be shown)."""
    total, peaks = Figures(), dict.fromkeys(PEAKS, 0)
    for figures in days:
        total.add(figures)
        for name in PEAKS:
            peaks[name] = max(peaks[name], getattr(figures, name))
    for name, value in peaks.items():
        setattr(total, name, value)
    return total


def subtree_groups(
    unit: OrgUnit, children: list[OrgUnit]
) -> tuple[list[int], dict[int, list[int]]]:
    """The ids of every unit in `unit`'s subtree, and of those under each child (the
    unit's own rows are the rest). Read once, so that the summary query filters and
    groups by unit id and joins no unit table (a LIKE join per summary row went badly
    wrong whenever PostgreSQL's statistics were off: 1–7 s at 50,000 people)."""
    ids, under = [], {child.pk: [] for child in children}
    for pk, path in OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", "path"):
        ids.append(pk)
        for child in children:
            if path.startswith(child.path):
                under[child.pk].append(pk)
                break
    return ids, under


def figures_for(unit: OrgUnit, first: date, last: date) -> Dashboard:
    """The figures of `unit`'s subtree from `first` to `last`, by day and by the units
    right under it (no scope check: callers check it, see dashboard_for)."""
    children = list(OrgUnit.objects.filter(parent=unit).order_by("path"))
    rows = DailyUnitSummary.objects.filter(school_id=unit.school_id, day__gte=first, day__lte=last)
    ids, under = subtree_groups(unit, children)
    if unit.pk != unit.school_id:  # a school's rows are all of its subtree
        rows = rows.filter(unit_id__in=ids)
    whens = [When(unit_id__in=pks, then=Value(pk)) for pk, pks in under.items() if pks]
    group = (
        Case(*whens, default=Value(unit.pk), output_field=IntegerField())
        if whens
        else Value(unit.pk, output_field=IntegerField())
    )
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    by_unit: dict[int, dict[date, Figures]] = {}
    refreshed_at = None
    for found in (
        rows.annotate(group=group)
        .values("group", "day")
        .annotate(at=Max("refreshed_at"), **{name: Sum(name) for name in SUMMED})
        .order_by()
    ):
        refreshed_at = max(filter(None, (refreshed_at, found["at"])), default=None)
        by_unit.setdefault(found["group"], {})
        by_unit[found["group"]].setdefault(found["day"], Figures()).add(found)
    symptom_rows = rows.filter(symptomatic__gt=0).annotate(group=group)
    for group_pk, day, symptoms in symptom_rows.values_list("group", "day", "symptoms"):
        by_unit.setdefault(group_pk, {}).setdefault(day, Figures()).symptoms.update(symptoms)

    units = {unit.pk: unit, **{child.pk: child for child in children}}
    result_rows, by_day = [], {day: Figures() for day in days}
    for pk in [unit.pk, *(child.pk for child in children)]:
        if pk not in by_unit:
            continue
        per_day = {day: by_unit[pk].get(day, Figures()) for day in days}
        row_total = range_total(per_day.values())
        for day, figures in per_day.items():
            by_day[day].add(figures)
        result_rows.append(UnitRow(units[pk], pk == unit.pk, per_day, row_total))
    total = range_total(by_day.values())
    min_group = int(get_setting("analytics_min_group", unit.school_id))
    ranked = bool(get_setting("analytics_rank_units", unit.school_id))
    board = Dashboard(
        unit, first, last, result_rows, by_day, total, min_group, ranked, refreshed_at
    )
    if ranked:
        board.rank()
    return board


TREND_FIELDS = ("expected", "green", "yellow", "red", "excused", "missed", "pending")


def final_trend_days(*, units: list[OrgUnit], first: date, last: date) -> dict:
    """checkins.selectors.trend's source: day → checkins.tally.DayTotals of the subtrees of
    `units`, for the days from `first` to `last` whose summary rows were all counted after
    the day had ended (no window left open, so nothing counted as pending that has since
    been missed). A day the refresh has not reached since is left to a live count."""
    from campuscode.checkins.tally import DayTotals

    tz = timezone.get_default_timezone()
    by_school: dict[int, list[OrgUnit]] = {}
    for unit in units:
        by_school.setdefault(unit.school_id, []).append(unit)
    final: set[date] | None = None
    totals: dict[date, DayTotals] = {}
    for school_id, tops in by_school.items():
        rows = DailyUnitSummary.objects.filter(school_id=school_id, day__gte=first, day__lte=last)
        done = {
            day
            for day, at in rows.values("day")
            .annotate(at=Min("refreshed_at"))
            .values_list("day", "at")
            if at >= datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
        }
        final = done if final is None else final & done
        if not any(top.pk == school_id for top in tops):
            paths = Q(pk__in=[])
            for top in tops:
                paths |= Q(path__startswith=top.path)
            rows = rows.filter(
                unit_id__in=list(OrgUnit.objects.filter(paths).values_list("pk", flat=True))
            )
        for found in (
            rows.filter(day__in=done)
            .values("day")
            .annotate(**{name: Sum(name) for name in TREND_FIELDS})
            .order_by()
        ):
            day = found.pop("day")
            into = totals.setdefault(day, DayTotals(day))
            for name, value in found.items():
                setattr(into, name, getattr(into, name) + (value or 0))
    return {day: totals.get(day, DayTotals(day)) for day in sorted(final or ())}


def scope_units(user, capability: str = Cap.VIEW_HEALTH) -> list[OrgUnit]:
    """The units at the top of the user's scope, outermost first, without repeats."""
    return outermost_units(user, capability)


def dashboard_for(
    user,
    *,
    day: date | None = None,
    days: int = 14,
    unit: OrgUnit | None = None,
) -> Dashboard | None:
    """The health dashboard `user` may see: `unit` (default: the top of their scope) over
    the `days` days ending on `day` (default today). None when `unit` is outside their
    scope or they have none."""
    day = day or timezone.localdate()
    days = max(1, min(days, MAX_DAYS))
    if unit is None:
        tops = scope_units(user)
        if not tops:
            return None
        unit = tops[0]
    elif not covers_unit(user, Cap.VIEW_HEALTH, unit):
        return None
    return figures_for(unit, day - timedelta(days=days - 1), day)


# --- Gates -------------------------------------------------------------------------------


@dataclass
class GateTraffic:
    first: date
    last: date
    places: list  # gates.Place
    by_place_hour: dict[tuple[int, int], dict]  # (place id, hour) → counts
    by_hour: dict[int, dict]
    by_place: dict[int, dict]
    total: dict
    refreshed_at: datetime | None

    @property
    def hours(self) -> range:
        return range(24)


def gate_traffic_for(user, *, day: date | None = None, days: int = 1, place=None) -> GateTraffic:
    """Passages per place and hour at the places `user`'s gate role covers, over the
    `days` days ending on `day` (default: today)."""
    from campuscode.gates.selectors import places_for

    day = day or timezone.localdate()
    days = max(1, min(days, MAX_DAYS))
    first = day - timedelta(days=days - 1)
    places = places_for(user).order_by("campus__path", "name")
    if place is not None:
        places = places.filter(pk=place.pk)
    places = list(places)
    rows = GateHourSummary.objects.filter(
        place__in=[p.pk for p in places], day__gte=first, day__lte=day
    )
    empty = {"entries": 0, "exits": 0, "refused": 0}
    by_place_hour: dict = {}
    by_hour = {hour: dict(empty) for hour in range(24)}
    by_place = {p.pk: dict(empty) for p in places}
    total = dict(empty)
    for found in (
        rows.values("place_id", "hour")
        .annotate(entries=Sum("entries"), exits=Sum("exits"), refused=Sum("refused"))
        .order_by()
    ):
        counts = {name: found[name] for name in empty}
        by_place_hour[(found["place_id"], found["hour"])] = counts
        for name, value in counts.items():
            by_hour[found["hour"]][name] += value
            by_place[found["place_id"]][name] += value
            total[name] += value
    refreshed_at = rows.aggregate(at=Max("refreshed_at"))["at"]
    return GateTraffic(first, day, places, by_place_hour, by_hour, by_place, total, refreshed_at)


def reportable_units() -> "list[tuple[OrgUnit, list]]":
    """(unit, accounts) for every unit a health-reading role was granted over: each gets
    its own report, sent to those who hold the role there."""
    from campuscode.people.access import ROLE_CAPABILITIES
    from campuscode.people.models import RoleAssignment

    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Cap.VIEW_HEALTH in caps]
    found: dict[int, tuple[OrgUnit, list]] = {}
    for assignment in (
        RoleAssignment.objects.filter(role__in=roles, user__is_active=True)
        .select_related("org_unit", "user")
        .order_by("org_unit__path", "user_id")
    ):
        unit = assignment.org_unit
        entry = found.setdefault(unit.pk, (unit, []))
        if assignment.user not in entry[1]:
            entry[1].append(assignment.user)
    return list(found.values())
