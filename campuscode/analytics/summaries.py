"""Rebuilding the summary tables for a range of days (R6.3).

`refresh_summaries` recounts each unit's own people with the same rules as the check-in
lists (checkins.tally: who was expected, excused, missed) and replaces the range's rows,
so a rerun, or a run after a late make-up or approval, leaves exactly what a fresh count
of the raw tables gives. One tally per unit keeps it simple and correct; a school of
50,000 people in ~1,500 units recounts a day in seconds (bench/), which the beat job does
every few minutes for today and yesterday.
"""

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from campuscode.analytics.models import DailyUnitSummary, GateHourSummary
from campuscode.checkins.models import Checkin, Period, Symptom, Via
from campuscode.checkins.tally import is_expected, trend, window_groups, with_dates
from campuscode.core.rules import get_setting
from campuscode.people.models import OrgUnit, Person

CHUNK = 2000


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def units_with_people(school: OrgUnit | None = None) -> list[OrgUnit]:
    """The units people belong to directly (visitors aside: they have no windows)."""
    people = Person.objects.exclude(kind=Person.Kind.VISITOR)
    if school is not None:
        people = people.filter(school=school)
    ids = people.order_by().values("org_unit_id").distinct()
    return list(OrgUnit.objects.filter(pk__in=ids).order_by("path"))


def count_unit(unit: OrgUnit, first: date, last: date, *, now: datetime | None = None) -> list:
    """The unsaved DailyUnitSummary rows of `unit`'s own people from `first` to `last`."""
    from campuscode.followup.models import Isolation

    now = now or timezone.now()
    school_id = unit.school_id
    people = Person.objects.filter(org_unit=unit).exclude(kind=Person.Kind.VISITOR)
    days = days_between(first, last)
    tally = {row.day: row for row in trend(people=people, end=last, days=len(days), now=now).days}

    headcount: Counter = Counter()
    for first_day, valid_until, state, changed_day, n in (
        with_dates(people)
        .values_list("first_day", "valid_until", "state", "changed_day")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        for day in days:
            if is_expected(
                first_day=first_day,
                valid_until=valid_until,
                state=state,
                changed_day=changed_day,
                day=day,
            ):
                headcount[day] += n

    fever_from = float(get_setting("health_yellow_temperature", school_id))
    extras: dict[date, dict] = defaultdict(lambda: defaultdict(float))
    symptom_counts: dict[date, Counter] = defaultdict(Counter)
    sensitive_people: dict[tuple[date, str], set] = defaultdict(set)
    checked_keys = set()
    checkins = Checkin.objects.effective().filter(person__in=people, day__gte=first, day__lte=last)
    for pk, day, period, via, temperature, symptoms, colour in checkins.values_list(
        "person_id", "day", "period", "via", "temperature", "symptoms", "colour"
    ).order_by():
        checked_keys.add((pk, day, period))
        row = extras[day]
        codes = [code for code in (symptoms or []) if code in Symptom.values]
        row["manual"] += via == Via.MANUAL
        row["makeup"] += via == Via.MAKEUP
        fever = float(temperature) >= fever_from or Symptom.FEVER in codes
        row["fever"] += fever
        row["symptomatic"] += bool(codes)
        for name, flag in (
            ("fever", fever),
            ("symptomatic", bool(codes)),
            ("red", colour == "red"),
        ):
            if flag:
                sensitive_people[(day, name)].add(pk)
        row["temp_sum"] += float(temperature)
        row["temp_count"] += 1
        symptom_counts[day].update(codes)

    # Of the excused windows, those of people in isolation or observation (the rest are
    # approved advance reports); the same windows the tally excused.
    isolated: Counter = Counter()
    kinds = dict(people.values_list("pk", "kind"))
    groups = {
        (day, period): window_groups(day, period, [school_id])
        for day in days
        for period in Period.values
    }
    for person_id, starts_on, ended_at in (
        Isolation.objects.filter(person__in=people, starts_on__lte=last)
        .exclude(ended_at__date__lt=first)
        .values_list("person_id", "starts_on", "ended_at")
    ):
        end = min(timezone.localdate(ended_at) if ended_at else last, last)
        for day in days_between(max(starts_on, first), end):
            for period in Period.values:
                if (school_id, kinds.get(person_id)) in groups[(day, period)] and (
                    person_id,
                    day,
                    period,
                ) not in checked_keys:
                    isolated[day] += 1
                    sensitive_people[(day, "isolated")].add(person_id)

    rows = []
    for day in days:
        t, extra = tally[day], extras.get(day, {})
        rows.append(
            DailyUnitSummary(
                school_id=school_id,
                unit=unit,
                day=day,
                people=headcount[day],
                expected=t.expected,
                green=t.green,
                yellow=t.yellow,
                red=t.red,
                excused=t.excused,
                isolated=min(isolated[day], t.excused),
                missed=t.missed,
                pending=t.pending,
                manual=int(extra.get("manual", 0)),
                makeup=int(extra.get("makeup", 0)),
                fever=int(extra.get("fever", 0)),
                symptomatic=int(extra.get("symptomatic", 0)),
                temp_sum=round(extra.get("temp_sum", 0.0), 1),
                temp_count=int(extra.get("temp_count", 0)),
                symptoms=dict(sorted(symptom_counts[day].items())),
                red_people=len(sensitive_people[(day, "red")]),
                isolated_people=len(sensitive_people[(day, "isolated")]),
                fever_people=len(sensitive_people[(day, "fever")]),
                symptomatic_people=len(sensitive_people[(day, "symptomatic")]),
                refreshed_at=now,
            )
        )
    return rows


def refresh_units(
    first: date, last: date, *, school: OrgUnit | None = None, now: datetime | None = None
) -> int:
    """Replace the DailyUnitSummary rows from `first` to `last`; the number written."""
    now = now or timezone.now()
    units = units_with_people(school)
    written = 0
    for unit in units:
        rows = count_unit(unit, first, last, now=now)
        # Why delete then insert: the range's rows are exactly the fresh count, whatever
        # was there (a day whose windows were cancelled since leaves no stale row).
        with transaction.atomic():
            DailyUnitSummary.objects.filter(unit=unit, day__gte=first, day__lte=last).delete()
            DailyUnitSummary.objects.bulk_create(rows, batch_size=CHUNK)
        written += len(rows)
    gone = DailyUnitSummary.objects.filter(day__gte=first, day__lte=last).exclude(
        unit__in=[u.pk for u in units]
    )
    if school is not None:
        gone = gone.filter(school=school)
    gone.delete()  # units nobody belongs to any more
    return written


def refresh_gates(
    first: date, last: date, *, school: OrgUnit | None = None, now: datetime | None = None
) -> int:
    """Replace the GateHourSummary rows from `first` to `last`; the number written."""
    from campuscode.gates.models import Direction, GateEvent

    now = now or timezone.now()
    tz = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(first, time.min), tz)
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min), tz)
    events = GateEvent.objects.filter(at__gte=start, at__lt=end)
    if school is not None:
        events = events.filter(place__campus__path__startswith=school.path)
    counted = (
        events.annotate(local_day=TruncDate("at", tzinfo=tz), hour=ExtractHour("at", tzinfo=tz))
        .values("place_id", "local_day", "hour")
        .annotate(
            entries=Count("pk", filter=Q(allowed=True, direction=Direction.IN)),
            exits=Count("pk", filter=Q(allowed=True, direction=Direction.OUT)),
            refused=Count("pk", filter=Q(allowed=False)),
        )
        .order_by()
    )
    rows = [
        GateHourSummary(
            place_id=row["place_id"],
            day=row["local_day"],
            hour=row["hour"],
            entries=row["entries"],
            exits=row["exits"],
            refused=row["refused"],
            refreshed_at=now,
        )
        for row in counted
    ]
    with transaction.atomic():
        old = GateHourSummary.objects.filter(day__gte=first, day__lte=last)
        if school is not None:
            old = old.filter(place__campus__path__startswith=school.path)
        old.delete()
        GateHourSummary.objects.bulk_create(rows, batch_size=CHUNK)
    return len(rows)


def refresh_summaries(
    *,
    since: date,
    until: date | None = None,
    school: OrgUnit | None = None,
    now: datetime | None = None,
) -> int:
    """Rebuild both summary tables from `since` to `until` (default today); idempotent.
    The number of rows written."""
    now = now or timezone.now()
    until = until or timezone.localdate(now)
    if since > until:
        return 0
    return refresh_units(since, until, school=school, now=now) + refresh_gates(
        since, until, school=school, now=now
    )
