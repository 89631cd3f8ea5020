"""Consecutive class absences as an anomaly case for the class adviser (R6.4).

A student absent without leave from `anomaly_class_absences` class sessions in a row (of
the sessions closed in the last `anomaly_class_days` days) is a hit. A session excused by
an approved leave (or isolation) and a cancelled session neither count nor break the run;
a session attended (present, late, left early) ends it. Only closed sessions are read: the
close job has then marked everyone, absent or excused by their approved leave, so a
student not yet on the class list when the session was held counts nowhere.
"""

from datetime import date, datetime, timedelta

from django.db.models import Count
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
    n = get_setting("anomaly_class_absences", school_id)
    since = now - timedelta(days=get_setting("anomaly_class_days", school_id))
    sessions = Session.objects.filter(
        school_id=school_id,
        kind=Session.Kind.CLASS,
        cancelled_at__isnull=True,
        closed_at__isnull=False,
        ends_at__lte=now,
        starts_at__gte=since,
    )
    marks = Mark.objects.current().filter(session__in=sessions, direction=Direction.IN)
    # Only students with n absences in the window can have a run of n: one grouped count
    # instead of every mark of the school in Python.
    suspects = (
        marks.filter(status=Status.ABSENT)
        .values("person_id")
        .annotate(absences=Count("pk"))
        .filter(absences__gte=n)
        .values("person_id")
    )
    rows = (
        marks.filter(person_id__in=suspects)
        .order_by("person_id", "session__starts_at", "session_id", "pk")
        .values_list("person_id", "session_id", "session__starts_at", "status")
    )
    hits: list[Hit] = []
    person, run = None, []
    for person_id, session_id, starts_at, status in rows:
        if person_id != person:
            if len(run) >= n:
                hits.append(_hit(person, run))
            person, run = person_id, []
        if status == Status.ABSENT:
            run.append((session_id, starts_at))
        elif status != Status.EXCUSED:
            if len(run) >= n:
                hits.append(_hit(person, run))
            run = []
    if len(run) >= n:
        hits.append(_hit(person, run))
    return hits


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
