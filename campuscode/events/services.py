"""Writes of the events side: events and their sittings, registrations, walk-ins, undo,
and the closing of a sitting with its absences for review (R2.5).

Door scans and offline uploads are in door.py; every mark goes through the attendance
engine (`record_mark`, `correct_mark`, `close_session`), never written here.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscode.attendance import engine
from campuscode.attendance.models import Direction, Mark, Method, Session, Status
from campuscode.audit.services import log_action
from campuscode.core.rules import get_setting
from campuscode.events.models import (
    AbsenceReview,
    CheckPoint,
    DoorReason,
    Event,
    EventSession,
    Registration,
)
from campuscode.events.roster import admission, is_invited
from campuscode.people.access import Cap, holders_over
from campuscode.people.models import OrgUnit, Person

ATTENDED = (Status.PRESENT, Status.LATE, Status.LEFT_EARLY)


class EventRefused(Exception):
    """An expected refusal: `code` for tests, `message` for people."""

    MESSAGES = {
        "closed": _("Registration for this event is closed."),
        "not_invited": _("This event is not open to you."),
        "full": _("The event is full."),
        "already": _("You are already registered for this event."),
        "not_pending": _("This registration has already been decided."),
        "no_sittings": _("Give at least one sitting with a start before its end."),
        "need_reason": _("Give a reason for undoing the sign-in."),
        "not_signed_in": _("This person has not signed in to this sitting."),
        "cancelled": _("This event was cancelled."),
    }

    def __init__(self, code: str, message: str | None = None):
        self.code = code
        self.message = message or str(self.MESSAGES.get(code, code))
        super().__init__(code)


@dataclass(frozen=True)
class SittingTimes:
    starts_at: datetime
    ends_at: datetime


# --- events ---------------------------------------------------------------------------------


def _session_for(event: Event, times: SittingTimes, actor) -> Session:
    minutes = int((times.ends_at - times.starts_at).total_seconds() // 60)
    return Session.objects.create(
        school=event.school,
        kind=Session.Kind.EVENT,
        title=event.title[:200],
        starts_at=times.starts_at,
        ends_at=times.ends_at,
        place=event.place[:100],
        owner=actor,
        created_by=actor,
        origin=Session.Origin.EVENT,
        # An event takes sign-ins until it ends (a class stops at "late"): R2.5.
        late_minutes=max(minutes, 0),
        open_minutes=event.signin_opens_minutes,
    )


@transaction.atomic
def save_event(
    *,
    actor,
    client_ip: str | None,
    organiser_unit: OrgUnit,
    fields: dict,
    units: list[OrgUnit],
    sittings: list[SittingTimes],
    points: list[tuple[str, str]],
    event: Event | None = None,
) -> Event:
    """Create an event (or edit one: its fields, invited units, new sittings and points;
    sittings already held and their marks stay as they are)."""
    sittings = [s for s in sittings if s.starts_at < s.ends_at]
    creating = event is None
    if creating and not sittings:
        raise EventRefused("no_sittings")
    if creating:
        event = Event(created_by=actor)
    for name, value in fields.items():
        setattr(event, name, value)
    event.organiser_unit = organiser_unit
    event.school = OrgUnit.objects.get(pk=organiser_unit.school_id)
    event.save()
    event.units.set(units)
    for times in sittings:
        EventSession.objects.create(event=event, session=_session_for(event, times, actor))
    if not creating:  # the engine's sessions carry the title and place shown on screens
        Session.objects.filter(event_sitting__event=event).update(
            title=event.title[:200], place=event.place[:100]
        )
        # A changed opening time applies to the sittings that have not started.
        Session.objects.filter(event_sitting__event=event, starts_at__gt=timezone.now()).update(
            open_minutes=event.signin_opens_minutes
        )
    for name, kind in points:
        CheckPoint.objects.get_or_create(event=event, name=name[:60], defaults={"kind": kind})
    log_action(
        action="events.event.saved",
        actor=actor,
        client_ip=client_ip,
        data={"event": event.pk, "created": creating, "sittings": len(sittings)},
    )
    return event


# --- registrations ----------------------------------------------------------------------


def _approved_count(event: Event) -> int:
    return Registration.objects.filter(event=event, state=Registration.State.APPROVED).count()


def _lock(event: Event) -> Event:
    # Capacity is checked and used under the event's row lock: two last-seat requests at
    # once get one seat and one "full".
    return Event.objects.select_for_update().get(pk=event.pk)


def register(
    *, event: Event, person: Person, actor, client_ip: str | None, now: datetime | None = None
) -> Registration:
    """The person signs up themself: approved at once, or pending where the organiser
    approves; refused when closed, not for them, or full."""
    now = now or timezone.now()
    if event.cancelled_at:
        raise EventRefused("cancelled")
    if not event.registration_open:
        raise EventRefused("closed")
    if not is_invited(event, person):
        raise EventRefused("not_invited")
    with transaction.atomic():
        event = _lock(event)
        existing = Registration.objects.filter(event=event, person=person).first()
        if existing and existing.state in (Registration.State.APPROVED, Registration.State.PENDING):
            raise EventRefused("already")
        state = Registration.State.PENDING if event.needs_approval else Registration.State.APPROVED
        if (
            state == Registration.State.APPROVED
            and event.capacity is not None
            and _approved_count(event) >= event.capacity
        ):
            raise EventRefused("full")
        registration = existing or Registration(event=event, person=person)
        registration.state = state
        registration.source = Registration.Source.SELF
        registration.created_at = now
        registration.created_by = actor
        registration.decided_at = now if state == Registration.State.APPROVED else None
        registration.decided_by = None
        registration.save()
    return registration


def cancel_registration(*, registration: Registration, now: datetime | None = None) -> None:
    registration.state = Registration.State.CANCELLED
    registration.decided_at = now or timezone.now()
    registration.save(update_fields=["state", "decided_at"])


def decide_registration(
    *,
    registration: Registration,
    approve: bool,
    actor,
    client_ip: str | None,
    note: str = "",
    now: datetime | None = None,
) -> Registration:
    from campuscode.notify.services import notify

    now = now or timezone.now()
    with transaction.atomic():
        event = _lock(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.state != Registration.State.PENDING:
            raise EventRefused("not_pending")
        if approve and event.capacity is not None and _approved_count(event) >= event.capacity:
            raise EventRefused("full")
        registration.state = Registration.State.APPROVED if approve else Registration.State.REJECTED
        registration.decided_at, registration.decided_by = now, actor
        registration.note = note[:200]
        registration.save()
        log_action(
            action="events.registration.decided",
            actor=actor,
            client_ip=client_ip,
            subject=registration.person,
            data={"event": event.pk, "approved": approve},
        )
        notify(
            person=registration.person,
            kind="event_registration",
            data={"event": event.title, "approved": approve, "note": note[:200]},
            url="/events/mine/",
        )
    return registration


# --- at the door: walk-ins and undo --------------------------------------------------------


def sign_in_walk_in(
    *,
    sitting: EventSession,
    point: CheckPoint | None,
    person: Person,
    actor,
    client_ip: str | None,
    now: datetime | None = None,
) -> Mark:
    """Someone not registered comes to the desk: registered as a walk-in by the staff
    member (recorded as manual, by whom) and signed in (R2.5, like R4.6)."""
    now = now or timezone.now()
    event = sitting.event
    if event.cancelled_at:
        raise EventRefused("cancelled")
    if person.state != Person.State.ACTIVE or person.school_id != event.school_id:
        raise EventRefused("not_invited")
    with transaction.atomic():
        event = _lock(event)
        registration = Registration.objects.filter(event=event, person=person).first()
        if registration is None or registration.state != Registration.State.APPROVED:
            if event.capacity is not None and _approved_count(event) >= event.capacity:
                raise EventRefused("full")
            registration = registration or Registration(event=event, person=person)
            registration.state = Registration.State.APPROVED
            registration.source = Registration.Source.WALK_IN
            registration.created_at = registration.decided_at = now
            registration.created_by = registration.decided_by = actor
            registration.save()
        try:
            mark = engine.record_mark(
                sitting.session,
                person,
                method=Method.MANUAL,
                actor=actor,
                client_ip=client_ip,
                now=now,
                point=str(point.pk) if point else "",
                device="desk",
                check_expected=False,
            )
        except engine.MarkRefused as refused:
            raise EventRefused(refused.code, refused.message) from None
    log_action(
        action="events.walkin.recorded",
        actor=actor,
        client_ip=client_ip,
        subject=person,
        data={"event": event.pk, "sitting": sitting.pk},
    )
    return mark


def undo_sign_in(
    *,
    sitting: EventSession,
    person: Person,
    reason: str,
    actor,
    client_ip: str | None,
    now: datetime | None = None,
) -> Mark:
    """A mistaken sign-in (the wrong code scanned, someone signed in for a friend) is
    undone by the organiser with a reason: a new mark supersedes it, nothing is erased.
    A sign-out recorded after it is undone too."""
    reason = (reason or "").strip()
    if not reason:
        raise EventRefused("need_reason")
    current = engine.current_marks(sitting.session, Direction.IN).get(person.pk)
    if current is None or current.status not in ATTENDED:
        raise EventRefused("not_signed_in")
    try:
        mark = engine.correct_mark(
            sitting.session,
            person,
            status=Status.ABSENT,
            actor=actor,
            client_ip=client_ip,
            reason=reason,
            now=now,
            evidence={"undo": True},
            skip_limit=True,
        )
        out = engine.current_marks(sitting.session, Direction.OUT).get(person.pk)
        if out is not None and out.status in ATTENDED:
            engine.correct_mark(
                sitting.session,
                person,
                status=Status.ABSENT,
                actor=actor,
                client_ip=client_ip,
                reason=reason,
                now=now,
                direction=Direction.OUT,
                evidence={"undo": True},
                skip_limit=True,
            )
    except engine.MarkRefused as refused:
        raise EventRefused(refused.code, refused.message) from None
    log_action(
        action="events.signin.undone",
        actor=actor,
        client_ip=client_ip,
        subject=person,
        data={"sitting": sitting.pk, "reason": reason[:300]},
    )
    return mark


# --- after the event -------------------------------------------------------------------------


def close_sitting(*, sitting: EventSession, now: datetime | None = None, by: str = "job") -> int:
    """After a sitting ends: the engine marks the expected and unmarked absent (once,
    whoever runs it), then a mandatory event's absences go to review. Returns the number
    of reviews opened."""
    now = now or timezone.now()
    engine.close_session(sitting.session, now, by=by)
    sitting.session.refresh_from_db()
    if not sitting.session.closed_at:
        return 0
    return open_absence_reviews(sitting=sitting, now=now)


def open_absence_reviews(*, sitting: EventSession, now: datetime | None = None) -> int:
    """For a mandatory event: one review for each absent invited person, and a notice to
    the class adviser (the holders of approval duty over them). Never a penalty: only
    the adviser decides (R2.5, R8.2's due process). Idempotent (one review a person)."""
    from campuscode.notify.services import notify

    now = now or timezone.now()
    event = sitting.event
    if not event.mandatory:
        return 0
    absent = [
        mark
        for mark in engine.current_marks(sitting.session, Direction.IN).values()
        if mark.status == Status.ABSENT and mark.method == Method.AUTO_ABSENT
    ]
    due = now + timedelta(days=get_setting("event_review_days", event.school_id))
    when = timezone.localtime(sitting.session.starts_at).strftime("%Y-%m-%d %H:%M")
    opened = 0
    for mark in absent:
        try:
            with transaction.atomic():
                AbsenceReview.objects.create(
                    sitting=sitting, person=mark.person, created_at=now, due_at=due
                )
        except IntegrityError:
            continue  # already opened by an earlier run
        opened += 1
        person = mark.person
        for user in holders_over(person, Cap.APPROVE_REQUESTS):
            notify(
                user=user,
                kind="event_absence",
                data={"name": person.name, "event": event.title, "when": when},
                url="/events/reviews/",
            )
    EventSession.objects.filter(pk=sitting.pk, reviews_opened_at__isnull=True).update(
        reviews_opened_at=now
    )
    return opened


def close_due_sittings(*, now: datetime | None = None, by: str = "job") -> dict:
    """Close every ended event sitting and open the reviews of mandatory ones (the beat
    job and `campuscode close-events`); a sitting closed by the class job meanwhile still
    gets its reviews."""
    now = now or timezone.now()
    sittings = EventSession.objects.select_related("event", "session").filter(
        session__ends_at__lte=now, session__cancelled_at__isnull=True
    )
    closed = reviews = 0
    for sitting in sittings.filter(session__closed_at__isnull=True):
        reviews += close_sitting(sitting=sitting, now=now, by=by)
        closed += 1
    # Sittings the class job closed meanwhile (it closes every kind of session).
    for sitting in sittings.filter(
        session__closed_at__isnull=False, event__mandatory=True, reviews_opened_at__isnull=True
    ):
        reviews += open_absence_reviews(sitting=sitting, now=now)
    return {"sittings": closed, "reviews": reviews}


def decide_review(
    *,
    review: AbsenceReview,
    excused: bool,
    note: str,
    actor,
    client_ip: str | None,
    now: datetime | None = None,
) -> AbsenceReview:
    now = now or timezone.now()
    with transaction.atomic():
        review = AbsenceReview.objects.select_for_update().get(pk=review.pk)
        if review.state != AbsenceReview.State.OPEN:
            raise EventRefused("not_pending")
        review.state = AbsenceReview.State.EXCUSED if excused else AbsenceReview.State.UNEXCUSED
        review.note, review.decided_at, review.decided_by = note[:200], now, actor
        review.save()
    log_action(
        action="events.review.decided",
        actor=actor,
        client_ip=client_ip,
        subject=review.person,
        data={"review": review.pk, "excused": excused},
    )
    return review


def hours_for(event: Event, stay_minutes: int | None, signed_in: bool) -> Decimal:
    """Second-classroom hours one sitting awards: signed in, and when the event asks for
    a minimum stay, signed out after at least that long."""
    if not signed_in:
        return Decimal("0")
    if event.needs_sign_out and (stay_minutes is None or stay_minutes < event.min_stay_minutes):
        return Decimal("0")
    return event.hours


__all__ = ["DoorReason", "EventRefused", "admission"]
