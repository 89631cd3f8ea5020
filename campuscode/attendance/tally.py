"""Class attendance counted per unit and day, for the dashboards' summary table (R6.3).

The rule is the reports' (selectors.summaries): a class session counts once it has ended
(cancelled ones never); each student it expected (engine.expected_people: active students
of its classes) counts with their current sign-in mark, or as unmarked when there is none
(the reports count unmarked as absent). A student is counted under their own unit on the
session's local day. tests/test_analysis.py checks it equals a recount through the engine,
session by session.

Why not engine.tally per session: a school of 50,000 has thousands of sessions a day;
this asks for the day's sessions, their classes' students and their marks in three
queries per day instead of three per session.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from campuscode.attendance.models import Direction, Mark, Session
from campuscode.people.models import OrgUnit, Person

UNMARKED = "unmarked"


class Count:
    """Counts of one unit's day: statuses (and unmarked) of person × session."""

    __slots__ = ("people", "statuses")

    def __init__(self):
        self.people: set[int] = set()
        self.statuses: dict[str, int] = defaultdict(int)


def _members(school_id: int):
    """unit id → ids of the active students under it (its subtree), asked lazily."""
    students: dict[int, list[int]] = defaultdict(list)
    for pk, unit_id in Person.objects.filter(
        school_id=school_id, kind=Person.Kind.STUDENT, state=Person.State.ACTIVE
    ).values_list("pk", "org_unit_id"):
        students[unit_id].append(pk)
    paths = dict(OrgUnit.objects.filter(pk__in=list(students)).values_list("pk", "path"))
    cache: dict[int, list[int]] = {}

    def members(unit_id: int) -> list[int]:
        if unit_id not in cache:
            prefix = paths.get(unit_id) or (
                OrgUnit.objects.filter(pk=unit_id).values_list("path", flat=True).first() or "\0"
            )
            cache[unit_id] = [
                pk
                for under, path in paths.items()
                if path.startswith(prefix)
                for pk in students[under]
            ]
        return cache[unit_id]

    unit_of = {pk: unit_id for unit_id, pks in students.items() for pk in pks}
    return members, unit_of


def count_days(
    *, school_id: int, first: date, last: date, now: datetime | None = None
) -> dict[tuple[int, date], Count]:
    """(student's unit id, day) → Count, for the class sessions of `first`..`last` that
    ended by `now`."""
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    members, unit_of = _members(school_id)
    found: dict[tuple[int, date], Count] = {}
    day = first
    while day <= last:  # a day at a time: memory stays flat over a month
        start = timezone.make_aware(datetime.combine(day, time.min), zone)
        sessions = Session.objects.filter(
            school_id=school_id,
            kind=Session.Kind.CLASS,
            cancelled_at__isnull=True,
            starts_at__gte=start,
            starts_at__lt=start + timedelta(days=1),
            ends_at__lte=now,
        )
        units: dict[int, set[int]] = defaultdict(set)
        for pk, unit_id in sessions.values_list("pk", "unit_id"):
            units[pk] = {unit_id} if unit_id else set()
        for pk, unit_id in Session.extra_units.through.objects.filter(
            session__in=sessions
        ).values_list("session_id", "orgunit_id"):
            units[pk].add(unit_id)
        marks = {
            (session_id, person_id): status
            for session_id, person_id, status in Mark.objects.current()
            .filter(session__in=sessions, direction=Direction.IN)
            .order_by("pk")
            .values_list("session_id", "person_id", "status")
        }
        for session_id, session_units in units.items():
            expected = {pk for unit_id in session_units for pk in members(unit_id)}
            for person_id in expected:
                count = found.get((unit_of[person_id], day))
                if count is None:
                    count = found[(unit_of[person_id], day)] = Count()
                count.people.add(person_id)
                count.statuses[marks.get((session_id, person_id), UNMARKED)] += 1
        day += timedelta(days=1)
    return found
