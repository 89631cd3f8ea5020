"""Every reason a gate refuses (or flags) a scan, through the device API."""

from datetime import date, time

import pytest

from campuscode.codes import keys as keystore
from campuscode.codes import status as code_status
from campuscode.codes.tokens import Colour
from campuscode.gates.models import ColourPolicy, GateEvent, Place
from campuscode.gates.tests.conftest import code_for, verify
from campuscode.people.models import Person
from conftest import tamper

pytestmark = pytest.mark.django_db

MORNING = "2026-03-02 09:00 +0800"


def answer(response):
    assert response.status_code == 200, response.content
    body = response.json()
    return body["allowed"], body["reason"], body["notice"]


def test_it_allows_a_valid_code_and_shows_only_the_masked_name_and_unit(
    client, device_token, student
):
    body = verify(client, device_token, code_for(student)).json()
    assert (body["allowed"], body["reason"]) == (True, "ok")
    assert body["display"] == "张*伟 · 计科2501班"
    assert set(body) == {
        "allowed",
        "reason",
        "reason_label",
        "notice",
        "display",
        "event_id",
        "at",
        "replayed",
    }


def test_it_refuses_a_malformed_code(client, device_token):
    assert answer(verify(client, device_token, "hello")) == (False, "malformed", "")


def test_it_refuses_a_forged_signature(client, device_token, student):
    token = code_for(student)
    bad = tamper(token)
    assert answer(verify(client, device_token, bad)) == (False, "bad_signature", "")


def test_it_refuses_a_code_of_a_retired_key(client, device_token, student):
    old = keystore.load_keyring().active
    token = code_for(student)
    keystore.rotate_key()
    keystore.retire_key(old)
    assert answer(verify(client, device_token, token)) == (False, "unknown_key", "")


def test_it_refuses_an_expired_code(client, device_token, student, time_machine):
    time_machine.move_to(MORNING, tick=False)
    token = code_for(student)
    time_machine.shift(91)
    assert answer(verify(client, device_token, token)) == (False, "expired", "")


@pytest.mark.parametrize("state", ["suspended", "left"])
def test_it_refuses_a_suspended_or_departed_person(client, device_token, student, state):
    Person.objects.filter(pk=student.pk).update(state=state)
    assert answer(verify(client, device_token, code_for(student))) == (False, state, "")


def test_it_refuses_an_unknown_person(client, device_token, tree):
    ghost = tree.person("王五", tree.cs_2501, account=False)
    token = code_for(ghost)
    Person.objects.filter(pk=ghost.pk).delete()
    assert answer(verify(client, device_token, token)) == (False, "unknown_person", "")


def test_it_refuses_a_red_code_and_flags_a_yellow_one(client, device_token, student):
    assert answer(verify(client, device_token, code_for(student, Colour.RED))) == (
        False,
        "red_status",
        "",
    )
    assert answer(verify(client, device_token, code_for(student, Colour.YELLOW))) == (
        True,
        "ok",
        "yellow",
    )


def test_a_place_may_refuse_yellow_codes(client, gate, device_token, student):
    Place.objects.filter(pk=gate.place_id).update(yellow_policy=ColourPolicy.REFUSE)
    assert answer(verify(client, device_token, code_for(student, Colour.YELLOW)))[:2] == (
        False,
        "yellow_status",
    )


def test_the_current_status_wins_over_a_greener_code(client, device_token, student):
    def red_for_student(person):
        if person.pk == student.pk:
            return code_status.Status(Colour.RED, "isolation")
        return None

    code_status.register_status_provider(red_for_student)
    try:
        assert answer(verify(client, device_token, code_for(student, Colour.GREEN)))[:2] == (
            False,
            "red_status",
        )
    finally:
        code_status._providers.remove(red_for_student)


def test_it_refuses_a_person_the_place_does_not_admit(client, gate, device_token, tree, student):
    place = gate.place
    place.allowed_kinds = ["staff"]
    place.save()
    assert answer(verify(client, device_token, code_for(student)))[:2] == (False, "not_allowed")
    place.allowed_kinds = []
    place.save()
    place.allowed_units.set([tree.en_2501])
    place.save()
    assert answer(verify(client, device_token, code_for(student)))[:2] == (False, "not_allowed")
    place.allowed_units.set([tree.cs])
    place.save()
    assert answer(verify(client, device_token, code_for(student)))[:2] == (True, "ok")


def test_it_admits_a_visitor_only_at_approved_places_and_dates(
    client, gate, device_token, tree, time_machine
):
    time_machine.move_to(MORNING, tick=False)
    visitor = tree.person(
        "访客甲",
        tree.cs,
        kind=Person.Kind.VISITOR,
        valid_from=date(2026, 3, 2),
        valid_until=date(2026, 3, 2),
    )
    assert answer(verify(client, device_token, code_for(visitor)))[:2] == (False, "not_allowed")
    gate.place.visitors.add(visitor)
    gate.place.save()
    assert answer(verify(client, device_token, code_for(visitor)))[:2] == (True, "ok")
    time_machine.move_to("2026-03-03 09:00 +0800", tick=False)
    assert answer(verify(client, device_token, code_for(visitor)))[:2] == (
        False,
        "visitor_invalid",
    )


def test_it_refuses_the_same_code_shown_twice_at_a_place(client, device_token, student):
    token = code_for(student)
    assert answer(verify(client, device_token, token))[:2] == (True, "ok")
    assert answer(verify(client, device_token, token))[:2] == (False, "duplicate")
    # Leaving with the same code is a different passage.
    assert answer(verify(client, device_token, token, direction="out"))[:2] == (True, "ok")


def test_every_refusal_is_stored_as_an_event(client, device_token, student):
    verify(client, device_token, "junk")
    verify(client, device_token, code_for(student, Colour.RED))
    reasons = sorted(GateEvent.objects.values_list("reason", flat=True))
    assert reasons == ["malformed", "red_status"]
    assert GateEvent.objects.get(reason="red_status").person == student


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        ("07:59:59", (False, "outside_hours")),
        ("08:00:00", (True, "ok")),
        ("21:59:59", (True, "ok")),
        ("22:00:00", (False, "outside_hours")),
    ],
)
def test_opening_hours_at_their_edges_in_the_school_time_zone(
    client, gate, device_token, student, time_machine, clock, expected
):
    Place.objects.filter(pk=gate.place_id).update(opens_at=time(8), closes_at=time(22))
    time_machine.move_to(f"2026-03-02 {clock} +0800", tick=False)
    assert answer(verify(client, device_token, code_for(student)))[:2] == expected


def test_exits_are_never_refused_for_closing_time(
    client, gate, device_token, student, time_machine
):
    Place.objects.filter(pk=gate.place_id).update(opens_at=time(8), closes_at=time(22))
    time_machine.move_to("2026-03-02 23:30 +0800", tick=False)
    assert answer(verify(client, device_token, code_for(student), direction="out"))[:2] == (
        True,
        "ok",
    )


@pytest.mark.parametrize(
    ("clock", "notice"),
    [("22:59:59", ""), ("23:00:00", "curfew"), ("05:59:59", "curfew"), ("06:00:00", "")],
)
def test_dormitory_curfew_flags_late_entry_at_its_edges(
    client, tree, student, time_machine, clock, notice
):
    from campuscode.gates.services import register_gate

    dorm = Place.objects.create(campus=tree.main_campus, name="1号宿舍楼", kind="dormitory")
    _gate, token = register_gate(place=dorm, name="宿舍门禁")
    time_machine.move_to(f"2026-03-02 {clock} +0800", tick=False)
    assert answer(verify(client, token, code_for(student))) == (True, "ok", notice)


def test_a_dormitory_curfew_of_its_own_replaces_the_school_default(
    client, tree, student, time_machine
):
    from campuscode.core.rules import set_setting
    from campuscode.gates.services import register_gate

    set_setting(key="gate_dorm_curfew_starts", value="22:00")
    dorm = Place.objects.create(campus=tree.main_campus, name="2号宿舍楼", kind="dormitory")
    _gate, token = register_gate(place=dorm, name="宿舍门禁")
    time_machine.move_to("2026-03-02 22:30 +0800", tick=False)
    assert answer(verify(client, token, code_for(student)))[2] == "curfew"
    dorm.curfew_starts, dorm.curfew_ends = time(23, 30), time(5)
    dorm.save()
    assert answer(verify(client, token, code_for(student)))[2] == ""
