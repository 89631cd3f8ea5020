"""Consecutive class absences as an anomaly case for the class adviser (R6.4).

A student absent without leave from `anomaly_class_absences` class sessions in a row (of
the sessions closed in the last `anomaly_class_days` days) is a hit. A session excused by
an approved leave (or isolation) and a cancelled session neither count nor break the run;
a session attended (present, late, left early) ends it. Only closed sessions are read: the
close job has then marked everyone, absent or excused by their approved leave, so a
student not yet on the class list when the session was held counts nowhere.
"""

from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Case, Count, Exists, F, OuterRef, Sum, Value, When, Window
from django.db.models.expressions import RowRange
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campuscode.anomalies.detectors import Hit
from campuscode.anomalies.registry import Detector, register
from campuscode.attendance.models import Direction, Mark, Session, Status
from campuscode.core.rules import get_setting
from campuscode.people.access import Cap

KIND = "class_absences"


def _hit(person_id: int, run: list[tuple[int, datetime]]) -> Hit:
    lessons = [
        {"session": pk, "day": timezone.localdate(starts_at).isoformat()} for pk, starts_at in run
    ]
    days = sorted({date.fromisoformat(lesson["day"]) for lesson in lessons})
    return Hit(person_id, KIND, days, {"sessions": lessons})


def detect_class_absences(*, school_id: int, now: datetime) -> list[Hit]:
    """Gaps and islands in SQL: over each student's marks in order, leaving out the excused
    ones, `breaks` counts the attended sessions so far, so the absences between two
    attended sessions share one value and are one run. Only the absences of runs of at
    least n come back to Python.

    Why (bench/attendance_scale.py, 50,000 people, 3.5 million marks): reading every mark
    of each student with n absences in the window into Python (about a million rows) took
    6 s; this returns the few hundred absences of the runs."""
    n = get_setting("anomaly_class_absences", school_id)
    since = now - timedelta(days=get_setting("anomaly_class_days", school_id))
    # The current marks (Mark.objects.current()) written for the planner: the session's
    # conditions on the join that also gives its start, and "not corrected" as NOT EXISTS
    # over the few corrections (read from supersedes' unique index). As current() and
    # `session__in` PostgreSQL probed three indexes for each of a million marks.
    marks = Mark.objects.filter(
        ~Exists(Mark.objects.filter(supersedes__isnull=False, supersedes=OuterRef("pk"))),
        direction=Direction.IN,
        session__school_id=school_id,
        session__kind=Session.Kind.CLASS,
        session__cancelled_at__isnull=True,
        session__closed_at__isnull=False,
        session__ends_at__lte=now,
        session__starts_at__gte=since,
    )
    # Only students with n absences in the window can have a run of n: one grouped count
    # first keeps the window function to their marks.
    suspects = (
        marks.filter(status=Status.ABSENT)
        .order_by()
        .values("person_id")
        .annotate(absences=Count("pk"))
        .filter(absences__gte=n)
        .values("person_id")
    )
    attended = Case(When(status=Status.ABSENT, then=Value(0)), default=Value(1))
    numbered = (
        marks.filter(person_id__in=suspects)
        .exclude(status=Status.EXCUSED)  # neither counts nor breaks a run
        .order_by()
        .annotate(
            who=F("person_id"),
            lesson=F("session_id"),
            begins=F("session__starts_at"),
            mark=F("pk"),
            absent=Value(1) - attended,
            breaks=Window(
                Sum(attended),
                partition_by=[F("person_id")],
                order_by=[F("session__starts_at").asc(), F("session_id").asc(), F("pk").asc()],
                frame=RowRange(start=None, end=0),
            ),
        )
        .values("who", "lesson", "begins", "mark", "absent", "breaks")
    )
    inner, params = numbered.query.sql_with_params()
    query = f"""
        SELECT who, breaks, lesson FROM (
            SELECT who, breaks, lesson, begins, mark,
                   COUNT(*) OVER (PARTITION BY who, breaks) AS length
            FROM ({inner}) numbered
            WHERE absent = 1
        ) runs
        WHERE length >= %s
        ORDER BY who, begins, lesson, mark
    """  # noqa: S608 (inner is Django's own SQL with its parameters)
    with connection.cursor() as cursor:
        cursor.execute(query, [*params, n])
        rows = cursor.fetchall()
    # in_bulk: batched where the database limits the parameters of one query (SQLite).
    held = Session.objects.only("starts_at").in_bulk({lesson for _who, _breaks, lesson in rows})
    runs: dict[tuple[int, int], list[tuple[int, datetime]]] = {}
    for who, breaks, lesson in rows:
        runs.setdefault((who, breaks), []).append((lesson, held[lesson].starts_at))
    return [_hit(who, run) for (who, _breaks), run in runs.items()]


def merge(old: dict, new: dict) -> dict:
    """An open case takes the run's later absences."""
    known = {lesson["session"] for lesson in old.get("sessions", [])}
    added = [lesson for lesson in new.get("sessions", []) if lesson["session"] not in known]
    return {**old, "sessions": [*old.get("sessions", []), *added]}


def after_closed(hit: Hit, closed, school_id: int) -> Hit | None:
    """After a closed case only the absences on later days count, and they must again be
    a run long enough."""
    lessons = [s for s in hit.detail["sessions"] if s["day"] > closed.last_day.isoformat()]
    if len(lessons) < get_setting("anomaly_class_absences", school_id):
        return None
    days = sorted({date.fromisoformat(lesson["day"]) for lesson in lessons})
    return Hit(hit.person_id, hit.kind, days, {"sessions": lessons})


def evidence_lines(case) -> list[str]:
    lessons = (case.detail or {}).get("sessions", [])
    sessions = Session.objects.filter(pk__in=[s["session"] for s in lessons]).order_by(
        "starts_at", "pk"
    )
    lines = [
        _("Absent without leave from %(n)s class sessions in a row:") % {"n": len(lessons)},
    ]
    for session in sessions:
        start = timezone.localtime(session.starts_at)
        lines.append(
            _("%(day)s %(time)s %(title)s%(place)s: absent.")
            % {
                "day": _("%(month)s/%(day)s") % {"month": start.month, "day": start.day},
                "time": f"{start:%H:%M}",
                "title": session.title,
                "place": f"（{session.place}）" if session.place else "",
            }
        )
    lines.append(
        _("Sessions excused by an approved leave and cancelled sessions are already left out.")
    )
    return lines


def register_all() -> None:
    register(
        Detector(
            kind=KIND,
            label=gettext_lazy("Class absences in a row"),
            detect=detect_class_absences,
            duty=Cap.APPROVE_REQUESTS,  # the class adviser (and the department)
            evidence=evidence_lines,
            one_open=False,  # separate runs are separate cases
            after_closed=after_closed,
            merge=merge,
        )
    )
