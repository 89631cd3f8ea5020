"""Writes of class attendance beyond the engine: ad-hoc sessions, 补签 requests, late
corrections and the warnings (R2.4). Keyword-only, with the acting user."""

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscode.attendance import engine
from campuscode.attendance.engine import MarkRefused
from campuscode.attendance.models import (
    AttendanceWarning,
    Decision,
    Direction,
    MarkRequest,
    Method,
    Session,
    Status,
)
from campuscode.attendance.selectors import summaries
from campuscode.audit.services import log_action
from campuscode.core.rules import get_setting
from campuscode.notify.models import Kind
from campuscode.notify.services import notify
from campuscode.people.access import Cap, covers, covers_unit
from campuscode.people.models import OrgUnit, Person, Role, RoleAssignment


class ServiceRefused(Exception):
    MESSAGES = {
        "not_yours": _("This class is not in your scope."),
        "times": _("The session must end after it starts."),
        "too_late": _("Make-up sign-ins for this session can no longer be requested."),
        "not_started": _("This session has not started yet."),
        "already_present": _("You are already marked present or late for this session."),
        "pending": _("A request for this session is already waiting."),
        "not_decider": _("You cannot decide this request."),
        "decided": _("This request was already decided."),
        "no_reason": _("Give a reason."),
    }

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(self.MESSAGES[self.code])


def create_session(
    *,
    actor,
    client_ip: str | None,
    unit: OrgUnit,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    place: str = "",
) -> Session:
    """An ad-hoc class session (a make-up lesson, a seminar) run by the teacher."""
    if not covers_unit(actor, Cap.TAKE_ATTENDANCE, unit):
        raise ServiceRefused("not_yours")
    if ends_at <= starts_at:
        raise ServiceRefused("times")
    session = Session.objects.create(
        school_id=unit.school_id,
        kind=Session.Kind.CLASS,
        origin=Session.Origin.AD_HOC,
        title=title[:200],
        starts_at=starts_at,
        ends_at=ends_at,
        place=place[:100],
        unit=unit,
        owner=actor,
        created_by=actor,
    )
    log_action(
        action="attendance.session.created",
        actor=actor,
        client_ip=client_ip,
        data={"session": session.pk, "unit": unit.pk, "title": session.title},
    )
    return session


def _day(session: Session) -> str:
    return timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")


def file_makeup(
    *,
    session: Session,
    person: Person,
    actor,
    client_ip: str | None,
    reason: str,
    evidence_text: str = "",
    now: datetime | None = None,
) -> MarkRequest:
    """A student's 补签 request: "I was there", with what shows it; the teacher decides."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ServiceRefused("no_reason")
    if now < session.starts_at:
        raise ServiceRefused("not_started")
    days = get_setting("attendance_makeup_days", session.school_id)
    if now > session.ends_at + timedelta(days=days):
        raise ServiceRefused("too_late")
    if not engine.is_expected(session, person):
        raise ServiceRefused("not_yours")
    current = engine.current_marks(session).get(person.pk)
    if current and current.status in (Status.PRESENT, Status.LATE):
        raise ServiceRefused("already_present")
    try:
        with transaction.atomic():
            request = MarkRequest.objects.create(
                kind=MarkRequest.Kind.MAKEUP,
                session=session,
                person=person,
                status=Status.PRESENT,
                reason=reason[:300],
                evidence_text=(evidence_text or "")[:300],
                requested_by=actor,
                created_at=now,
            )
    except IntegrityError:
        raise ServiceRefused("pending") from None
    log_action(
        action="attendance.request.filed",
        actor=actor,
        client_ip=client_ip,
        subject=person,
        data={"session": session.pk, "request": request.pk},
    )
    if session.owner_id:
        notify(
            user=session.owner,
            kind=Kind.ATTENDANCE_REQUEST,
            data={"name": person.name, "title": session.title, "day": _day(session)},
            url=f"/attendance/sessions/{session.pk}/",
        )
    return request


def ask_late_correction(
    *,
    session: Session,
    person: Person,
    status: str,
    actor,
    client_ip: str | None,
    reason: str,
    leave_kind: str = "",
    now: datetime | None = None,
) -> MarkRequest:
    """A teacher's correction past the retro-edit limit: it waits for the department."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceRefused("no_reason")
    try:
        with transaction.atomic():
            request = MarkRequest.objects.create(
                kind=MarkRequest.Kind.LATE_CORRECTION,
                session=session,
                person=person,
                status=status,
                leave_kind=leave_kind if status == Status.EXCUSED else "",
                reason=reason[:300],
                requested_by=actor,
                created_at=now or timezone.now(),
            )
    except IntegrityError:
        raise ServiceRefused("pending") from None
    log_action(
        action="attendance.request.filed",
        actor=actor,
        client_ip=client_ip,
        subject=person,
        data={"session": session.pk, "request": request.pk, "kind": request.kind},
    )
    return request


def may_decide(user, request: MarkRequest) -> bool:
    if request.kind == MarkRequest.Kind.MAKEUP:
        return engine.may_run(user, request.session)
    return covers(user, Cap.APPROVE_ATTENDANCE, request.person) and request.requested_by != user


def decide_request(
    *,
    request: MarkRequest,
    actor,
    client_ip: str | None,
    approve: bool,
    note: str = "",
    now: datetime | None = None,
) -> MarkRequest:
    """Approve (a new mark naming the request) or reject; the student is told."""
    now = now or timezone.now()
    if not may_decide(actor, request):
        raise ServiceRefused("not_decider")
    with transaction.atomic():
        locked = MarkRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != Decision.PENDING:
            raise ServiceRefused("decided")
        mark = None
        if approve:
            mark = engine.correct_mark(
                locked.session,
                locked.person,
                status=locked.status,
                leave_kind=locked.leave_kind,
                actor=actor,
                client_ip=client_ip,
                reason=f"{locked.get_kind_display()}: {locked.reason}"[:300],
                method=Method.MAKEUP if locked.kind == MarkRequest.Kind.MAKEUP else Method.OVERRIDE,
                now=now,
                evidence={"request": locked.pk, "evidence": locked.evidence_text},
                skip_limit=locked.kind == MarkRequest.Kind.LATE_CORRECTION,
            )
        MarkRequest.objects.filter(pk=locked.pk).update(
            state=Decision.APPROVED if approve else Decision.REJECTED,
            decided_by=actor,
            decided_at=now,
            decision_note=(note or "")[:300],
            mark=mark,
        )
        locked.refresh_from_db()
    log_action(
        action="attendance.request.decided",
        actor=actor,
        client_ip=client_ip,
        subject=locked.person,
        data={"request": locked.pk, "approved": approve, "kind": locked.kind},
    )
    if locked.kind == MarkRequest.Kind.MAKEUP and locked.person.user_id:
        notify(
            person=locked.person,
            kind=Kind.ATTENDANCE_REQUEST,
            data={
                "decided": True,
                "title": locked.session.title,
                "day": _day(locked.session),
                "decision": str(locked.get_state_display()),
            },
            url="/attendance/mine/",
        )
    return locked


def correct_or_ask(
    *,
    session: Session,
    person: Person,
    status: str,
    actor,
    client_ip: str | None,
    reason: str,
    leave_kind: str = "",
    now: datetime | None = None,
):
    """The roll list's correction: applied at once within the retro-edit limit, after it
    sent to the department admin as a request. Returns the Mark or the MarkRequest."""
    try:
        return engine.correct_mark(
            session,
            person,
            status=status,
            leave_kind=leave_kind,
            actor=actor,
            client_ip=client_ip,
            reason=reason,
            now=now,
        )
    except MarkRefused as refused:
        if refused.code != engine.Refusal.TOO_OLD:
            raise
    return ask_late_correction(
        session=session,
        person=person,
        status=status,
        actor=actor,
        client_ip=client_ip,
        reason=reason,
        leave_kind=leave_kind,
        now=now,
    )


# --- warnings -------------------------------------------------------------------------------


def advisers_of(person: Person) -> list[User]:
    ids = [int(part) for part in person.org_unit.path.strip("/").split("/")]
    return list(
        User.objects.filter(
            pk__in=RoleAssignment.objects.filter(
                role=Role.CLASS_ADVISER, org_unit_id__in=ids
            ).values("user_id"),
            is_active=True,
        )
    )


def send_warnings(*, now: datetime | None = None, days: int = 120) -> dict:
    """Warn each student, and their class adviser, once: when their attendance rate falls
    below the school's threshold (after enough sessions), and for each run of absences in
    a row reaching the threshold. Unmarked sessions count as absent."""
    now = now or timezone.now()
    sent = {"rate": 0, "consecutive": 0}
    sessions = list(
        Session.objects.filter(
            kind=Session.Kind.CLASS,
            cancelled_at__isnull=True,
            ends_at__lte=now,
            ends_at__gte=now - timedelta(days=days),
        ).prefetch_related("extra_units")
    )
    unit_ids = {s.unit_id for s in sessions if s.unit_id}
    unit_ids |= {u.pk for s in sessions for u in s.extra_units.all()}
    units = OrgUnit.objects.filter(pk__in=unit_ids)
    for unit in units:
        school = unit.school_id
        people = Person.objects.filter(
            org_unit__path__startswith=unit.path,
            kind=Person.Kind.STUDENT,
            state=Person.State.ACTIVE,
        )
        theirs = [s for s in sessions if s.unit_id == unit.pk or unit in s.extra_units.all()]
        threshold = get_setting("attendance_warning_rate", school)
        minimum = get_setting("attendance_warning_min_sessions", school)
        run_limit = get_setting("attendance_consecutive_absences", school)
        for summary in summaries(theirs, people, now=now):
            person = summary.person
            if (
                summary.sessions >= minimum
                and summary.rate is not None
                and summary.rate < threshold
            ):
                data = {
                    "kind": "rate",
                    "name": person.name,
                    "rate": summary.rate,
                    "sessions": summary.sessions,
                    "threshold": threshold,
                }
                sent["rate"] += _warn(person, AttendanceWarning.Kind.RATE, f"u{unit.pk}", data, now)
            if summary.run >= run_limit and summary.latest_absence is not None:
                latest = summary.latest_absence
                data = {
                    "kind": "consecutive",
                    "name": person.name,
                    "count": summary.run,
                    "title": latest.title,
                    "day": timezone.localtime(latest.starts_at).strftime("%Y-%m-%d"),
                }
                # One warning per run of absences: keyed by the run's first session.
                key = f"s{summary.run_first.pk}"
                sent["consecutive"] += _warn(
                    person, AttendanceWarning.Kind.CONSECUTIVE, key, data, now
                )
    return sent


def _warn(person: Person, kind: str, key: str, data: dict, now: datetime) -> int:
    try:
        with transaction.atomic():
            AttendanceWarning.objects.create(
                person=person, kind=kind, key=key, data=data, created_at=now
            )
    except IntegrityError:
        return 0
    notify(person=person, kind=Kind.ATTENDANCE_WARNING, data=data, url="/attendance/mine/", now=now)
    for adviser in advisers_of(person):
        notify(
            user=adviser,
            kind=Kind.ATTENDANCE_WARNING,
            data=data,
            url=f"/attendance/students/{person.pk}/",
            now=now,
        )
    return 1


__all__ = [
    "Direction",
    "ServiceRefused",
    "ask_late_correction",
    "correct_or_ask",
    "create_session",
    "decide_request",
    "file_makeup",
    "may_decide",
    "send_warnings",
]
