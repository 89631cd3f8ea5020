"""Demo data of the gate side: gates on both campuses, a library, dormitories and a lab,
one device per place, and a few days of entry/exit history of the demo people."""

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from campuscode.gates.decide import Decision, PersonFacts, evaluate
from campuscode.gates.models import (
    ColourPolicy,
    Direction,
    Gate,
    GateEvent,
    Place,
    Reason,
)
from campuscode.gates.services import (
    check_silent_gates,
    facts_for,
    raise_alert,
    record_heartbeat,
    register_gate,
    rules_for,
)
from campuscode.people.models import OrgUnit, Person

DAYS = 3
SILENT_PLACE = "北门"  # the one demo gate that stays silent, to show the alert
PEOPLE_PER_DAY = 160

# (campus name, place name, kind, opens, closes, allowed kinds)
PLACES = [
    ("主校区", "南门", Place.Kind.CAMPUS_GATE, None, None, []),
    ("主校区", "北门", Place.Kind.CAMPUS_GATE, None, None, []),
    ("主校区", "图书馆", Place.Kind.LIBRARY, time(7), time(22, 30), []),
    ("主校区", "1号学生宿舍", Place.Kind.DORMITORY, None, None, ["student"]),
    ("主校区", "计算机实验中心", Place.Kind.LAB, time(8), time(21), ["student", "staff"]),
    ("东校区", "东门", Place.Kind.CAMPUS_GATE, None, None, []),
    ("东校区", "东区学生宿舍", Place.Kind.DORMITORY, None, None, ["student"]),
]


@transaction.atomic
def load_demo(*, school: OrgUnit, now: datetime) -> list[str]:
    rng = random.Random(55)
    campuses = {c.name: c for c in school.children.filter(kind=OrgUnit.Kind.CAMPUS)}
    places, tokens = [], {}
    for campus_name, name, kind, opens, closes, kinds in PLACES:
        campus = campuses.get(campus_name)
        if campus is None:
            continue
        place = Place.objects.create(
            campus=campus,
            name=name,
            kind=kind,
            opens_at=opens,
            closes_at=closes,
            allowed_kinds=kinds,
            yellow_policy=ColourPolicy.NOTICE,
        )
        if kind == Place.Kind.LAB:
            college = OrgUnit.objects.filter(
                path__startswith=campus.path, name="计算机学院"
            ).first()
            if college:
                place.allowed_units.add(college)
        gate, token = register_gate(place=place, name=f"{name}闸机1")
        places.append(place)
        tokens[gate.pk] = token
    gates = list(Gate.objects.filter(place__in=places).select_related("place", "place__campus"))
    _history(rng, school, gates, now)

    # Every device spoke a minute ago, except the north gate (SILENT_PLACE: an alert on
    # the dashboard) and the lab reader (its case was opened: a tamper alert). While the
    # demo runs, `keep_alive` plays the other devices' heartbeats.
    Gate.objects.filter(pk__in=[g.pk for g in gates]).update(
        created_at=now - timedelta(days=DAYS + 1), last_heartbeat_at=now - timedelta(minutes=1)
    )
    for gate in gates:
        if gate.place.name == SILENT_PLACE:
            Gate.objects.filter(pk=gate.pk).update(last_heartbeat_at=now - timedelta(hours=2))
        if gate.place.kind == Place.Kind.LAB:
            raise_alert(gate=gate, kind="tamper", now=now - timedelta(minutes=20), detail={})
    check_silent_gates(now=now)

    south = next((g for g in gates if g.place.name == "南门"), gates[0] if gates else None)
    if south is None:
        return []
    return [
        f"Gate page ({south.place.campus.name}{south.place.name}, keyboard-wedge scanner): "
        f"{{base}}/gates/kiosk/#token={tokens[south.pk]}",
        f"Command-line gate: campuscode gate run --server {{base}} --token {tokens[south.pk]}",
        "Gates live view, search, devices (gate staff T1005@DEMO): {base}/gates/",
    ]


def _history(rng: random.Random, school: OrgUnit, gates: list[Gate], now: datetime) -> None:
    people = list(
        Person.objects.filter(school=school, state=Person.State.ACTIVE).select_related("org_unit")
    )
    if not people or not gates:
        return
    by_campus: dict[int, list[Gate]] = {}
    for gate in gates:
        by_campus.setdefault(gate.place.campus_id, []).append(gate)
    # Every event is decided by the same rules a gate applies (decide.evaluate), with
    # each person's real health status: no exit is ever flagged as a curfew entry.
    rules = {gate.place_id: rules_for(gate.place) for gate in gates}
    facts: dict[int, PersonFacts] = {}

    def _facts(person: Person) -> PersonFacts:
        if person.pk not in facts:
            facts[person.pk] = facts_for(person, token_colour=None)
        return facts[person.pk]

    events = []
    seq = 0
    today = timezone.localtime(now).date()
    for back in range(DAYS, -1, -1):
        day = today - timedelta(days=back)
        for person in rng.sample(people, min(PEOPLE_PER_DAY, len(people))):
            campus_id = next(
                (int(p) for p in person.org_unit.path.strip("/").split("/")[1:2]), None
            )
            choices = by_campus.get(campus_id) or gates
            for _ in range(rng.randint(1, 3)):
                gate = rng.choice(choices)
                place = gate.place
                if place.allowed_kinds and person.kind not in place.allowed_kinds:
                    continue
                hour = rng.choice([7, 8, 8, 9, 11, 12, 13, 17, 18, 19, 21, 22, 23])
                at = timezone.make_aware(
                    datetime.combine(day, time(hour, rng.randint(0, 59), rng.randint(0, 59)))
                )
                if at > now:
                    continue
                seq += 1
                direction = rng.choice([Direction.IN, Direction.OUT])
                # The code-level refusals come before the place's rules, as at a real gate.
                roll = rng.random()
                if roll < 0.03:
                    decision = Decision(False, Reason.EXPIRED)
                elif roll < 0.04:
                    decision = Decision(False, Reason.DUPLICATE)
                else:
                    decision = evaluate(
                        rules=rules[place.pk],
                        person=_facts(person),
                        direction=direction,
                        local=timezone.localtime(at),
                    )
                allowed, reason, notice = decision.allowed, decision.reason, decision.notice
                events.append(
                    GateEvent(
                        gate=gate,
                        place=place,
                        direction=direction,
                        person=person,
                        at=at,
                        allowed=allowed,
                        reason=reason,
                        notice=notice,
                        colour=_facts(person).colour,
                        nonce=f"demo-{seq}",
                        source=GateEvent.Source.OFFLINE
                        if rng.random() < 0.05
                        else GateEvent.Source.ONLINE,
                    )
                )
    GateEvent.objects.bulk_create(events, batch_size=1000)


def keep_alive(*, now=None) -> int:
    """The demo's gate devices speak: a heartbeat from every demo gate but the silent one
    (run at each start of `campuscode demo` and every minute while it runs), so a demo
    started days after it was loaded does not open with every gate reported silent."""
    from campuscode.core.demo import SCHOOL_CODE

    school = OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL, code=SCHOOL_CODE).first()
    if school is None:
        return 0
    gates = (
        Gate.objects.working()
        .filter(place__campus__path__startswith=school.path)
        .exclude(place__name=SILENT_PLACE)
        .select_related("place")
    )
    count = 0
    for gate in gates:
        record_heartbeat(gate=gate, data={"demo": True}, now=now)
        count += 1
    return count
