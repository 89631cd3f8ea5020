"""Who was expected to check in, and how each window came out (R6.3).

A person is expected in a window when, on its day:
- their record existed: from `valid_from` when set, else from the local date it was
  created (people imported today are not expected for days before they existed);
- they are within `valid_until`;
- they were active: a person no longer active is counted only for days before their
  record last changed (the day they left or were suspended, as far as we know);
- their kind has that window on that day (a date notice may cancel it: a holiday).

An expected person without a check-in is excused (an approved advance report, an
isolation), else missed once the window has closed, else still open or not yet started.
Only closed windows count against anyone: the rate is checked / (checked + missed).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, DateField, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from campuscode.checkins.models import Checkin, Period
from campuscode.checkins.windows import Window, windows_on
from campuscode.codes.tokens import Colour
from campuscode.people.models import Person

# Other apps excuse people from windows (followup: advance reports, isolations). Each
# provider is (first=, last=, people=, periods=) → iterable of (person id, day, period, note).
ExcuseProvider = Callable[..., Iterable[tuple[int, date, str, str]]]
excuse_providers: list[ExcuseProvider] = []


def excuses(*, first: date, last: date, people, periods=None) -> dict[tuple[int, date, str], str]:
    found: dict[tuple[int, date, str], str] = {}
    for provider in excuse_providers:
        for pk, day, period, note in provider(
            first=first, last=last, people=people, periods=periods
        ):
            found.setdefault((pk, day, period), note)
    return found


def with_dates(people: QuerySet, prefix: str = "") -> QuerySet:
    """Annotate `first_day` (valid_from, else the local creation date) and `changed_day`
    (the local date the record last changed)."""
    tz = timezone.get_default_timezone()
    return people.annotate(
        first_day=Coalesce(
            f"{prefix}valid_from",
            TruncDate(f"{prefix}created_at", tzinfo=tz),
            output_field=DateField(),
        ),
        changed_day=TruncDate(f"{prefix}updated_at", tzinfo=tz),
    )


def expected_q(day: date) -> Q:
    """On a queryset annotated by with_dates: the people whose record made them expected
    on `day` (windows aside)."""
    return (
        Q(first_day__lte=day)
        & (Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        & (Q(state=Person.State.ACTIVE) | Q(changed_day__gt=day))
    )


def is_expected(*, first_day, valid_until, state, changed_day, day: date) -> bool:
    """The same rule as expected_q, in Python."""
    return (
        first_day <= day
        and (valid_until is None or day <= valid_until)
        and (state == Person.State.ACTIVE or day < changed_day)
    )


def window_groups(day: date, period: str, school_ids) -> dict[tuple[int, str], Window]:
    """(school id, person kind) → that kind's window `period` on `day`, where it has one."""
    groups = {}
    for school_id in school_ids:
        for kind in Person.Kind.values:
            for window in windows_on(day, kind=kind, school_id=school_id):
                if window.period == period:
                    groups[(school_id, kind)] = window
    return groups


def groups_q(groups) -> Q:
    q = Q(pk__in=[])
    by_school = defaultdict(list)
    for school_id, kind in groups:
        by_school[school_id].append(kind)
    for school_id, kinds in by_school.items():
        q |= Q(school_id=school_id, kind__in=kinds)
    return q


class State:
    """How one expected person's window came out (or stands)."""

    CHECKED = "checked"
    EXCUSED = "excused"
    MISSED = "missed"
    OPEN = "open"  # the window is open now
    UPCOMING = "upcoming"  # the window has not started


def pending_state(window: Window, now: datetime) -> str:
    if window.end <= now:
        return State.MISSED
    return State.OPEN if window.start <= now else State.UPCOMING


@dataclass
class DayTotals:
    """One day of the trend: expected check-ins and how they came out."""

    day: date
    expected: int = 0
    green: int = 0
    yellow: int = 0
    red: int = 0
    excused: int = 0
    missed: int = 0
    pending: int = 0  # windows still open or not yet started

    @property
    def checked(self) -> int:
        return self.green + self.yellow + self.red


@dataclass
class Trend:
    days: list[DayTotals]

    @property
    def checked(self) -> int:
        return sum(d.checked for d in self.days)

    @property
    def missed(self) -> int:
        return sum(d.missed for d in self.days)

    @property
    def due(self) -> int:
        return self.checked + self.missed

    @property
    def rate(self) -> int | None:
        """Per cent of the check-ins due that were done (excused and open windows aside)."""
        return round(100 * self.checked / self.due) if self.due else None


def trend(*, people: QuerySet, end: date, days: int = 14, now: datetime | None = None) -> Trend:
    """Per day from `end - days + 1` to `end`: the check-ins expected of `people` (a Person
    queryset, already scoped) and how they came out. A handful of grouped queries
    whatever the number of people."""
    now = now or timezone.now()
    first = end - timedelta(days=days - 1)
    dated = with_dates(people)
    bucket_fields = ("school_id", "kind", "first_day", "valid_until", "state", "changed_day")
    buckets = list(dated.values_list(*bucket_fields).annotate(n=Count("pk")).order_by())
    school_ids = sorted({b[0] for b in buckets})
    checkins = with_dates(
        Checkin.objects.effective().filter(day__gte=first, day__lte=end, person__in=people),
        prefix="person__",
    )
    checked_groups = (
        checkins.values_list(
            "day",
            "period",
            "colour",
            "person__school_id",
            "person__kind",
            "first_day",
            "person__valid_until",
            "person__state",
            "changed_day",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    excused = excuses(first=first, last=end, people=people.values("pk"))
    excused_people = {
        p[0]: p[1:]
        for p in with_dates(Person.objects.filter(pk__in={k[0] for k in excused})).values_list(
            "pk", *bucket_fields
        )
    }
    checked_keys = set(
        Checkin.objects.effective()
        .filter(day__gte=first, day__lte=end, person_id__in=list(excused_people))
        .values_list("person_id", "day", "period")
    )
    result = []
    totals: dict[date, DayTotals] = {}
    windows: dict[tuple[date, str], dict] = {}
    for offset in range(days):
        day = first + timedelta(days=offset)
        totals[day] = DayTotals(day)
        result.append(totals[day])
        for period in Period.values:
            windows[(day, period)] = window_groups(day, period, school_ids)

    def expected(day, school_id, kind, first_day, valid_until, state, changed_day):
        return is_expected(
            first_day=first_day,
            valid_until=valid_until,
            state=state,
            changed_day=changed_day,
            day=day,
        )

    remaining: dict[tuple, int] = defaultdict(int)  # (day, period, school, kind) → people
    for school_id, kind, first_day, valid_until, state, changed_day, n in buckets:
        for (day, period), groups in windows.items():
            if (school_id, kind) in groups and expected(
                day, school_id, kind, first_day, valid_until, state, changed_day
            ):
                totals[day].expected += n
                remaining[(day, period, school_id, kind)] += n
    for day, period, colour, school_id, kind, *dates, n in checked_groups:
        if (school_id, kind) not in windows[(day, period)] or not expected(
            day, school_id, kind, *dates
        ):
            continue  # a check-in in a window the person was not expected in
        if colour in (Colour.GREEN, Colour.YELLOW, Colour.RED):
            setattr(totals[day], colour, getattr(totals[day], colour) + n)
            remaining[(day, period, school_id, kind)] -= n
    for pk, day, period in excused:
        if pk not in excused_people or (pk, day, period) in checked_keys:
            continue
        school_id, kind, *dates = excused_people[pk]
        if (school_id, kind) in windows[(day, period)] and expected(day, school_id, kind, *dates):
            totals[day].excused += 1
            remaining[(day, period, school_id, kind)] -= 1
    for (day, period, school_id, kind), n in remaining.items():
        state = pending_state(windows[(day, period)][(school_id, kind)], now)
        if state == State.MISSED:
            totals[day].missed += n
        else:
            totals[day].pending += n
    return Trend(result)
