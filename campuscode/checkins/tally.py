"""Who was expected to check in, and how each window came out (R6.3).

A person is expected in a window when, on its day:
- their record existed: from `valid_from` when set, else from the local date it was
  created (people imported today are not expected for days before they existed);
- they are within `valid_until`;
- they were active;
- their kind has that window on that day (a date notice may cancel it: a holiday).
State and validity dates are those the person had on that day: the history of their
record (people.PersonStateChange; a change counts from its own day on), so suspending
someone, or editing their record later, never changes who was expected before. A record
without any history (written around the services) is taken as it stands, and a person no
longer active as active until the day the record last changed (the best guess there is).

An expected person without a check-in is excused (an approved advance report, an
isolation), else missed once the window has closed, else still open or not yet started.
Only closed windows count against anyone: the rate is checked / (checked + missed).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from campuscode.checkins.models import Checkin, Period
from campuscode.checkins.windows import Window, windows_on
from campuscode.codes.tokens import Colour
from campuscode.people.models import Person, PersonStateChange

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
    """Annotate `first_day` (valid_from, else the local creation date) and, for a record
    without any state history only, `changed_day` (the local date it last changed)."""
    tz = timezone.get_default_timezone()
    has_history = Exists(PersonStateChange.objects.filter(person_id=OuterRef(f"{prefix}pk")))
    return people.annotate(
        first_day=Coalesce(
            f"{prefix}valid_from",
            TruncDate(f"{prefix}created_at", tzinfo=tz),
            output_field=DateField(),
        ),
        changed_day=Case(
            When(has_history, then=Value(None)),
            default=TruncDate(f"{prefix}updated_at", tzinfo=tz),
            output_field=DateField(),
        ),
    )


def expected_on_q(day: date, prefix: str = "") -> Q:
    """Of people whose record has not changed since `day` (see histories_changed_after):
    those expected on `day` (windows aside). The dates of with_dates are compared as
    stored timestamps against the local midnight that ends `day` (a local date on or
    before `day` is a time before it), so PostgreSQL converts no timestamp to a local
    date: for 50,000 people the two conversions a row took 0.1 s. `prefix`: the path to
    the person ("person__" from check-ins)."""
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    history = Exists(PersonStateChange.objects.filter(person_id=OuterRef(f"{prefix}pk")))
    return (
        (
            Q(**{f"{prefix}valid_from__lte": day})
            | Q(**{f"{prefix}valid_from__isnull": True, f"{prefix}created_at__lt": end})
        )
        & (Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gte": day}))
        & (
            Q(**{f"{prefix}state": Person.State.ACTIVE})
            | Q(~history, **{f"{prefix}updated_at__gte": end})
        )
    )


def is_expected(*, first_day, valid_until, state, changed_day, day: date) -> bool:
    """The same rule as expected_on_q, in Python (on with_dates' values)."""
    return (
        first_day <= day
        and (valid_until is None or day <= valid_until)
        and (state == Person.State.ACTIVE or (changed_day is not None and day < changed_day))
    )


# One person's history: (local day from which it holds, state, valid_from, valid_until),
# oldest first.
History = list[tuple[date, str, date | None, date | None]]


def histories_changed_after(people: QuerySet, day: date) -> dict[int, History]:
    """The people whose state or validity changed after `day` (a history entry after that
    day that is not their first), with their whole history. Everyone else had on every
    day from `day` on the state and dates their record has now."""
    next_day = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    earlier = PersonStateChange.objects.filter(person_id=OuterRef("person_id")).filter(
        Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), pk__lt=OuterRef("pk"))
    )
    changed = PersonStateChange.objects.filter(
        person__in=people.order_by().values("pk"), at__gte=next_day
    ).filter(Exists(earlier))
    rows = (
        PersonStateChange.objects.filter(person_id__in=changed.values("person_id"))
        .order_by("person_id", "at", "pk")
        .values_list("person_id", "at", "state", "valid_from", "valid_until")
    )
    found: dict[int, History] = defaultdict(list)
    for pk, at, state, valid_from, valid_until in rows:
        found[pk].append((timezone.localdate(at), state, valid_from, valid_until))
    return dict(found)


def expected_by_history(history: History, created_day: date, day: date) -> bool:
    """Whether a person with this history (created on `created_day`) was expected on
    `day`: by the entry in force that day (before the first one, the first one)."""
    _since, state, valid_from, valid_until = history[0]
    for since, *entry in history:
        if since > day:
            break
        state, valid_from, valid_until = entry
    return (
        (valid_from or created_day) <= day
        and (valid_until is None or day <= valid_until)
        and state == Person.State.ACTIVE
    )


def changed_people(people: QuerySet, day: date) -> dict[int, tuple]:
    """histories_changed_after, with each person's school, kind and creation day:
    pk → (school id, kind, created day, history)."""
    histories = histories_changed_after(people, day)
    rows = Person.objects.filter(pk__in=list(histories)).values_list(
        "pk", "school_id", "kind", "created_at"
    )
    return {
        pk: (school_id, kind, timezone.localdate(created_at), histories[pk])
        for pk, school_id, kind, created_at in rows
    }


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
    whatever the number of people; only those whose state or validity changed within
    the days are followed one by one, through their history."""
    now = now or timezone.now()
    first = end - timedelta(days=days - 1)
    changed = changed_people(people, first)
    steady = people.exclude(pk__in=list(changed)) if changed else people
    dated = with_dates(steady)
    bucket_fields = ("school_id", "kind", "first_day", "valid_until", "state", "changed_day")
    buckets = list(dated.values_list(*bucket_fields).annotate(n=Count("pk")).order_by())
    school_ids = sorted({b[0] for b in buckets} | {c[0] for c in changed.values()})
    in_range = Checkin.objects.effective().filter(day__gte=first, day__lte=end)
    # The check-ins of the people expected on their day, one grouped query a day: the
    # rule in SQL leaves four columns to group by (grouping every check-in by the
    # person's dates and testing them here sorted 100,000 rows a day at 50,000 people).
    checked_groups = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        checked_groups += [
            (day, *row)
            for row in in_range.filter(day=day, person__in=steady)
            .filter(expected_on_q(day, prefix="person__"))
            .values_list("period", "colour", "person__school_id", "person__kind")
            .annotate(n=Count("pk"))
            .order_by()
        ]
    changed_checkins = in_range.filter(person_id__in=list(changed)).values_list(
        "person_id", "day", "period", "colour"
    )
    excused = excuses(first=first, last=end, people=people.values("pk"))
    excused_people = {
        p[0]: p[1:]
        for p in with_dates(
            Person.objects.filter(pk__in={k[0] for k in excused} - set(changed))
        ).values_list("pk", *bucket_fields)
    }
    checked_keys = set(
        Checkin.objects.effective()
        .filter(day__gte=first, day__lte=end, person_id__in=[*excused_people, *changed])
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

    def expected_changed(day, pk):
        _school, _kind, created_day, history = changed[pk]
        return expected_by_history(history, created_day, day)

    remaining: dict[tuple, int] = defaultdict(int)  # (day, period, school, kind) → people
    for school_id, kind, first_day, valid_until, state, changed_day, n in buckets:
        for (day, period), groups in windows.items():
            if (school_id, kind) in groups and expected(
                day, school_id, kind, first_day, valid_until, state, changed_day
            ):
                totals[day].expected += n
                remaining[(day, period, school_id, kind)] += n
    for pk, (school_id, kind, _created, _history) in changed.items():
        for (day, period), groups in windows.items():
            if (school_id, kind) in groups and expected_changed(day, pk):
                totals[day].expected += 1
                remaining[(day, period, school_id, kind)] += 1
    for day, period, colour, school_id, kind, n in checked_groups:
        if (school_id, kind) not in windows[(day, period)]:
            continue  # a check-in in a window the person was not expected in
        if colour in (Colour.GREEN, Colour.YELLOW, Colour.RED):
            setattr(totals[day], colour, getattr(totals[day], colour) + n)
            remaining[(day, period, school_id, kind)] -= n
    for pk, day, period, colour in changed_checkins:
        school_id, kind, _created, _history = changed[pk]
        if (school_id, kind) not in windows[(day, period)] or not expected_changed(day, pk):
            continue
        if colour in (Colour.GREEN, Colour.YELLOW, Colour.RED):
            setattr(totals[day], colour, getattr(totals[day], colour) + 1)
            remaining[(day, period, school_id, kind)] -= 1
    for pk, day, period in excused:
        if (pk, day, period) in checked_keys:
            continue
        if pk in changed:
            school_id, kind = changed[pk][:2]
            is_due = expected_changed(day, pk)
        elif pk in excused_people:
            school_id, kind, *dates = excused_people[pk]
            is_due = expected(day, school_id, kind, *dates)
        else:
            continue
        if (school_id, kind) in windows[(day, period)] and is_due:
            totals[day].excused += 1
            remaining[(day, period, school_id, kind)] -= 1
    for (day, period, school_id, kind), n in remaining.items():
        state = pending_state(windows[(day, period)][(school_id, kind)], now)
        if state == State.MISSED:
            totals[day].missed += n
        else:
            totals[day].pending += n
    return Trend(result)
