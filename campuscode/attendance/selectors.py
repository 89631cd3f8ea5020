"""Reads of attendance, always through the access layer (R6.6).

A teacher reads the sessions they run (engine.may_run); holders of VIEW_ATTENDANCE (an
adviser: their class; a department admin: their department; the academic office and the
supervision group: their scope) read sessions of classes in their scope and the marks of
people in it. The reports count an unmarked student of an ended session as absent.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from campuscode.attendance import engine
from campuscode.attendance.models import Direction, Mark, Session, Status
from campuscode.people.access import Cap, has_capability, scope_q
from campuscode.people.models import Person


def sessions_viewable(user) -> QuerySet:
    """Sessions the user runs, or whose class lies in their VIEW_ATTENDANCE scope."""
    if user is None or not user.is_authenticated:
        return Session.objects.none()
    q = Q(owner=user)
    if has_capability(user, Cap.VIEW_ATTENDANCE):
        q |= scope_q(user, Cap.VIEW_ATTENDANCE, unit="unit", kind=None)
        q |= scope_q(user, Cap.VIEW_ATTENDANCE, unit="extra_units", kind=None)
    return Session.objects.filter(q).distinct()


def may_view(user, session: Session) -> bool:
    return engine.may_run(user, session) or sessions_viewable(user).filter(pk=session.pk).exists()


def visible_people(user, session: Session) -> QuerySet:
    """Whom of a session's list the user may read: all of it for who runs it, else the
    people of their VIEW_ATTENDANCE scope."""
    people = engine.expected_people(session).select_related("org_unit")
    if engine.may_run(user, session):
        return people
    return people.filter(scope_q(user, Cap.VIEW_ATTENDANCE))


@dataclass
class RollRow:
    person: Person
    mark: Mark | None
    out: Mark | None = None

    @property
    def status(self) -> str:
        return self.mark.status if self.mark else ""


def roll(session: Session, people) -> list[RollRow]:
    marks = engine.current_marks(session)
    outs = engine.current_marks(session, Direction.OUT)
    return [RollRow(p, marks.get(p.pk), outs.get(p.pk)) for p in people]


@dataclass
class Summary:
    person: Person
    sessions: int = 0
    counts: dict = field(default_factory=lambda: {s: 0 for s in Status.values})
    unmarked: int = 0
    run: int = 0  # absences in a row, most recent first
    latest_absence: Session | None = None
    run_first: Session | None = None  # the earliest absence of the current run

    @property
    def absent(self) -> int:
        """Unmarked counts as absent (the reports' explicit rule)."""
        return self.counts[Status.ABSENT] + self.unmarked

    @property
    def attended(self) -> int:
        return sum(self.counts[s] for s in (Status.PRESENT, Status.LATE, Status.LEFT_EARLY))

    @property
    def rate(self) -> int | None:
        """Attended over sessions held, excused ones left out; None when none held."""
        held = self.sessions - self.counts[Status.EXCUSED]
        return round(100 * self.attended / held) if held > 0 else None


def summaries(sessions, people: QuerySet, *, now: datetime | None = None) -> list[Summary]:
    """Per person of `people`, their attendance over the ended `sessions` (in order)."""
    now = now or timezone.now()
    people = list(people.select_related("org_unit"))
    by_id = {p.pk: Summary(p) for p in people}
    ended = [s for s in sessions if s.ends_at <= now and not s.cancelled_at]
    ended.sort(key=lambda s: s.starts_at)
    open_runs = set(by_id)
    for session in reversed(ended):  # newest first, for the run of absences
        expected = set(engine.expected_people(session).values_list("pk", flat=True)) & set(by_id)
        marks = {
            m.person_id: m
            for m in Mark.objects.current().filter(
                session=session, direction=Direction.IN, person_id__in=expected
            )
        }
        for person_id in expected:
            summary = by_id[person_id]
            summary.sessions += 1
            mark = marks.get(person_id)
            if mark is None:
                summary.unmarked += 1
                absent = True
            else:
                summary.counts[mark.status] += 1
                absent = mark.status == Status.ABSENT
            if person_id in open_runs:
                if absent:
                    summary.run += 1
                    summary.latest_absence = summary.latest_absence or session
                    summary.run_first = session
                elif mark.status != Status.EXCUSED:
                    open_runs.discard(person_id)
    return [by_id[p.pk] for p in people]


def marks_of(person: Person) -> QuerySet:
    return (
        Mark.objects.current()
        .filter(person=person, direction=Direction.IN, session__cancelled_at__isnull=True)
        .select_related("session", "session__course", "recorded_by")
        .order_by("-session__starts_at")
    )
