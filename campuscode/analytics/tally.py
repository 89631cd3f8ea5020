"""checkins.tally.trend, for every unit at once (R6.3).

The same rules, the same helpers, one grouped pass for a whole school instead of one pass
per unit: the summaries of 1,500 classes would otherwise ask for each class's windows of
each day again. tests/test_tally.py checks it equals checkins.tally.trend unit by unit.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from campuscode.checkins.models import Checkin, Period
from campuscode.checkins.tally import (
    DayTotals,
    State,
    changed_people,
    excuses,
    expected_by_history,
    is_expected,
    pending_state,
    window_groups,
    with_dates,
)
from campuscode.codes.tokens import Colour
from campuscode.people.models import Person

CHECKED = (Colour.GREEN, Colour.YELLOW, Colour.RED)


class Windows:
    """window_groups per (day, period), asked once per refresh."""

    def __init__(self, school_ids):
        self.school_ids = sorted(school_ids)
        self._found: dict[tuple[date, str], dict] = {}

    def __call__(self, day: date, period: str) -> dict:
        key = (day, period)
        if key not in self._found:
            self._found[key] = window_groups(day, period, self.school_ids)
        return self._found[key]


def trend_by_unit(
    *, people: QuerySet, first: date, last: date, now: datetime | None = None, windows=None
) -> dict[int, dict[date, DayTotals]]:
    """unit id → day → DayTotals of the unit's own people among `people`."""
    now = now or timezone.now()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    changed = changed_people(people, first)
    unit_of_changed = dict(
        Person.objects.filter(pk__in=list(changed)).values_list("pk", "org_unit_id")
    )
    steady = people.exclude(pk__in=list(changed)) if changed else people
    fields = ("school_id", "kind", "first_day", "valid_until", "state", "changed_day")
    buckets = list(
        with_dates(steady).values_list("org_unit_id", *fields).annotate(n=Count("pk")).order_by()
    )
    school_ids = {b[1] for b in buckets} | {c[0] for c in changed.values()}
    windows = windows or Windows(school_ids)
    in_range = Checkin.objects.effective().filter(day__gte=first, day__lte=last)
    checked_groups = (
        with_dates(in_range.filter(person__in=steady), prefix="person__")
        .values_list(
            "person__org_unit_id",
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
    changed_checkins = in_range.filter(person_id__in=list(changed)).values_list(
        "person_id", "day", "period", "colour"
    )
    excused = excuses(first=first, last=last, people=people.values("pk"))
    excused_people = {
        p[0]: p[1:]
        for p in with_dates(
            Person.objects.filter(pk__in={k[0] for k in excused} - set(changed))
        ).values_list("pk", "org_unit_id", *fields)
    }
    checked_keys = set(
        Checkin.objects.effective()
        .filter(day__gte=first, day__lte=last, person_id__in=[*excused_people, *changed])
        .values_list("person_id", "day", "period")
    )
    totals: dict[int, dict[date, DayTotals]] = {}

    def totals_of(unit_id: int) -> dict[date, DayTotals]:
        if unit_id not in totals:
            totals[unit_id] = {day: DayTotals(day) for day in days}
        return totals[unit_id]

    def expected(day, first_day, valid_until, state, changed_day) -> bool:
        return is_expected(
            first_day=first_day,
            valid_until=valid_until,
            state=state,
            changed_day=changed_day,
            day=day,
        )

    def expected_changed(day, pk) -> bool:
        _school, _kind, created_day, history = changed[pk]
        return expected_by_history(history, created_day, day)

    remaining: dict[tuple, int] = defaultdict(int)  # (unit, day, period, school, kind) → people
    for unit_id, school_id, kind, *dates, n in buckets:
        per_day = totals_of(unit_id)
        for day in days:
            if not expected(day, *dates):
                continue
            for period in Period.values:
                if (school_id, kind) in windows(day, period):
                    per_day[day].expected += n
                    remaining[(unit_id, day, period, school_id, kind)] += n
    for pk, (school_id, kind, _created, _history) in changed.items():
        unit_id = unit_of_changed[pk]
        per_day = totals_of(unit_id)
        for day in days:
            for period in Period.values:
                if (school_id, kind) in windows(day, period) and expected_changed(day, pk):
                    per_day[day].expected += 1
                    remaining[(unit_id, day, period, school_id, kind)] += 1
    for unit_id, day, period, colour, school_id, kind, *dates, n in checked_groups:
        if (school_id, kind) not in windows(day, period) or not expected(day, *dates):
            continue  # a check-in in a window the person was not expected in
        if colour in CHECKED:
            row = totals_of(unit_id)[day]
            setattr(row, colour, getattr(row, colour) + n)
            remaining[(unit_id, day, period, school_id, kind)] -= n
    for pk, day, period, colour in changed_checkins:
        school_id, kind, _created, _history = changed[pk]
        if (school_id, kind) not in windows(day, period) or not expected_changed(day, pk):
            continue
        if colour in CHECKED:
            unit_id = unit_of_changed[pk]
            row = totals_of(unit_id)[day]
            setattr(row, colour, getattr(row, colour) + 1)
            remaining[(unit_id, day, period, school_id, kind)] -= 1
    for pk, day, period in excused:
        if (pk, day, period) in checked_keys:
            continue
        if pk in changed:
            school_id, kind = changed[pk][:2]
            unit_id = unit_of_changed[pk]
            is_due = expected_changed(day, pk)
        elif pk in excused_people:
            unit_id, school_id, kind, *dates = excused_people[pk]
            is_due = expected(day, *dates)
        else:
            continue
        if (school_id, kind) in windows(day, period) and is_due:
            totals_of(unit_id)[day].excused += 1
            remaining[(unit_id, day, period, school_id, kind)] -= 1
    for (unit_id, day, period, school_id, kind), n in remaining.items():
        state = pending_state(windows(day, period)[(school_id, kind)], now)
        if state == State.MISSED:
            totals_of(unit_id)[day].missed += n
        else:
            totals_of(unit_id)[day].pending += n
    return totals
