"""Reads of the gate side, always through the reader's scope (R6.6)."""

import base64
from datetime import date, datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from campuscode.codes import keys as keystore
from campuscode.codes.status import current_status, maybe_not_green
from campuscode.core.rules import get_setting
from campuscode.gates.decide import colour_floor
from campuscode.gates.models import Gate, GateAlert, GateEvent, Place
from campuscode.gates.services import rules_for, school_of
from campuscode.people.access import Cap, scope_q
from campuscode.people.models import Person, mask_name

# 2: the list of admitted people with their decisions' inputs (1 held the whole school).
SNAPSHOT_VERSION = 2


def places_for(user, capability: str = Cap.VIEW_GATES) -> QuerySet[Place]:
    """Places on the campuses the user's gate role covers (a school-wide role: all)."""
    unit_q = scope_q(user, capability, unit="campus", kind=None)
    # A role held at a unit *below* a campus (a college) does not cover the campus gate.
    return Place.objects.filter(unit_q).select_related("campus")


def gates_for(user, capability: str = Cap.VIEW_GATES) -> QuerySet[Gate]:
    return Gate.objects.filter(place__in=places_for(user, capability)).select_related(
        "place", "place__campus"
    )


def events_for(user) -> QuerySet[GateEvent]:
    return GateEvent.objects.visible_to(user, Cap.VIEW_GATES, include_own=True).select_related(
        "gate", "place", "place__campus", "person", "person__org_unit"
    )


def search_events(
    user,
    *,
    person_query: str = "",
    place_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    refused_only: bool = False,
) -> QuerySet[GateEvent]:
    events = events_for(user)
    if person_query:
        events = events.filter(
            Q(person__number=person_query) | Q(person__name__icontains=person_query)
        )
    if place_id:
        events = events.filter(place_id=place_id)
    if since:
        events = events.filter(at__gte=since)
    if until:
        events = events.filter(at__lt=until)
    if refused_only:
        events = events.filter(allowed=False)
    return events


def own_events(person: Person) -> QuerySet[GateEvent]:
    return GateEvent.objects.filter(person=person).select_related("place", "place__campus", "gate")


def live_view(user, *, per_place: int = 8) -> list[dict]:
    """The last scans of every place in scope, newest first, for the live panel."""
    rows = []
    for place in places_for(user).filter(active=True):
        events = list(
            GateEvent.objects.filter(place=place)
            .select_related("gate", "person", "person__org_unit")
            .order_by("-at", "-pk")[:per_place]
        )
        rows.append({"place": place, "events": events})
    return rows


def open_alerts_for(user) -> QuerySet[GateAlert]:
    return GateAlert.objects.filter(
        gate__in=gates_for(user), resolved_at__isnull=True
    ).select_related("gate", "gate__place")


def device_status(gate: Gate, *, now: datetime | None = None) -> str:
    """'ok', 'silent' or 'revoked', for the device list."""
    if gate.revoked_at:
        return "revoked"
    now = now or timezone.now()
    limit = get_setting("gate_heartbeat_silence_minutes", school_of(gate.place)) * 60
    if gate.last_heartbeat_at is None or (now - gate.last_heartbeat_at).total_seconds() > limit:
        return "silent"
    return "ok"


def public_keys() -> list[dict]:
    ring = keystore.load_keyring()
    return [
        {
            "kid": key.kid,
            "public_key": base64.urlsafe_b64encode(key.public_bytes).rstrip(b"=").decode(),
        }
        for key in ring.verifying().values()
    ]


def admitted_people(place: Place, *, today: date) -> QuerySet[Person]:
    """The people `place` may let in (decide.evaluate's standing, validity and admission
    checks as one query): active, not past their last valid day, and either a visitor
    approved for this place or, for everyone else, of an admitted kind and unit."""
    rules = rules_for(place)
    others = ~Q(kind=Person.Kind.VISITOR)
    if rules.allowed_kinds:
        others &= Q(kind__in=rules.allowed_kinds)
    if rules.allowed_unit_paths:
        units = Q()
        for path in rules.allowed_unit_paths:
            units |= Q(org_unit__path__startswith=path)
        others &= units
    visitors = Q(kind=Person.Kind.VISITOR, pk__in=rules.visitor_ids)
    return (
        Person.objects.filter(school_id=place.campus.school_id, state=Person.State.ACTIVE)
        .exclude(valid_until__lt=today)
        .filter(others | visitors)
    )


def build_snapshot(*, gate: Gate, now: datetime | None = None) -> dict:
    """What an offline gate holds (R2.2, PIPL Art. 6: no more than its place needs).

    One row per person this place admits: the colour the gate must treat them as at
    least (decide.colour_floor: "" for nearly everyone, "yellow" where the place admits
    a yellow code with a notice), their validity dates if they have any, and a masked
    name to show on the screen. Nobody the place refuses whatever code they show is
    listed (suspended, left, past their dates, not admitted here, refused by colour): an
    offline gate refuses an unlisted code as `not_on_list`. No full names, numbers,
    classes, kinds, states or health colours leave the server.
    """
    now = now or timezone.now()
    place = gate.place
    rules = rules_for(place)
    today = timezone.localdate(now)
    people = {}
    # Only people a status provider could call yellow or red are asked (one pass per
    # provider, not three queries per person); everyone else is green.
    school = place.campus.school_id
    candidates = maybe_not_green(school)
    for person in admitted_people(place, today=today).order_by("pk"):
        asked = candidates is None or person.pk in candidates
        floor = colour_floor(rules, current_status(person).colour) if asked else ""
        if floor is None:
            continue
        people[str(person.pk)] = [
            floor,
            person.valid_from.isoformat() if person.valid_from else None,
            person.valid_until.isoformat() if person.valid_until else None,
            mask_name(person.name),
        ]
    return {
        "version": SNAPSHOT_VERSION,
        "generated_at": now.isoformat(),
        "generated_ts": int(now.timestamp()),
        "max_age_seconds": get_setting("gate_snapshot_max_age_minutes", school) * 60,
        "degraded_allowed": bool(get_setting("gate_degraded_mode", school)),
        "code_lifetime_seconds": get_setting("code_lifetime_seconds", school),
        "passback_seconds": get_setting("gate_passback_minutes", school) * 60
        if place.kind == Place.Kind.CAMPUS_GATE
        else 0,
        "time_zone": settings.TIME_ZONE,
        "gate": {
            "id": gate.pk,
            "name": gate.name,
            "place": place.name,
            "campus": place.campus.name,
        },
        "rules": rules.offline_dict(),
        "keys": public_keys(),
        "people": people,
    }
