"""What a gate holds offline, and that it decides with it as the server does.

The snapshot lists only the people the gate's place admits, each with what the rules
need (the colour to treat them as at least, validity dates, a masked name): no class,
kind, standing or health colour. Over generated places (colour policies, admitted kinds
and units, hours, curfew) and people (kind, unit, standing, validity, approval, health
status), for every colour a code can carry, both directions and any time of day, the
offline gate answers exactly as the server does for everyone on its list, and everyone
left off the list is someone the server refuses to let in with any code."""

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campuscode.audit.models import AuditEntry
from campuscode.checkins.models import ManualStatus
from campuscode.checkins.services import set_manual_status
from campuscode.codes.tokens import Colour, issue_token
from campuscode.followup.isolation import place_isolation
from campuscode.gates import services
from campuscode.gates.models import ColourPolicy, Gate, Place
from campuscode.gates.offline import OfflineVerifier
from campuscode.gates.selectors import build_snapshot
from campuscode.people.models import Person, Role

pytestmark = pytest.mark.django_db

SCHOOL_TZ = ZoneInfo("Asia/Shanghai")


def pull(client, device_token) -> dict:
    response = client.get(
        "/api/v1/gates/snapshot", headers={"Authorization": f"Bearer {device_token}"}
    )
    assert response.status_code == 200
    return response.json()


def test_a_gate_holds_only_the_people_its_place_admits_and_no_health_colours(
    client, tree, gate, device_token, student, other_student
):
    officer = tree.account("clinic", (Role.HEALTH_OFFICE, tree.school))
    # A dormitory of the computer science college that lets yellow codes in with a notice.
    Place.objects.filter(pk=gate.place_id).update(
        kind=Place.Kind.DORMITORY, allowed_kinds=["student"], yellow_policy=ColourPolicy.NOTICE
    )
    gate.place.refresh_from_db()
    gate.place.allowed_units.set([tree.cs])
    yellow = tree.person("王芳芳", tree.cs_2502)
    red = tree.person("赵强", tree.cs_2502)
    suspended = tree.person("钱多", tree.cs_2502, state=Person.State.SUSPENDED)
    staff = tree.person("孙老师", tree.cs, kind=Person.Kind.STAFF)
    set_manual_status(person=yellow, colour="yellow", reason="复查中", user=officer)
    set_manual_status(person=red, colour="red", reason="发热", user=officer)

    snapshot = pull(client, device_token)

    # other_student studies at another college: this dormitory would refuse them anyway.
    assert snapshot["people"] == {
        str(student.pk): ["", None, None, "张*伟"],
        str(yellow.pk): ["yellow", None, None, "王*芳"],
    }
    assert str(red.pk) not in snapshot["people"]
    assert str(suspended.pk) not in snapshot["people"]
    assert str(staff.pk) not in snapshot["people"]
    text = json.dumps(snapshot, ensure_ascii=False)
    for secret in ("计科", "计算机学院", "student", "suspended", "张小伟", student.number):
        assert secret not in text, secret
    assert set(snapshot["rules"]) == {
        "opens_at",
        "closes_at",
        "curfew_starts",
        "curfew_ends",
        "red_policy",
        "yellow_policy",
    }
    entry = AuditEntry.objects.get(action="gates.snapshot.pulled")
    assert entry.data == {"gate": gate.pk, "place": gate.place_id, "count": 2}


def test_every_pull_is_audited(client, gate, device_token, student):
    for _ in range(3):
        pull(client, device_token)
    assert AuditEntry.objects.filter(action="gates.snapshot.pulled").count() == 3


def test_the_api_says_what_a_gate_holds_and_for_how_long(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/gates/snapshot"]
    text = operation["get"]["description"]
    assert "What a gate holds" in text and "For how long" in text
    assert "gates.snapshot.pulled" in text and "not_on_list" in text


def test_an_isolated_person_is_left_off_a_gate_that_refuses_red(
    client, tree, gate, device_token, student, other_student
):
    officer = tree.account("clinic", (Role.HEALTH_OFFICE, tree.school))
    today = timezone.localdate()
    assert place_isolation(
        person=other_student,
        user=officer,
        kind="isolation",
        place="东区隔离点",
        reason="密接",
        starts_on=today,
        ends_on=today,
    ).ok
    people = pull(client, device_token)["people"]
    assert str(other_student.pk) not in people and people[str(student.pk)][0] == ""


def test_snapshot_queries_do_not_grow_with_the_school(tree, gate, student):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            build_snapshot(gate=gate)
        return len(captured.captured_queries)

    queries()  # warms the per-process caches (keys, place rules)
    before = queries()
    for i in range(20):
        tree.person(f"新生{i}", tree.cs_2502, account=False)
    assert Person.objects.count() > 20
    assert queries() == before


# --- the offline gate decides as the server does ----------------------------------------

POLICIES = st.sampled_from(list(ColourPolicy.values))
places = st.fixed_dictionaries(
    {
        "red_policy": POLICIES,
        "yellow_policy": POLICIES,
        "allowed_kinds": st.sampled_from([[], ["student"], ["staff", "visitor"]]),
        "unit": st.sampled_from([None, "cs", "cs_2502"]),
        "hours": st.sampled_from([None, (time(7), time(22)), (time(22), time(6))]),
        "curfew": st.sampled_from([None, (time(23), time(5))]),
    }
)
people = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(list(Person.Kind.values)),
            "unit": st.sampled_from(["cs_2501", "cs_2502", "en_2501"]),
            "state": st.sampled_from(["active", "active", "active", "suspended", "left"]),
            # first and last valid day, relative to today
            "valid": st.sampled_from([(None, None), (-2, -1), (-1, 0), (1, 3), (None, 0)]),
            "approved": st.booleans(),  # a visitor approved for this place
            "status": st.sampled_from(list(Colour.values)),
        }
    ),
    min_size=1,
    max_size=3,
)
minute_of_day = st.integers(min_value=0, max_value=24 * 60 - 1)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(place=places, crowd=people, minute=minute_of_day)
def test_an_offline_gate_decides_as_the_server_for_everyone_on_its_list(
    client, tree, gate, device_token, time_machine, place, crowd, minute
):
    day = datetime(2026, 3, 2, tzinfo=SCHOOL_TZ)
    time_machine.move_to(day + timedelta(minutes=minute), tick=False)
    now, today = timezone.now(), timezone.localdate()
    Person.objects.filter(number__startswith="H").delete()  # the previous example's crowd
    Place.objects.filter(pk=gate.place_id).update(
        red_policy=place["red_policy"],
        yellow_policy=place["yellow_policy"],
        allowed_kinds=place["allowed_kinds"],
        opens_at=place["hours"][0] if place["hours"] else None,
        closes_at=place["hours"][1] if place["hours"] else None,
        curfew_starts=place["curfew"][0] if place["curfew"] else None,
        curfew_ends=place["curfew"][1] if place["curfew"] else None,
    )
    # The place's rules are cached for a few seconds per process, and the frozen clock
    # leaves `updated_at` unchanged between examples.
    services._rules_cache.clear()
    fresh = Gate.objects.select_related("place", "place__campus").get(pk=gate.pk)
    fresh.place.allowed_units.set([getattr(tree, place["unit"])] if place["unit"] else [])
    crowd_people = []
    for i, facts in enumerate(crowd):
        first, last = facts["valid"]
        person = tree.person(
            f"人员{i}号",
            getattr(tree, facts["unit"]),
            kind=facts["kind"],
            number=f"H{i}",
            account=False,
            state=facts["state"],
            valid_from=None if first is None else today + timedelta(days=first),
            valid_until=None if last is None else today + timedelta(days=last),
        )
        if facts["status"] != Colour.GREEN:
            ManualStatus.objects.create(
                person=person, colour=facts["status"], reason="复查", set_at=now
            )
        crowd_people.append(person)
    fresh.place.visitors.set([p for p, f in zip(crowd_people, crowd, strict=True) if f["approved"]])

    verifier = OfflineVerifier(pull(client, device_token))

    for person in crowd_people:
        listed = str(person.pk) in verifier.people
        for colour in Colour.values:
            token = issue_token(person=person, colour=colour)
            for direction in ("in", "out"):
                online, *_ = services.decide_online(
                    gate=fresh, token=token, direction=direction, now=now
                )
                offline = verifier.decide(token, direction, now=now.timestamp())
                if listed:
                    assert (offline.allowed, offline.reason, offline.notice) == (
                        online.allowed,
                        online.reason,
                        online.notice,
                    ), (person.kind, person.state, colour, direction)
                else:
                    assert (offline.allowed, offline.reason) == (False, "not_on_list")
                    if direction == "in":
                        assert not online.allowed, (person.kind, person.state, colour)
