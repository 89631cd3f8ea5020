"""Who an event expects, and who may come in at its door (R2.5).

The engine asks `expected(session)` for an event sitting (registered in apps.ready):
- audience "units": the active people of the invited units or classes, plus anyone whose
  registration was approved (a guest from elsewhere);
- "registered" and "everyone": the approved registrations only. Anyone at the school may
  walk into an "everyone" event, but nobody is a no-show for one they never signed up for.
"""

from django.db.models import Q, QuerySet

from campuscode.events.models import DoorReason, Event, EventSession, Registration
from campuscode.people.access import Cap, covers_unit
from campuscode.people.models import Person


def invited_q(event: Event) -> Q:
    q = Q(pk__in=[])
    if event.audience == Event.Audience.UNITS:
        for unit in event.units.all():
            q |= Q(org_unit__path__startswith=unit.path)
    return q


def expected_for_event(event: Event) -> QuerySet[Person]:
    approved = Registration.objects.filter(event=event, state=Registration.State.APPROVED)
    q = invited_q(event) | Q(pk__in=approved.values("person_id"))
    return Person.objects.filter(q, school_id=event.school_id)


def expected(session) -> QuerySet[Person]:
    sitting = EventSession.objects.select_related("event").filter(session=session).first()
    if sitting is None:
        return Person.objects.none()
    return expected_for_event(sitting.event)


def may_run(user, session) -> bool:
    sitting = EventSession.objects.select_related("event__organiser_unit").filter(session=session)
    sitting = sitting.first()
    return bool(sitting and covers_unit(user, Cap.RUN_EVENTS, sitting.event.organiser_unit))


def is_invited(event: Event, person: Person) -> bool:
    """Whether `person` belongs to the audience (may register, or is expected)."""
    if person.school_id != event.school_id or person.state != Person.State.ACTIVE:
        return False
    if event.audience != Event.Audience.UNITS:
        return True
    return Person.objects.filter(invited_q(event), pk=person.pk).exists()


def admission(event: Event, person: Person) -> str:
    """Whether `person` may sign in at the door: DoorReason.OK or why not (capacity is
    the caller's, under the event's lock)."""
    if person.state == Person.State.SUSPENDED:
        return DoorReason.SUSPENDED
    if person.state == Person.State.LEFT:
        return DoorReason.LEFT
    if person.school_id != event.school_id:
        return DoorReason.NOT_INVITED
    registration = Registration.objects.filter(event=event, person=person).first()
    if registration and registration.state == Registration.State.APPROVED:
        return DoorReason.OK
    if event.audience == Event.Audience.EVERYONE:
        return DoorReason.OK
    if event.audience == Event.Audience.UNITS and is_invited(event, person):
        return DoorReason.OK
    if registration and registration.state == Registration.State.PENDING:
        return DoorReason.PENDING
    return DoorReason.NOT_INVITED
