"""Anti-passback and impossible travel at campus gates (issue 9, case 9), over the device API.

A screenshot of someone's code, refused at the gate where it was just used, must not pass
at another gate of the same campus a minute later; a person inside the campus enters again
only after an exit (or after the school's passback time); a code seen at two gates too
quickly for anyone to walk between them is refused and shown to the security staff.
"""

import pytest
from django.utils import timezone

from campuscode.core.rules import set_setting
from campuscode.gates.models import GateAlert, GateEvent, Place
from campuscode.gates.offline import OfflineVerifier
from campuscode.gates.services import register_gate
from campuscode.gates.tests.conftest import code_for, verify
from campuscode.gates.tests.test_offline_upload_verification import allowed_passage, upload
from conftest import sign_in

pytestmark = pytest.mark.django_db

MORNING = "2026-03-02 08:00 +0800"


@pytest.fixture
def north_token(tree):
    place = Place.objects.create(campus=tree.main_campus, name="北门", kind=Place.Kind.CAMPUS_GATE)
    return register_gate(place=place, name="北门闸机1")[1]


def scan(client, device_token, person, direction="in", token=None):
    body = verify(client, device_token, token or code_for(person), direction=direction)
    assert body.status_code == 200
    return body.json()


def test_it_refuses_a_second_entry_at_another_gate_a_minute_later(
    client, device_token, north_token, student, time_machine
):
    time_machine.move_to(MORNING, tick=False)
    screenshot = code_for(student)
    assert scan(client, device_token, student, token=screenshot)["allowed"] is True
    # The same picture at the same gate: refused as before.
    assert scan(client, device_token, student, token=screenshot)["reason"] == "duplicate"
    time_machine.shift(60)
    # ...and at the other gate of the campus a minute later: refused too now.
    answer = scan(client, north_token, student, token=screenshot)
    assert (answer["allowed"], answer["reason"]) == (False, "passback")
    assert answer["reason_label"]
    # A fresh code of the same person does not help either.
    assert scan(client, north_token, student)["reason"] == "passback"
    assert GateEvent.objects.filter(allowed=True).count() == 1


def test_an_exit_lets_the_person_enter_again(
    client, device_token, north_token, student, time_machine
):
    time_machine.move_to(MORNING, tick=False)
    assert scan(client, device_token, student)["allowed"] is True
    time_machine.shift(600)
    assert scan(client, north_token, student, direction="out")["allowed"] is True
    time_machine.shift(600)
    assert scan(client, device_token, student)["allowed"] is True
    time_machine.shift(600)
    # Inside again: one more entry without an exit is refused, at either gate.
    assert scan(client, device_token, student)["reason"] == "passback"
    assert scan(client, north_token, student)["reason"] == "passback"


def test_a_code_at_two_gates_within_the_walking_time_is_refused_and_alerted(
    client, device_token, north_token, student, gate_staff, time_machine
):
    time_machine.move_to(MORNING, tick=False)
    assert scan(client, device_token, student, direction="out")["allowed"] is True
    # Half a minute later someone shows the same person's code at the north gate: nobody
    # walks around the campus wall in thirty seconds.
    time_machine.shift(30)
    answer = scan(client, north_token, student)
    assert (answer["allowed"], answer["reason"]) == (False, "impossible_travel")
    alert = GateAlert.objects.get(kind=GateAlert.Kind.TRAVEL)
    assert alert.gate.place.name == "北门"
    assert alert.detail["seconds"] == 30
    assert alert.detail["other_gate"].endswith("南门闸机1")
    assert alert.detail["person"] == "张*伟 · 计科2501班"
    # The security staff of the campus see it in the live view.
    sign_in(client, gate_staff)
    page = client.get("/gates/live/panel/").content.decode()
    assert 'data-alert="travel"' in page and "张*伟" in page
    # Each incident is an alert of its own, not folded into the open one.
    time_machine.shift(30)
    assert scan(client, device_token, student)["reason"] == "impossible_travel"
    assert GateAlert.objects.filter(kind=GateAlert.Kind.TRAVEL).count() == 2
    # After the walking time the person is free to enter.
    time_machine.shift(180)
    assert scan(client, north_token, student)["allowed"] is True


def test_after_the_passback_time_the_person_may_enter_again(
    client, device_token, north_token, student, time_machine
):
    set_setting(key="gate_passback_minutes", value=30)
    time_machine.move_to(MORNING, tick=False)
    assert scan(client, device_token, student)["allowed"] is True
    time_machine.shift(29 * 60)
    assert scan(client, north_token, student)["reason"] == "passback"
    time_machine.shift(2 * 60)
    # No exit recorded (a gate that only reads entries, a tailgated exit): after the
    # school's time the person may enter again.
    assert scan(client, north_token, student)["allowed"] is True


def test_other_campuses_and_inner_places_are_not_held(
    client, device_token, east_gate_and_token, tree, student, time_machine
):
    time_machine.move_to(MORNING, tick=False)
    assert scan(client, device_token, student)["allowed"] is True
    library = Place.objects.create(campus=tree.main_campus, name="图书馆", kind=Place.Kind.LIBRARY)
    library_token = register_gate(place=library, name="图书馆闸机")[1]
    time_machine.shift(60)
    # A library a minute's walk inside: entered twice without an exit reader.
    assert scan(client, library_token, student)["allowed"] is True
    time_machine.shift(60)
    assert scan(client, library_token, student)["allowed"] is True
    # Another campus, reached by bus: inside the main campus says nothing about it.
    time_machine.shift(3600)
    assert scan(client, east_gate_and_token[1], student)["allowed"] is True


def test_the_school_can_turn_both_checks_off(
    client, device_token, north_token, student, time_machine
):
    set_setting(key="gate_passback_minutes", value=0)
    set_setting(key="gate_min_travel_minutes", value=0)
    time_machine.move_to(MORNING, tick=False)
    assert scan(client, device_token, student)["allowed"] is True
    time_machine.shift(20)
    assert scan(client, north_token, student)["allowed"] is True


def test_an_offline_gate_holds_back_whom_it_let_in_itself(
    client, device_token, student, time_machine
):
    time_machine.move_to(MORNING, tick=False)
    snapshot = client.get(
        "/api/v1/gates/snapshot", headers={"Authorization": f"Bearer {device_token}"}
    ).json()
    assert snapshot["passback_seconds"] == 240 * 60
    gate = OfflineVerifier(snapshot)
    now = timezone.now().timestamp()
    assert gate.decide(code_for(student, now=now), "in", now=now).allowed
    later = now + 60
    second = gate.decide(code_for(student, now=later), "in", now=later)
    assert (second.allowed, second.reason) == (False, "passback")
    assert gate.decide(code_for(student, now=later), "out", now=later + 1).allowed
    assert gate.decide(code_for(student, now=later + 2), "in", now=later + 2).allowed


def test_an_uploaded_offline_entry_is_checked_against_the_other_gates(
    client, device_token, north_token, student, time_machine
):
    time_machine.move_to(MORNING, tick=False)
    assert scan(client, device_token, student)["allowed"] is True
    time_machine.shift(600)
    # The north gate was offline and let the same person in again (it could not know).
    answer = upload(client, north_token, allowed_passage(code_for(student), person=student))
    assert answer.json()["stored"] == 1
    event = GateEvent.objects.get(source="offline")
    assert (event.allowed, event.reason) == (False, "passback")
