"""Writes of the check-in app: the check-in itself (R4.5, R6.1), manual statuses, points,
notices, flag explanations. Every expected refusal is a `Refusal` code, never an exception.
"""

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscode.audit.services import log_action
from campuscode.checkins import cached, honesty
from campuscode.checkins.devices import poster_needs_evidence
from campuscode.checkins.health import evaluate
from campuscode.checkins.models import (
    CampusAssignment,
    Checkin,
    CheckinPoint,
    Flag,
    ManualStatus,
    Via,
    WindowNotice,
)
from campuscode.checkins.windows import Window, next_window, window_at
from campuscode.people.models import Person

if TYPE_CHECKING:
    from campuscode.checkins.evidence import Evidence


class Refusal(models.TextChoices):
    NO_PERSON = "no_person", _("This account is not linked to a person in the registry.")
    INACTIVE = "inactive", _("Your registration is not active, so you cannot check in.")
    POINT_CLOSED = "point_closed", _("This check-in point is not in use.")
    TOKEN_MALFORMED = "token_malformed", _("This is not the code of a check-in point.")
    TOKEN_EXPIRED = (
        "token_expired",
        _("This code has expired. Scan the code on the point's screen again."),
    )
    FORM_EXPIRED = (
        "form_expired",
        _("The form was open for too long. Scan the point's code again."),
    )
    CODE_NOT_TAKEN = (
        "code_not_taken",
        _("This point does not take this kind of code. Scan the code shown at the point."),
    )
    WRONG_CAMPUS = (
        "wrong_campus",
        _("This point belongs to another campus. Check in at a point of your own campus."),
    )
    OUTSIDE_WINDOW = "outside_window", _("Check-in is closed now.")
    ALREADY_CHECKED_IN = (
        "already_checked_in",
        _("You have already checked in for this window. To replace it, correct it and say why."),
    )
    # Presence evidence missing at a point that refuses then (checkins.evidence); the
    # codes are the flag reasons of the same facts.
    OFF_CAMPUS_NETWORK = (
        "off_campus_network",
        _("You are not on the campus network. Connect to the campus Wi-Fi and send again."),
    )
    LOCATION_MISSING = (
        "location_missing",
        _(
            "Your phone's location is needed here and was not given, or not precisely "
            "enough. Allow location for this page, step outside if needed, and send again."
        ),
    )
    LOCATION_FAR = (
        "location_far",
        _("Your phone is too far from this point. Check in at the point itself."),
    )
    NOT_SCANNED = (
        "not_scanned",
        _(
            "At this point, first show your own campus code to the point's scanner, "
            "then fill in the form that opens."
        ),
    )
    FORM_MOVED = (
        "form_moved",
        _(
            "The form was opened on another phone, browser or network. Scan the point's "
            "code again where you are and send the form from there."
        ),
    )
    NO_PRESENCE = (
        "no_presence",
        _(
            "We could not confirm that you are at this point. Connect to the campus Wi-Fi, "
            "allow location, or show your campus code to the point's scanner, and try again."
        ),
    )
    ISOLATED = (
        "isolated",
        _(
            "You are under isolation or medical observation and may not check in on campus. "
            "The health office has been told; please contact them."
        ),
    )


@dataclass(frozen=True)
class Outcome:
    checkin: Checkin | None = None
    refusal: str | None = None
    next_window: Window | None = None
    window: Window | None = None
    created: bool = False

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def refusal_label(self) -> str:
        return str(Refusal(self.refusal).label) if self.refusal else ""


@dataclass(frozen=True)
class Answers:
    temperature: Decimal
    symptoms: list[str]
    symptom_detail: str = ""
    contact: str = "none"
    contact_at: datetime | None = None
    contact_place: str = ""
    contact_manner: str = ""


HEALTH_FIELDS = (
    "temperature",
    "symptoms",
    "symptom_detail",
    "contact",
    "contact_at",
    "contact_place",
    "contact_manner",
)


def health_fields(source) -> dict:
    """The health answers of a form, a make-up or a manual registration, as Checkin fields:
    every path that stores a check-in takes the same ones (R5.1, R5.2, R5.4)."""
    return {name: getattr(source, name) for name in HEALTH_FIELDS}


def may_check_in_at(person: Person, point: CheckinPoint) -> bool:
    """Own campus (the org unit lies under the point's campus), or an assigned one (R4.3)."""
    if person.org_unit.path.startswith(point.campus.path):
        return True
    return CampusAssignment.objects.filter(person_id=person.pk, campus_id=point.campus_id).exists()


def check_admission(*, person: Person | None, point: CheckinPoint, now: datetime) -> Outcome:
    """Who may check in at `point` now; shared by opening the form and sending it."""
    if person is None:
        return Outcome(refusal=Refusal.NO_PERSON)
    if person.state != Person.State.ACTIVE or not person.is_valid_on(timezone.localdate(now)):
        return Outcome(refusal=Refusal.INACTIVE)
    if not point.active:
        return Outcome(refusal=Refusal.POINT_CLOSED)
    if not may_check_in_at(person, point):
        return Outcome(refusal=Refusal.WRONG_CAMPUS)
    window = window_at(now, kind=person.kind, school_id=person.school_id)
    if window is None:
        return Outcome(
            refusal=Refusal.OUTSIDE_WINDOW,
            next_window=next_window(now, kind=person.kind, school_id=person.school_id),
        )
    return Outcome(window=window)


def submit_checkin(
    *,
    person: Person | None,
    point: CheckinPoint,
    answers: Answers,
    via: str,
    idempotency_key: str,
    device: str = "",
    ip: str | None = None,
    client: honesty.ClientFacts | None = None,
    opened: bool = True,
    now: datetime | None = None,
    correction_reason: str = "",
    evidence: "Evidence | None" = None,
) -> Outcome:
    """Store one check-in at once (R6.1), or refuse with a reason.

    Time and place come from the server: `now` is its clock, `point` was taken from a
    token the server verified. A retry with the same idempotency key returns the first
    record, even after the window has closed. A second check-in in a window replaces
    the first only as a correction, with its reason (the first row is kept, superseded);
    without one it is refused with ALREADY_CHECKED_IN and the earlier check-in.

    `evidence` (checkins.evidence.assess): kept on the row; what is missing becomes
    flags, or a refusal where the point's policy says so.
    """
    correction_reason = (correction_reason or "").strip()[:200]
    now = now or timezone.now()
    admission = check_admission(person=person, point=point, now=now)
    if not admission.ok or (evidence is not None and evidence.refuse):
        if person is not None and (first := _by_key(person, idempotency_key)):
            return Outcome(checkin=first, created=False)
        return admission if not admission.ok else Outcome(refusal=evidence.refusal)
    window = admission.window
    # Isolation and the like, checked at the point (followup registers it): refused or
    # flagged as the school chose; the health office is told either way.
    findings = honesty.point_findings(person=person, point=point, now=now)
    if any(found.refuse for found in findings):
        if first := _by_key(person, idempotency_key):  # a retry of one stored before
            return Outcome(checkin=first, created=False)
        return Outcome(refusal=Refusal.ISOLATED, window=window)
    colour, reason = evaluate(
        temperature=answers.temperature, symptoms=answers.symptoms, contact=answers.contact
    )
    client = client or honesty.ClientFacts(device=device, device_new=False, ip=ip)
    device, ip = client.device, client.ip
    flags = honesty.honesty_flags(
        person=person, point=point, window=window, client=client, opened=opened, now=now
    )
    flags += [(found.reason, found.detail, []) for found in findings]
    if evidence is not None:
        flags += [(reason, detail, []) for reason, detail in evidence.missing]
    present = evidence is not None and evidence.facts.get("present")
    if via == Via.POSTER and poster_needs_evidence(point) and not present:
        # A poster's photo works from anywhere (issue 9, case 6): the scan proves no
        # presence; only presence evidence (checkins.evidence) may back it.
        flags.append((Flag.Reason.POSTER_NO_EVIDENCE, {}, []))
    checkin = Checkin(
        person=person,
        point=point,
        at=now,
        day=window.day,
        period=window.period,
        **health_fields(answers),
        colour=colour,
        reason=reason,
        via=via,
        device=device,
        fingerprint=client.fingerprint,
        device_new=client.device_new,
        ip=ip,
        idempotency_key=idempotency_key,
        correction_reason=correction_reason,
        evidence=evidence.facts if evidence is not None else {},
    )
    # The common case is one INSERT. Two unique constraints decide the rest: (person,
    # key) catches a retry, a double tap or a second tab; (person, window) among the
    # effective rows catches a correction, which then supersedes the earlier row.
    for _attempt in range(3):
        try:
            # A bare INSERT needs no transaction; a correction or flags do, and inside
            # an outer transaction (tests, callers) a savepoint keeps it usable.
            plain = not _attempt and not flags and not connection.in_atomic_block
            with nullcontext() if plain else transaction.atomic():
                if _attempt:
                    _supersede(person=person, window=window, now=now)
                checkin.save(force_insert=True)
                if _attempt:
                    Checkin.objects.filter(
                        person_id=person.pk,
                        day=window.day,
                        period=window.period,
                        superseded_at=now,
                        superseded_by__isnull=True,
                    ).exclude(pk=checkin.pk).update(superseded_by=checkin)
                if flags:
                    Flag.objects.bulk_create(
                        [Flag(checkin=checkin, reason=r, detail=d) for r, d, _o in flags]
                        + [
                            Flag(checkin_id=o, reason=r, detail=d)
                            for r, d, others in flags
                            for o in others
                        ],
                        ignore_conflicts=True,
                    )
        except IntegrityError:
            checkin.pk = None
            checkin._state.adding = True
            if first := _by_key(person, idempotency_key):
                return Outcome(checkin=first, created=False)
            existing = effective_in(person=person, window=window)
            if not correction_reason and existing and same_site(existing, point):
                return Outcome(refusal=Refusal.ALREADY_CHECKED_IN, checkin=existing, window=window)
            continue  # an effective check-in exists in this window: supersede it
        return Outcome(checkin=checkin, created=True, window=window)
    raise RuntimeError("check-in kept conflicting with concurrent corrections")


def effective_in(*, person: Person, window: Window) -> Checkin | None:
    """The check-in that counts for `person` in `window`, if any."""
    return Checkin.objects.filter(
        person_id=person.pk, day=window.day, period=window.period, superseded_at__isnull=True
    ).first()


def same_site(checkin: Checkin, point: CheckinPoint) -> bool:
    """Whether `point` is on the campus of `checkin`; on arriving at another campus one
    checks in again (R4.4), which is no correction and needs no reason."""
    earlier = cached.point(checkin.point_id) if checkin.point_id else None
    return earlier is None or earlier.campus_id == point.campus_id


def last_normal_answers(*, person: Person, before: Window) -> Checkin | None:
    """The person's last check-in before `before` if it was normal (green, no symptoms,
    no contact): what "same as last time" offers. None otherwise, or if there is none."""
    last = (
        Checkin.objects.filter(person_id=person.pk, superseded_at__isnull=True)
        .exclude(day=before.day, period=before.period)
        .order_by("-at")
        .only("temperature", "symptoms", "contact", "colour", "at", "day", "period")
        .first()
    )
    if last is None or last.colour != "green" or last.symptoms or last.contact != "none":
        return None
    return last


def _by_key(person: Person, key: str) -> Checkin | None:
    return Checkin.objects.filter(person_id=person.pk, idempotency_key=key).first()


def _supersede(*, person: Person, window: Window, now: datetime) -> int:
    """Mark the effective check-in of the window as superseded (kept, no longer counted).

    If a concurrent correction commits between this and the insert, the insert fails
    on the (person, window) constraint and the caller goes round again.
    """
    return Checkin.objects.filter(
        person_id=person.pk,
        day=window.day,
        period=window.period,
        superseded_at__isnull=True,
    ).update(superseded_at=now)


def explain_flag(*, flag: Flag, user, explanation: str, client_ip: str | None = None) -> Flag:
    flag.explained_by = user
    flag.explained_at = timezone.now()
    flag.explanation = explanation.strip()[:300]
    flag.save(update_fields=["explained_by", "explained_at", "explanation"])
    log_action(
        client_ip=client_ip,
        actor=user,
        action="checkins.flag.explained",
        subject=flag.checkin.person,
        data={"checkin": flag.checkin_id, "reason": flag.reason, "explanation": flag.explanation},
    )
    return flag


def set_manual_status(
    *, person: Person, colour: str, reason: str, user, client_ip: str | None = None
):
    """The health office sets a status by hand (audited); it replaces any earlier one."""
    now = timezone.now()
    with transaction.atomic():
        ManualStatus.objects.filter(person=person, cleared_at__isnull=True).update(
            cleared_at=now, cleared_by=user
        )
        status = ManualStatus.objects.create(
            person=person, colour=colour, reason=reason.strip(), set_by=user, set_at=now
        )
    log_action(
        client_ip=client_ip,
        actor=user,
        action="checkins.status.set",
        subject=person,
        data={"colour": colour, "reason": status.reason},
    )
    return status


def clear_manual_status(*, person: Person, user, reason: str, client_ip: str | None = None) -> int:
    cleared = ManualStatus.objects.filter(person=person, cleared_at__isnull=True).update(
        cleared_at=timezone.now(), cleared_by=user
    )
    log_action(
        client_ip=client_ip,
        actor=user,
        action="checkins.status.cleared",
        subject=person,
        data={"reason": reason.strip(), "cleared": cleared},
    )
    return cleared


def save_point(
    *, point: CheckinPoint | None = None, user=None, client_ip: str | None = None, **fields
):
    point = point or CheckinPoint()
    for name, value in fields.items():
        setattr(point, name, value)
    point.full_clean()
    point.save()
    log_action(
        client_ip=client_ip,
        actor=user,
        action="checkins.point.saved",
        data={"point": point.pk, "name": str(point)},
    )
    return point


def withdraw_posters(
    *, point: CheckinPoint, user=None, client_ip: str | None = None
) -> CheckinPoint:
    """Printed posters of the point stop working (a poster was photographed and shared)."""
    CheckinPoint.objects.filter(pk=point.pk).update(poster_version=point.poster_version + 1)
    point.refresh_from_db()
    cached.forget_point(CheckinPoint, point)  # update() sends no signal
    log_action(
        client_ip=client_ip,
        actor=user,
        action="checkins.point.posters_withdrawn",
        data={"point": point.pk},
    )
    return point


def publish_notice(*, school, user, client_ip: str | None = None, **fields) -> WindowNotice:
    notice = WindowNotice(school=school, created_by=user, **fields)
    notice.full_clean()
    notice.save()
    log_action(
        client_ip=client_ip,
        actor=user,
        action="checkins.notice.published",
        data={
            "notice": notice.pk,
            "title": notice.title,
            "first_day": str(notice.first_day),
            "last_day": str(notice.last_day),
            "kind": notice.kind,
        },
    )
    return notice


def assign_campus(
    *, person: Person, campus, user, client_ip: str | None = None
) -> CampusAssignment:
    assignment, _created = CampusAssignment.objects.get_or_create(
        person=person, campus=campus, defaults={"created_by": user}
    )
    log_action(
        client_ip=client_ip,
        actor=user,
        action="checkins.campus.assigned",
        subject=person,
        data={"campus": campus.pk},
    )
    return assignment


def unassign_campus(*, assignment: CampusAssignment, user, client_ip: str | None = None) -> None:
    person = assignment.person
    campus_id = assignment.campus_id
    assignment.delete()
    log_action(
        client_ip=client_ip,
        actor=user,
        action="checkins.campus.unassigned",
        subject=person,
        data={"campus": campus_id},
    )


def points_query_for(person: Person):
    """The points of every campus `person` may check in at."""
    extra = CampusAssignment.objects.filter(person=person).values("campus_id")
    own = person.org_unit.ancestor_of_kind("campus")
    return CheckinPoint.objects.filter(Q(campus_id__in=extra) | Q(campus=own), active=True)
