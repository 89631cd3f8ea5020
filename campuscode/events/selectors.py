"""Reads of the events side, always through the one access layer (R6.6)."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscode.attendance import engine
from campuscode.attendance.models import Direction, Mark, Method, Status
from campuscode.events.models import (
    AbsenceReview,
    CheckPoint,
    Event,
    EventSession,
    Registration,
)
from campuscode.events.roster import expected_for_event
from campuscode.events.services import hours_for
from campuscode.people.access import Cap
from campuscode.people.models import Person

ATTENDED = (Status.PRESENT, Status.LATE, Status.LEFT_EARLY)


def events_for(user) -> QuerySet[Event]:
    return Event.objects.visible_to(user, Cap.RUN_EVENTS).select_related("organiser_unit")


def event_for(user, pk) -> Event:
    """One event in the organiser's scope, 404 otherwise (ids cannot be probed)."""
    try:
        return events_for(user).get(pk=pk)
    except (Event.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def sitting_for(user, pk) -> EventSession:
    try:
        return (
            EventSession.objects.visible_to(user, Cap.RUN_EVENTS)
            .select_related("event", "session")
            .get(pk=pk)
        )
    except (EventSession.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def point_for(user, pk) -> CheckPoint:
    try:
        return CheckPoint.objects.select_related("event").get(pk=pk, event__in=events_for(user))
    except (CheckPoint.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- live counts -------------------------------------------------------------------------


@dataclass
class Counts:
    signed_in: int = 0
    signed_out: int = 0
    expected: int = 0
    capacity: int | None = None
    by_point: list = field(default_factory=list)  # [(point, in, out)]
    walk_ins: int = 0

    @property
    def inside(self) -> int:
        return self.signed_in - self.signed_out


def counts(sitting: EventSession) -> Counts:
    """Who is in, per point and in total. Each person has one current sign-in (the
    engine's once-per-person mark) at one point, so the points add up to the total and a
    second door never counts anyone twice."""
    event = sitting.event
    ins = {
        pid: m
        for pid, m in engine.current_marks(sitting.session, Direction.IN).items()
        if m.status in ATTENDED
    }
    outs = {
        pid: m
        for pid, m in engine.current_marks(sitting.session, Direction.OUT).items()
        if m.status in ATTENDED and pid in ins
    }
    points = list(event.points.all())
    by_point = []
    for point in points:
        key = str(point.pk)
        by_point.append(
            (
                point,
                sum(1 for m in ins.values() if m.point == key),
                sum(1 for m in outs.values() if m.point == key),
            )
        )
    others_in = sum(1 for m in ins.values() if m.point not in {str(p.pk) for p in points})
    if others_in:
        by_point.append((None, others_in, 0))  # the event's code on the screen
    return Counts(
        signed_in=len(ins),
        signed_out=len(outs),
        expected=expected_for_event(event).filter(state=Person.State.ACTIVE).count(),
        capacity=event.capacity,
        by_point=by_point,
        walk_ins=sum(1 for m in ins.values() if m.method == Method.MANUAL),
    )


# --- after the event -------------------------------------------------------------------------


class Outcome:
    ATTENDED = "attended"
    EARLY = "early"
    NO_SIGN_OUT = "no_sign_out"
    NO_SHOW = "no_show"
    UNDONE = "undone"
    UPCOMING = "upcoming"


OUTCOME_LABELS = {
    Outcome.ATTENDED: _("Attended"),
    Outcome.EARLY: _("Left early"),
    Outcome.NO_SIGN_OUT: _("Did not sign out"),
    Outcome.NO_SHOW: _("No-show"),
    Outcome.UNDONE: _("Sign-in undone"),
    Outcome.UPCOMING: _("Not signed in yet"),
}


@dataclass
class Row:
    person: Person
    registration: Registration | None
    sign_in: Mark | None
    sign_out: Mark | None
    outcome: str
    stay_minutes: int | None
    hours: Decimal
    review: AbsenceReview | None = None

    @property
    def can_undo(self) -> bool:
        return self.sign_in is not None and self.sign_in.status in ATTENDED


def _outcome(event: Event, sign_in, sign_out, ended: bool) -> tuple[str, int | None]:
    if sign_in is None or sign_in.status not in ATTENDED:
        if sign_in is not None and sign_in.method == Method.OVERRIDE:
            return Outcome.UNDONE, None
        return (Outcome.NO_SHOW if ended else Outcome.UPCOMING), None
    stay = None
    if sign_out is not None and sign_out.status in ATTENDED:
        stay = int((sign_out.happened_at - sign_in.happened_at).total_seconds() // 60)
    if not event.needs_sign_out:
        return Outcome.ATTENDED, stay
    if stay is None:
        return (Outcome.NO_SIGN_OUT if ended else Outcome.UPCOMING), None
    return (Outcome.ATTENDED if stay >= event.min_stay_minutes else Outcome.EARLY), stay


def attendance(sitting: EventSession, now: datetime | None = None) -> list[Row]:
    """Everyone expected or signed in, with their sign-in and sign-out, the outcome
    (attended, left early, no sign-out, no-show, undone) and the hours awarded."""
    now = now or timezone.now()
    event = sitting.event
    ended = now >= sitting.session.ends_at
    ins = engine.current_marks(sitting.session, Direction.IN)
    outs = engine.current_marks(sitting.session, Direction.OUT)
    expected_ids = set(expected_for_event(event).values_list("pk", flat=True))
    ids = expected_ids | set(ins)
    people = Person.objects.filter(pk__in=ids).select_related("org_unit").order_by("number")
    registrations = {r.person_id: r for r in Registration.objects.filter(event=event)}
    reviews = {r.person_id: r for r in AbsenceReview.objects.filter(sitting=sitting)}
    rows = []
    for person in people:
        sign_in, sign_out = ins.get(person.pk), outs.get(person.pk)
        outcome, stay = _outcome(event, sign_in, sign_out, ended)
        rows.append(
            Row(
                person=person,
                registration=registrations.get(person.pk),
                sign_in=sign_in,
                sign_out=sign_out,
                outcome=outcome,
                stay_minutes=stay,
                hours=hours_for(event, stay, outcome == Outcome.ATTENDED)
                if outcome == Outcome.ATTENDED
                else Decimal("0"),
                review=reviews.get(person.pk),
            )
        )
    return rows


# --- a person's own ------------------------------------------------------------------------


@dataclass
class MySitting:
    sitting: EventSession
    outcome: str
    sign_in: Mark | None
    sign_out: Mark | None
    hours: Decimal


@dataclass
class MyEvent:
    event: Event
    registration: Registration | None
    sittings: list
    hours: Decimal


def my_events(person: Person, now: datetime | None = None) -> list[MyEvent]:
    """The person's registrations and the events they signed in to, with their own
    sign-ins and hours: their own data, no scope needed."""
    now = now or timezone.now()
    registrations = {
        r.event_id: r for r in Registration.objects.filter(person=person).select_related("event")
    }
    marked = set(
        Mark.objects.filter(person=person, session__event_sitting__isnull=False).values_list(
            "session__event_sitting__event_id", flat=True
        )
    )
    events = Event.objects.filter(pk__in=set(registrations) | marked).order_by("-created_at")
    out = []
    for event in events:
        sittings, total = [], Decimal("0")
        for sitting in event.sittings.select_related("session"):
            ins = Mark.objects.current().filter(session=sitting.session, person=person)
            sign_in = ins.filter(direction=Direction.IN).order_by("-pk").first()
            sign_out = ins.filter(direction=Direction.OUT).order_by("-pk").first()
            outcome, stay = _outcome(event, sign_in, sign_out, now >= sitting.session.ends_at)
            hours = hours_for(event, stay, True) if outcome == Outcome.ATTENDED else Decimal("0")
            total += hours
            sittings.append(MySitting(sitting, outcome, sign_in, sign_out, hours))
        out.append(MyEvent(event, registrations.get(event.pk), sittings, total))
    return out


def open_for(person: Person, now: datetime | None = None) -> list[Event]:
    """Events the person may still register for (open, not over, for them)."""
    from campuscode.events.roster import is_invited

    now = now or timezone.now()
    candidates = (
        Event.objects.filter(
            school_id=person.school_id,
            registration_open=True,
            cancelled_at__isnull=True,
            sittings__session__ends_at__gte=now,
        )
        .exclude(registrations__person=person)
        .distinct()
        .order_by("pk")[:50]
    )
    return [e for e in candidates if is_invited(e, person)]
