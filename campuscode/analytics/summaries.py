"""Rebuilding the summary tables for a range of days (R6.3).

`refresh_summaries` recounts each unit's own people with the same rules as the check-in
lists (checkins.tally: who was expected, excused, missed; here grouped by unit in one pass,
analytics.tally) and replaces the range's rows, so a rerun, or a run after a late make-up
or approval, leaves exactly what a fresh count of the raw tables gives. The beat job does
it every ten minutes for today and yesterday, and nightly for the past week.
"""

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from campuscode.analytics.models import (
    DailyAttendanceSummary,
    DailyUnitSummary,
    GateHourSummary,
)
from campuscode.analytics.tally import Windows, trend_by_unit
from campuscode.checkins.models import Checkin, Period, Symptom, Via
from campuscode.checkins.tally import is_expected, with_dates
from campuscode.core.rules import get_setting
from campuscode.people.models import OrgUnit, Person

CHUNK = 2000


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def count_school(
    school: OrgUnit, first: date, last: date, *, now: datetime | None = None
) -> list[DailyUnitSummary]:
    """The unsaved DailyUnitSummary rows of every unit of `school` from `first` to `last`."""
    from campuscode.followup.models import Isolation

    now = now or timezone.now()
    people = Person.objects.filter(school=school).exclude(kind=Person.Kind.VISITOR)
    days = days_between(first, last)
    windows = Windows([school.pk])
    tallies = trend_by_unit(people=people, first=first, last=last, now=now, windows=windows)

    headcount: Counter = Counter()  # (unit, day) → people expected
    for unit_id, first_day, valid_until, state, changed_day, n in (
        with_dates(people)
        .values_list("org_unit_id", "first_day", "valid_until", "state", "changed_day")
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
                headcount[(unit_id, day)] += n

    # The day's check-ins, counted by the database; the few with a fever or a symptom are
    # looked at one by one (symptoms are a JSON list, counted alike on SQLite and PG).
    fever_from = Decimal(str(get_setting("health_yellow_temperature", school)))
    checkins = Checkin.objects.effective().filter(person__in=people, day__gte=first, day__lte=last)
    extras = {
        (row["person__org_unit_id"], row["day"]): row
        for row in checkins.values("person__org_unit_id", "day")
        .annotate(
            manual=Count("pk", filter=Q(via=Via.MANUAL)),
            makeup=Count("pk", filter=Q(via=Via.MAKEUP)),
            temp_sum=Sum("temperature"),
            temp_count=Count("pk"),
            red_people=Count("person", distinct=True, filter=Q(colour="red")),
        )
        .order_by()
    }
    sick = defaultdict(Counter)  # (unit, day) → fever, symptomatic, symptom codes
    sick_people: dict[tuple, set] = defaultdict(set)  # (unit, day, what) → person ids
    for unit_id, day, pk, temperature, symptoms in (
        checkins.filter(Q(temperature__gte=fever_from) | ~Q(symptoms=[]))
        .values_list("person__org_unit_id", "day", "person_id", "temperature", "symptoms")
        .order_by()
    ):
        codes = [code for code in (symptoms or []) if code in Symptom.values]
        fever = temperature >= fever_from or Symptom.FEVER in codes
        counts = sick[(unit_id, day)]
        counts["fever"] += fever
        counts["symptomatic"] += bool(codes)
        counts.update(f"symptom:{code}" for code in codes)
        if fever:
            sick_people[(unit_id, day, "fever")].add(pk)
        if codes:
            sick_people[(unit_id, day, "symptomatic")].add(pk)

    # Of the excused windows, those of people in isolation or observation (the rest are
    # approved advance reports): the windows the tally excused for them.
    isolated: Counter = Counter()
    isolations = list(
        Isolation.objects.filter(person__in=people, starts_on__lte=last)
        .exclude(ended_at__date__lt=first)
        .values_list("person_id", "person__org_unit_id", "person__kind", "starts_on", "ended_at")
    )
    done = set(
        checkins.filter(person_id__in=[i[0] for i in isolations]).values_list(
            "person_id", "day", "period"
        )
    )
    for person_id, unit_id, kind, starts_on, ended_at in isolations:
        end = min(timezone.localdate(ended_at) if ended_at else last, last)
        for day in days_between(max(starts_on, first), end):
            for period in Period.values:
                if (school.pk, kind) in windows(day, period) and (
                    person_id,
                    day,
                    period,
                ) not in done:
                    isolated[(unit_id, day)] += 1
                    sick_people[(unit_id, day, "isolated")].add(person_id)

    rows = []
    for unit_id, per_day in sorted(tallies.items()):
        for day in days:
            t, extra, counts = per_day[day], extras.get((unit_id, day), {}), sick[(unit_id, day)]
            rows.append(
                DailyUnitSummary(
                    school_id=school.pk,
                    unit_id=unit_id,
                    day=day,
                    people=headcount[(unit_id, day)],
                    expected=t.expected,
                    green=t.green,
                    yellow=t.yellow,
                    red=t.red,
                    excused=t.excused,
                    isolated=min(isolated[(unit_id, day)], t.excused),
                    missed=t.missed,
                    pending=t.pending,
                    manual=extra.get("manual", 0),
                    makeup=extra.get("makeup", 0),
                    fever=counts["fever"],
                    symptomatic=counts["symptomatic"],
                    temp_sum=round(float(extra.get("temp_sum") or 0), 1),
                    temp_count=extra.get("temp_count", 0),
                    symptoms={
                        code: counts[f"symptom:{code}"]
                        for code in Symptom.values
                        if counts[f"symptom:{code}"]
                    },
                    red_people=extra.get("red_people", 0),
                    isolated_people=len(sick_people[(unit_id, day, "isolated")]),
                    fever_people=len(sick_people[(unit_id, day, "fever")]),
                    symptomatic_people=len(sick_people[(unit_id, day, "symptomatic")]),
                    refreshed_at=now,
                )
            )
    return rows


def refresh_units(
    first: date, last: date, *, school: OrgUnit | None = None, now: datetime | None = None
) -> int:
    """Replace the DailyUnitSummary rows from `first` to `last`; the number written."""
    now = now or timezone.now()
    schools = [school] if school else list(OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL))
    written = 0
    for one in schools:
        # A long range is counted a month at a time: memory stays flat for a year.
        start = first
        while start <= last:
            end = min(start + timedelta(days=30), last)
            rows = count_school(one, start, end, now=now)
            # Why delete then insert: the range's rows are exactly the fresh count,
            # whatever was there (a unit nobody belongs to any more leaves no stale row).
            with transaction.atomic():
                DailyUnitSummary.objects.filter(school=one, day__gte=start, day__lte=end).delete()
                DailyUnitSummary.objects.bulk_create(rows, batch_size=CHUNK)
            written += len(rows)
            start = end + timedelta(days=1)
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


def refresh_attendance(
    first: date, last: date, *, school: OrgUnit | None = None, now: datetime | None = None
) -> int:
    """Replace the DailyAttendanceSummary rows from `first` to `last`; the number written.

    Why a summary: 50,000 students at four class sessions a day make about 200,000 marks
    a day, tens of millions a term; a college's month must not count them per page view."""
    from campuscode.attendance.tally import UNMARKED, count_days

    now = now or timezone.now()
    schools = [school] if school else list(OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL))
    written = 0
    for one in schools:
        counted = count_days(school_id=one.pk, first=first, last=last, now=now)
        rows = [
            DailyAttendanceSummary(
                school_id=one.pk,
                unit_id=unit_id,
                day=day,
                people=len(count.people),
                due=sum(count.statuses.values()),
                present=count.statuses.get("present", 0),
                late=count.statuses.get("late", 0),
                left_early=count.statuses.get("left_early", 0),
                absent=count.statuses.get("absent", 0),
                excused=count.statuses.get("excused", 0),
                unmarked=count.statuses.get(UNMARKED, 0),
                refreshed_at=now,
            )
            for (unit_id, day), count in sorted(counted.items())
        ]
        with transaction.atomic():
            DailyAttendanceSummary.objects.filter(
                school=one, day__gte=first, day__lte=last
            ).delete()
            DailyAttendanceSummary.objects.bulk_create(rows, batch_size=CHUNK)
        written += len(rows)
    return written


def refresh_summaries(
    *,
    since: date,
    until: date | None = None,
    school: OrgUnit | None = None,
    now: datetime | None = None,
) -> int:
    """Rebuild the summary tables from `since` to `until` (default today); idempotent.
    The number of rows written."""
    now = now or timezone.now()
    until = until or timezone.localdate(now)
    if since > until:
        return 0
    return (
        refresh_units(since, until, school=school, now=now)
        + refresh_gates(since, until, school=school, now=now)
        + refresh_attendance(since, until, school=school, now=now)
    )
