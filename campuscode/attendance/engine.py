"""The session engine: who is expected, how a mark is made, and how a session closes.

Class attendance (R2.4) and event sign-in (R2.5) both run on it. The events app adds its
own kind of session by registering who is expected (`register_roster`) and who may run
it (`register_runner`); it never needs to import anything but this module and the models.

Every mark goes through `record_mark()`: once per person and direction (a database
constraint, so two phones or two close jobs racing still store one), never for a session
that has not opened yet, never outside its window for the self-service ways, and with a
status derived from the time windows (school settings, overridable per session).
"""

import hashlib
import hmac
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscode.attendance.models import (
    SCAN_METHODS,
    SELF_METHODS,
    Direction,
    LeaveKind,
    Mark,
    Method,
    Session,
    Status,
)
from campuscode.core.rules import get_setting
from campuscode.people.models import OrgUnit, Person

MAC_CHARS = 10


# --- refusals ---------------------------------------------------------------------------


class Refusal:
    """Why a mark was not recorded: a code tests assert, and a message people read."""

    NOT_OPEN = "not_open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    ALREADY = "already"
    NOT_EXPECTED = "not_expected"
    BAD_TOKEN = "bad_token"
    EXPIRED_TOKEN = "expired_token"
    BAD_CODE = "bad_code"
    TOO_MANY = "too_many"
    BAD_STATUS = "bad_status"
    TOO_OLD = "too_old"
    NEED_REASON = "need_reason"
    NOT_ALLOWED = "not_allowed"

    MESSAGES = {
        NOT_OPEN: _("This session has not started yet. You can sign in from %(opens)s."),
        CLOSED: _("Signing in for this session has ended."),
        CANCELLED: _("This session was cancelled."),
        ALREADY: _("Already signed in for this session."),
        NOT_EXPECTED: _("This person is not on the list of this session."),
        BAD_TOKEN: _("This is not the code of this session."),
        EXPIRED_TOKEN: _(
            "This code has expired. Scan the code on the screen in the room again; it changes "
            "every few seconds."
        ),
        BAD_CODE: _("Wrong code. Check the code on the screen and type it again."),
        TOO_MANY: _("Too many wrong codes. Wait ten minutes, or ask the teacher to mark you."),
        BAD_STATUS: _("This school does not use that attendance status."),
        TOO_OLD: _(
            "This session ended more than %(days)s days ago. Ask the department admin to "
            "approve the correction."
        ),
        NEED_REASON: _("Give a reason for the correction."),
        NOT_ALLOWED: _("You cannot record attendance for this session."),
    }


class MarkRefused(Exception):
    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(code)

    @property
    def message(self) -> str:
        return (
            str(Refusal.MESSAGES[self.code]) % self.params
            if self.params
            else str(Refusal.MESSAGES[self.code])
        )


# --- who is expected, who runs it --------------------------------------------------------

RosterFn = Callable[[Session], QuerySet]
RunnerFn = Callable[[object, Session], bool]
_rosters: dict[str, RosterFn] = {}
_runners: dict[str, RunnerFn] = {}


def register_roster(kind: str, fn: RosterFn) -> None:
    """`fn(session)` returns the Person queryset expected at sessions of `kind`."""
    _rosters[kind] = fn


def register_runner(kind: str, fn: RunnerFn) -> None:
    """`fn(user, session)` says whether `user` may run sessions of `kind` (show the code,
    scan, take the roll, correct). The owner always may."""
    _runners[kind] = fn


def session_units(session: Session) -> list[OrgUnit]:
    units = [session.unit] if session.unit_id else []
    return units + [u for u in session.extra_units.all() if u.pk != session.unit_id]


def _class_roster(session: Session) -> QuerySet:
    q = Q(pk__in=[])
    for unit in session_units(session):
        q |= Q(org_unit__path__startswith=unit.path)
    return Person.objects.filter(q, school_id=session.school_id, kind=Person.Kind.STUDENT)


register_roster(Session.Kind.CLASS, _class_roster)


def expected_people(session: Session) -> QuerySet:
    """Active people expected at `session`, by its kind's roster, ordered by number."""
    fn = _rosters.get(session.kind)
    people = fn(session) if fn else Person.objects.none()
    return people.filter(state=Person.State.ACTIVE).order_by("number")


def may_run(user, session: Session) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if session.owner_id == user.pk:
        return True
    fn = _runners.get(session.kind)
    return bool(fn and fn(user, session))


# --- windows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Windows:
    opens: datetime  # self-service marking from
    present_until: datetime
    late_until: datetime  # self-service marking until

    def status_at(self, when: datetime) -> str:
        return Status.PRESENT if when <= self.present_until else Status.LATE


def windows(session: Session) -> Windows:
    school = session.school_id
    present = session.present_minutes
    late = session.late_minutes
    present = get_setting("attendance_present_minutes", school) if present is None else present
    late = get_setting("attendance_late_minutes", school) if late is None else late
    early = session.open_minutes
    early = get_setting("attendance_open_minutes", school) if early is None else early
    opens = session.starts_at - timedelta(minutes=early)
    return Windows(
        opens=opens,
        present_until=session.starts_at + timedelta(minutes=present),
        late_until=session.starts_at + timedelta(minutes=max(late, present)),
    )


def statuses_in_use(school) -> list[str]:
    return list(get_setting("attendance_statuses", school))


# --- the rotating session code ------------------------------------------------------------


def _key() -> bytes:
    return hashlib.sha256(
        b"campuscode.attendance.session-token:" + settings.SECRET_KEY.encode()
    ).digest()


def _mac(session_id: int, what: str) -> str:
    return hmac.new(_key(), f"{session_id}:{what}".encode(), hashlib.sha256).hexdigest()


def _ts(now: datetime | float | None) -> float:
    if now is None:
        return time.time()
    return now.timestamp() if isinstance(now, datetime) else float(now)


def step_seconds(session: Session) -> int:
    return get_setting("attendance_qr_step_seconds", session.school_id)


def current_step(session: Session, now: datetime | float | None = None) -> int:
    return int(_ts(now) // step_seconds(session))


def session_token(session: Session, now: datetime | float | None = None) -> str:
    """`<step>.<mac>`: what the room screen's QR carries this step."""
    step = current_step(session, now)
    return f"{step}.{_mac(session.pk, f'q{step}')[:MAC_CHARS]}"


def seconds_to_next_step(session: Session, now: datetime | float | None = None) -> float:
    seconds = step_seconds(session)
    return seconds - (_ts(now) % seconds)


@dataclass(frozen=True)
class TokenCheck:
    ok: bool
    refusal: str = ""
    step: int | None = None
    lag: int = 0  # steps behind the reference (0 current, 1 the grace step)


def verify_session_token(
    session: Session, token: str, now: datetime | float | None = None, *, opened_step=None
) -> TokenCheck:
    """The token's signature, then its age: the current step or `attendance_qr_grace_steps`
    before it. `opened_step`: the step at which this browser opened the link (kept in its
    session), so an honest student who reopens the page is not refused; the opening
    itself was checked strictly."""
    head, _dot, mac = (token or "").partition(".")
    if not head.isdigit() or len(mac) != MAC_CHARS:
        return TokenCheck(False, Refusal.BAD_TOKEN)
    step = int(head)
    if not hmac.compare_digest(mac, _mac(session.pk, f"q{step}")[:MAC_CHARS]):
        return TokenCheck(False, Refusal.BAD_TOKEN)
    reference = current_step(session, now) if opened_step is None else opened_step
    lag = reference - step
    grace = get_setting("attendance_qr_grace_steps", session.school_id)
    if lag < 0 or lag > grace:
        return TokenCheck(False, Refusal.EXPIRED_TOKEN, step, lag)
    return TokenCheck(True, "", step, lag)


# --- the typed short code ----------------------------------------------------------------


def _short_step(session: Session, now) -> int:
    return int(_ts(now) // get_setting("attendance_short_code_seconds", session.school_id))


def short_code(session: Session, now: datetime | float | None = None) -> str:
    """Six digits for big halls, shown on the screen on demand; changes every
    `attendance_short_code_seconds`, the previous one still accepted."""
    return _short_code_at(session, _short_step(session, now))


def _short_code_at(session: Session, step: int) -> str:
    return f"{int(_mac(session.pk, f'c{step}')[:12], 16) % 1_000_000:06d}"


def short_code_attempt(*, person: Person, now: datetime | None = None) -> bool:
    """Count one typed code of `person`; False once over the school's limit (per ten
    minutes), so guessing six digits is hopeless."""
    limit = get_setting("attendance_short_code_attempts", person.school_id)
    bucket = int(_ts(now) // 600)
    key = f"attendance.short.{person.pk}.{bucket}"
    cache.add(key, 0, 660)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, 660)
        count = 1
    return count <= limit


def match_short_code(
    session: Session, code: str, now: datetime | float | None = None
) -> TokenCheck:
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    step = _short_step(session, now)
    for lag in (0, 1):
        if len(code) == 6 and hmac.compare_digest(code, _short_code_at(session, step - lag)):
            return TokenCheck(True, "", step - lag, lag)
    return TokenCheck(False, Refusal.BAD_CODE)


def sessions_for_code(*, person: Person, code: str, now: datetime | None = None) -> list[Session]:
    """The person's sessions open now whose short code is `code` (usually one)."""
    now = now or timezone.now()
    candidates = Session.objects.filter(
        school_id=person.school_id,
        cancelled_at__isnull=True,
        closed_at__isnull=True,
        starts_at__lte=now + timedelta(hours=1),
        ends_at__gte=now - timedelta(hours=1),
    )
    found = []
    for session in candidates:
        if match_short_code(session, code, now).ok and is_expected(session, person):
            found.append(session)
    return found


def is_expected(session: Session, person: Person) -> bool:
    return expected_people(session).filter(pk=person.pk).exists()


# --- marks --------------------------------------------------------------------------------


def _latest(session: Session, person: Person, direction: str) -> Mark | None:
    return (
        Mark.objects.current()
        .filter(session=session, person=person, direction=direction)
        .order_by("-pk")
        .first()
    )


def record_mark(
    session: Session,
    person: Person,
    *,
    method: str,
    actor,
    client_ip: str | None,
    happened_at: datetime | None = None,
    now: datetime | None = None,
    device: str = "",
    direction: str = Direction.IN,
    point: str | None = None,
    evidence: dict | None = None,
    status: str | None = None,
    leave_kind: str = "",
    reason: str = "",
    check_expected: bool = True,
) -> Mark:
    """Record how `person` attended `session`, once per direction; raises MarkRefused.

    Self-service and scanned marks (QR, short code, campus code) are taken only inside the
    session's window, their status from the time. Staff marks (roll call, manual) may give
    a status and are taken from the window's opening to the retro-edit limit. A session
    that has not opened is never marked, whoever asks (R2.4: no marking of future
    sessions)."""
    from campuscode.audit.services import log_action

    now = now or timezone.now()
    happened_at = happened_at or now
    win = windows(session)
    school = session.school_id
    if session.cancelled_at:
        raise MarkRefused(Refusal.CANCELLED)
    if now < win.opens or happened_at < win.opens:
        raise MarkRefused(Refusal.NOT_OPEN, opens=timezone.localtime(win.opens).strftime("%H:%M"))
    if check_expected and not is_expected(session, person):
        raise MarkRefused(Refusal.NOT_EXPECTED)
    self_service = method in SELF_METHODS or method in SCAN_METHODS
    if self_service:
        status = None
        limit = (
            win.late_until
            if direction == Direction.IN
            else session.ends_at + timedelta(minutes=get_setting("attendance_late_minutes", school))
        )
        if happened_at > limit or (session.closed_at and method != Method.OFFLINE_UPLOAD):
            raise MarkRefused(Refusal.CLOSED)
    else:
        days = get_setting("attendance_retro_edit_days", school)
        if now > session.ends_at + timedelta(days=days):
            raise MarkRefused(Refusal.TOO_OLD, days=days)
    if status is None:
        if direction == Direction.OUT:
            status = Status.LEFT_EARLY if happened_at < session.ends_at else Status.PRESENT
        else:
            status = win.status_at(happened_at)
    if status not in statuses_in_use(school):
        raise MarkRefused(Refusal.BAD_STATUS)
    mark = Mark(
        session=session,
        person=person,
        status=status,
        leave_kind=leave_kind if status == Status.EXCUSED else "",
        method=method,
        direction=direction,
        point=point or "",
        happened_at=happened_at,
        recorded_at=now,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        device=(device or "")[:100],
        reason=(reason or "")[:300],
        evidence=evidence or {},
    )
    try:
        with transaction.atomic():
            mark.save()
    except IntegrityError:
        # A scan made offline during the window, uploaded after the close job marked the
        # person absent: the scan wins, as a correction naming the automatic mark.
        previous = _latest(session, person, direction)
        if (
            method != Method.OFFLINE_UPLOAD
            or previous is None
            or previous.method
            not in (
                Method.AUTO_ABSENT,
                Method.EXCUSE,
            )
        ):
            raise MarkRefused(Refusal.ALREADY) from None
        mark.supersedes = previous
        try:
            with transaction.atomic():
                mark.save()
        except IntegrityError:
            raise MarkRefused(Refusal.ALREADY) from None
    if getattr(actor, "pk", None) is None or actor.pk == person.user_id:
        # A student signing themself in, or a job: the mark itself is the record (who, how,
        # when, from which device and address), as for check-ins; the audit log keeps what
        # staff do to other people's records.
        return mark
    log_action(
        action="attendance.mark.recorded",
        actor=actor,
        client_ip=client_ip,
        subject=person,
        data={"session": session.pk, "status": status, "method": method, "direction": direction},
    )
    return mark


def correct_mark(
    session: Session,
    person: Person,
    *,
    status: str,
    actor,
    client_ip: str | None,
    reason: str,
    method: str = Method.OVERRIDE,
    leave_kind: str = "",
    direction: str = Direction.IN,
    now: datetime | None = None,
    evidence: dict | None = None,
    skip_limit: bool = False,
) -> Mark:
    """A correction: a new mark superseding the person's current one (or the first mark
    when there is none), naming who and why; audited. Past `attendance_retro_edit_days`
    it needs the department admin (`skip_limit` after their approval)."""
    from campuscode.audit.services import log_action

    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise MarkRefused(Refusal.NEED_REASON)
    win = windows(session)
    if session.cancelled_at:
        raise MarkRefused(Refusal.CANCELLED)
    if now < win.opens:
        raise MarkRefused(Refusal.NOT_OPEN, opens=timezone.localtime(win.opens).strftime("%H:%M"))
    days = get_setting("attendance_retro_edit_days", session.school_id)
    if not skip_limit and now > session.ends_at + timedelta(days=days):
        raise MarkRefused(Refusal.TOO_OLD, days=days)
    if status not in statuses_in_use(session.school_id):
        raise MarkRefused(Refusal.BAD_STATUS)
    with transaction.atomic():
        # Lock the person's current mark: two corrections at once chain, never fork.
        previous = (
            Mark.objects.select_for_update(of=("self",))
            .current()
            .filter(session=session, person=person, direction=direction)
            .order_by("-pk")
            .first()
        )
        mark = Mark(
            session=session,
            person=person,
            status=status,
            leave_kind=leave_kind if status == Status.EXCUSED else "",
            method=method,
            direction=direction,
            happened_at=previous.happened_at if previous else min(now, session.starts_at),
            recorded_at=now,
            recorded_by=actor,
            reason=reason[:300],
            evidence=evidence or {},
            supersedes=previous,
        )
        try:
            with transaction.atomic():
                mark.save()
        except IntegrityError:
            raise MarkRefused(Refusal.ALREADY) from None
    log_action(
        action="attendance.mark.corrected",
        actor=actor,
        client_ip=client_ip,
        subject=person,
        data={
            "session": session.pk,
            "status": status,
            "before": previous.status if previous else None,
            "reason": reason[:300],
            "method": method,
        },
    )
    return mark


def mark_rest_present(
    session: Session, *, actor, client_ip: str | None, now: datetime | None = None
) -> int:
    """The roll list's last tap: everyone still unmarked is present (roll call)."""
    now = now or timezone.now()
    count = 0
    marked = set(
        Mark.objects.filter(session=session, direction=Direction.IN).values_list(
            "person_id", flat=True
        )
    )
    for person in expected_people(session).exclude(pk__in=marked):
        try:
            record_mark(
                session,
                person,
                method=Method.ROLL_CALL,
                actor=actor,
                client_ip=client_ip,
                now=now,
                happened_at=now,
                status=Status.PRESENT,
                check_expected=False,
            )
            count += 1
        except MarkRefused as refused:
            if refused.code != Refusal.ALREADY:
                raise
    return count


# --- the campus code scanned at the door or by the teacher's phone -------------------------


def verify_personal_code(
    session: Session,
    token: str,
    *,
    actor,
    client_ip: str | None,
    method: str = Method.PERSONAL_CODE,
    device: str = "",
    direction: str = Direction.IN,
    point: str | None = None,
    now: datetime | None = None,
    check_expected: bool = True,
) -> Mark:
    """Scan a person's own campus code (the gate verifier: signature, age, standing) and
    record their mark. Raises MarkRefused; a bad code raises BAD_TOKEN with the
    verifier's reason in `params['why']`."""
    from campuscode.codes.tokens import verify_token

    now = now or timezone.now()
    verdict = verify_token((token or "").strip(), now=now.timestamp())
    if not verdict.ok:
        raise MarkRefused(Refusal.BAD_TOKEN, why=verdict.reason)
    return record_mark(
        session,
        verdict.person,
        method=method,
        actor=actor,
        client_ip=client_ip,
        now=now,
        device=device,
        direction=direction,
        point=point,
        evidence={"code": {"kid": verdict.kid, "issued_at": verdict.issued_at}},
        check_expected=check_expected,
    )


@dataclass
class UploadResult:
    stored: int = 0
    duplicates: int = 0
    refused: list | None = None


def upload_offline_scans(
    session: Session,
    items: Iterable[dict],
    *,
    actor,
    client_ip: str | None,
    device: str = "",
    direction: str = Direction.IN,
    point: str | None = None,
    now: datetime | None = None,
    check_expected: bool = True,
) -> UploadResult:
    """Codes a scanning phone read while offline: each item {"token", "at" (datetime),
    "nonce"}. The server re-checks every code as the gates do for their uploads
    (gates.uploads.check_offline_event: genuine, key not retired then, valid at the claimed
    time, the time plausible) and records it at the claimed time; a person already marked
    counts as a duplicate, so an upload retried or sent by two phones counts once."""
    from campuscode.gates.uploads import check_offline_event

    now = now or timezone.now()
    result = UploadResult(refused=[])
    for item in items:
        check = check_offline_event(
            item={"at": item["at"], "token": item.get("token", "")},
            now=now,
            school_id=session.school_id,
        )
        nonce = str(item.get("nonce", ""))[:64]
        if check.problem:
            result.refused.append({"nonce": nonce, "reason": str(check.problem)})
            continue
        person = Person.objects.filter(pk=check.claims.person_id).first()
        if person is None or person.state != Person.State.ACTIVE:
            result.refused.append({"nonce": nonce, "reason": Refusal.NOT_EXPECTED})
            continue
        try:
            record_mark(
                session,
                person,
                method=Method.OFFLINE_UPLOAD,
                actor=actor,
                client_ip=client_ip,
                now=now,
                happened_at=item["at"],
                device=device,
                direction=direction,
                point=point,
                evidence={"offline": {"nonce": nonce, "uploaded_at": now.isoformat()}},
                check_expected=check_expected,
            )
            result.stored += 1
        except MarkRefused as refused:
            if refused.code == Refusal.ALREADY:
                result.duplicates += 1
            else:
                result.refused.append({"nonce": nonce, "reason": refused.code})
    return result


# --- closing ------------------------------------------------------------------------------


def _excuses(session: Session, person_ids: list[int]) -> dict[int, str]:
    """{person id: leave kind} for people an approved advance report or an isolation
    excuses on the session's day (R4.2, R5.5)."""
    from campuscode.followup.models import AdvanceReport, Decision, Isolation

    day = timezone.localdate(session.starts_at)
    kinds = {
        AdvanceReport.Kind.PERSONAL: LeaveKind.PERSONAL,
        AdvanceReport.Kind.SICK: LeaveKind.SICK,
        AdvanceReport.Kind.OFFICIAL: LeaveKind.OFFICIAL,
        AdvanceReport.Kind.OTHER: LeaveKind.PERSONAL,
    }
    found: dict[int, str] = {}
    for person_id, kind, returned_at in AdvanceReport.objects.filter(
        person_id__in=person_ids,
        state=Decision.APPROVED,
        first_day__lte=day,
        last_day__gte=day,
    ).values_list("person_id", "kind", "returned_at"):
        if returned_at is None or returned_at > session.starts_at:
            found[person_id] = kinds.get(kind, LeaveKind.PERSONAL)
    for person_id in Isolation.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=session.starts_at),
        person_id__in=person_ids,
        starts_on__lte=day,
        ends_on__gte=day,
    ).values_list("person_id", flat=True):
        found[person_id] = LeaveKind.ISOLATION
    return found


def close_session(session: Session, now: datetime | None = None, *, by: str = "job") -> int:
    """After the session ends, everyone expected and unmarked becomes absent, or excused
    by an approved advance report or isolation; the marks say when and by what (`by`).
    Idempotent: a second run, or two at once, adds nothing (the session row is locked,
    and the once-per-person constraint holds even without the lock). Returns how many
    marks it added."""
    now = now or timezone.now()
    if now < session.ends_at or session.cancelled_at:
        return 0
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        marked = set(
            Mark.objects.filter(session=locked, direction=Direction.IN).values_list(
                "person_id", flat=True
            )
        )
        missing = list(expected_people(locked).exclude(pk__in=marked).values_list("pk", flat=True))
        excused = _excuses(locked, missing)
        in_use = statuses_in_use(locked.school_id)
        marks = []
        for person_id in missing:
            leave = excused.get(person_id, "")
            status = Status.EXCUSED if leave and Status.EXCUSED in in_use else Status.ABSENT
            marks.append(
                Mark(
                    session=locked,
                    person_id=person_id,
                    status=status,
                    leave_kind=leave if status == Status.EXCUSED else "",
                    method=Method.EXCUSE if status == Status.EXCUSED else Method.AUTO_ABSENT,
                    direction=Direction.IN,
                    happened_at=locked.ends_at,
                    recorded_at=now,
                    evidence={"closed_by": by, "closed_at": now.isoformat()},
                )
            )
        created = Mark.objects.bulk_create(marks, ignore_conflicts=True)
        if locked.closed_at is None:
            Session.objects.filter(pk=locked.pk).update(closed_at=now, closed_by=by[:40])
        session.closed_at = locked.closed_at or now
    return len(created) if marks else 0


def close_due_sessions(*, now: datetime | None = None, by: str = "job") -> dict:
    """Close every session that has ended and is still open (the beat job and the CLI)."""
    now = now or timezone.now()
    due = Session.objects.filter(
        closed_at__isnull=True, cancelled_at__isnull=True, ends_at__lte=now
    ).order_by("ends_at")
    sessions = marks = 0
    for session in due:
        marks += close_session(session, now, by=by)
        sessions += 1
    return {"sessions": sessions, "marks": marks}


# --- reading ------------------------------------------------------------------------------


def current_marks(session: Session, direction: str = Direction.IN) -> dict[int, Mark]:
    """{person id: their current mark} (the latest of each chain of corrections)."""
    return {
        m.person_id: m
        for m in Mark.objects.current().filter(session=session, direction=direction).order_by("pk")
    }


@dataclass(frozen=True)
class Tally:
    expected: int
    counts: dict  # status → number, among the expected
    unmarked: int
    outsiders: int  # marked but not on the list (event walk-ins)

    @property
    def absent_with_unmarked(self) -> int:
        """The explicit rule of the reports: unmarked counts as absent."""
        return self.counts.get(Status.ABSENT, 0) + self.unmarked

    @property
    def attended(self) -> int:
        return sum(self.counts.get(s, 0) for s in (Status.PRESENT, Status.LATE, Status.LEFT_EARLY))


def tally(session: Session, direction: str = Direction.IN) -> Tally:
    expected = set(expected_people(session).values_list("pk", flat=True))
    marks = current_marks(session, direction)
    counts = {status: 0 for status in Status.values}
    for person_id, mark in marks.items():
        if person_id in expected:
            counts[mark.status] += 1
    return Tally(
        expected=len(expected),
        counts=counts,
        unmarked=len(expected - marks.keys()),
        outsiders=len(marks.keys() - expected),
    )
