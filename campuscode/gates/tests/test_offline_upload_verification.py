"""An offline gate's upload is checked, not trusted: an allowed passage counts only with
the code that was read, genuine, from a key not retired by then, valid at the claimed
time, at a plausible time, and the claimed person's own. Anything else is stored as
refused (`unverified`, with why) and counts nowhere as a passage."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from campuscode.codes import keys
from campuscode.gates.models import GateEvent, Reason, Unverified
from campuscode.gates.tests.conftest import code_for, verify
from conftest import sign_in, tamper

pytestmark = pytest.mark.django_db


def upload(client, device_token, *events):
    return client.post(
        "/api/v1/gates/events",
        {"events": list(events)},
        content_type="application/json",
        headers={"Authorization": f"Bearer {device_token}"},
    )


def allowed_passage(token, *, at=None, person=None, nonce=None, direction="in") -> dict:
    """What a gate queues after letting someone through offline."""
    event = {
        "nonce": nonce or uuid.uuid4().hex,
        "token": token,
        "direction": direction,
        "at": (at or timezone.now()).isoformat(),
        "allowed": True,
        "reason": "ok",
        "colour": "green",
    }
    if person is not None:
        event["person_id"] = person.pk
    return event


def assert_counts_nowhere(client, gate_staff, student, why: str) -> None:
    event = GateEvent.objects.get(source="offline")
    assert (event.allowed, event.reason, event.unverified) == (False, Reason.UNVERIFIED, why)
    assert event.claim["allowed"] is True  # what the device said is kept for the record
    assert not GateEvent.objects.filter(allowed=True).exists()
    sign_in(client, gate_staff)
    live = client.get("/gates/live/panel/").content.decode()
    assert 'data-reason="unverified"' in live and 'class="ok' not in live
    assert f'data-unverified="{why}"' in live
    listed = client.get("/gates/events/", {"refused": "1"}).content.decode()
    assert 'data-reason="unverified"' in listed
    client.logout()
    if event.person_id:
        sign_in(client, student.user)
        mine = client.get("/gates/mine/").content.decode()
        assert 'class="card refused"' in mine and 'data-reason="unverified"' in mine


def test_an_allowed_passage_without_the_code_is_unverified(
    client, device_token, gate_staff, student
):
    event = allowed_passage("")
    assert upload(client, device_token, event).json() == {
        "stored": 1,
        "duplicates": 0,
        "unverified": 1,
    }
    assert_counts_nowhere(client, gate_staff, student, Unverified.NO_TOKEN)


def test_an_allowed_passage_with_a_forged_code_is_unverified(
    client, device_token, gate_staff, student
):
    upload(client, device_token, allowed_passage(tamper(code_for(student)), person=student))
    assert_counts_nowhere(client, gate_staff, student, Unverified.BAD_TOKEN)
    assert GateEvent.objects.get().person is None


def test_an_allowed_passage_with_another_persons_code_is_unverified(
    client, device_token, gate_staff, student, other_student
):
    # A guard's own code, uploaded as a passage of someone else.
    upload(client, device_token, allowed_passage(code_for(student), person=other_student))
    assert_counts_nowhere(client, gate_staff, student, Unverified.OTHER_PERSON)
    assert GateEvent.objects.get().claim["person_id"] == other_student.pk


@pytest.mark.parametrize(
    ("shift", "why"),
    [
        (timedelta(minutes=10), Unverified.EXPIRED_THEN),  # a code read long after it expired
        (timedelta(minutes=-10), Unverified.BEFORE_ISSUE),  # "scanned" before it existed
        (timedelta(days=-3), Unverified.BEFORE_ISSUE),  # a passage back-dated by days
    ],
)
def test_an_allowed_passage_outside_the_codes_validity_is_unverified(
    client, device_token, gate_staff, student, shift, why
):
    issued = timezone.now() - timedelta(minutes=15)
    token = code_for(student, now=issued.timestamp())
    upload(client, device_token, allowed_passage(token, at=issued + shift, person=student))
    assert_counts_nowhere(client, gate_staff, student, why)
    assert GateEvent.objects.get().person == student


def test_a_passage_claimed_in_the_future_is_unverified_and_stored_at_arrival(
    client, device_token, gate_staff, student, time_machine
):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    later = timezone.now() + timedelta(hours=2)
    token = code_for(student, now=later.timestamp())  # a code from a gate clock running fast
    upload(client, device_token, allowed_passage(token, at=later, person=student))
    assert_counts_nowhere(client, gate_staff, student, Unverified.FUTURE)
    event = GateEvent.objects.get()
    assert event.at == timezone.now()
    assert datetime.fromisoformat(event.claim["at"]) == later


def test_a_code_whose_key_was_retired_before_the_claimed_time_is_unverified(
    client, device_token, gate_staff, student, time_machine
):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    token = code_for(student)
    old_kid = keys.load_keyring().active
    keys.rotate_key()
    time_machine.shift(10)
    keys.retire_key(old_kid)  # e.g. the old key leaked
    time_machine.shift(20)
    upload(client, device_token, allowed_passage(token, person=student))
    assert_counts_nowhere(client, gate_staff, student, Unverified.KEY_RETIRED)


def test_a_code_read_before_its_key_was_retired_still_counts(
    client, device_token, student, time_machine
):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    token = code_for(student)
    read_at = timezone.now() + timedelta(seconds=5)
    old_kid = keys.load_keyring().active
    keys.rotate_key()
    time_machine.shift(60)
    keys.retire_key(old_kid)
    upload(client, device_token, allowed_passage(token, at=read_at, person=student))
    event = GateEvent.objects.get()
    assert (event.allowed, event.reason, event.unverified, event.person) == (
        True,
        "ok",
        "",
        student,
    )


def test_a_genuine_offline_passage_counts_once(client, device_token, gate_staff, student):
    token = code_for(student)
    genuine = allowed_passage(token, at=timezone.now() - timedelta(seconds=20), person=student)
    assert upload(client, device_token, genuine).json() == {
        "stored": 1,
        "duplicates": 0,
        "unverified": 0,
    }
    # A retry of the same upload is the same event (the device's nonce) ...
    assert upload(client, device_token, genuine).json() == {
        "stored": 0,
        "duplicates": 1,
        "unverified": 0,
    }
    # ... and the same code sent again under a new nonce lets nobody in a second time.
    upload(client, device_token, {**genuine, "nonce": "replayed"})
    first, replayed = GateEvent.objects.order_by("pk")
    assert (first.allowed, first.reason, first.person, first.unverified) == (
        True,
        "ok",
        student,
        "",
    )
    assert (replayed.allowed, replayed.reason) == (False, "duplicate")
    sign_in(client, gate_staff)
    live = client.get("/gates/live/panel/").content.decode()
    assert 'class="ok"' in live and "unverified" not in live


def test_an_offline_refusal_is_stored_as_the_gate_decided_it(client, device_token, student):
    expired = code_for(student, now=(timezone.now() - timedelta(hours=1)).timestamp())
    refused = {**allowed_passage(expired, person=student), "allowed": False, "reason": "expired"}
    junk = {**allowed_passage("CC1.garbage"), "allowed": False, "reason": "malformed"}
    assert upload(client, device_token, refused, junk).json()["unverified"] == 0
    stored = {e.reason: e for e in GateEvent.objects.all()}
    assert (stored["expired"].allowed, stored["expired"].person) == (False, student)
    assert (stored["malformed"].allowed, stored["malformed"].person) == (False, None)


def test_one_event_with_a_bad_clock_does_not_refuse_the_whole_batch(client, device_token, student):
    token = code_for(student)
    batch = [
        allowed_passage(token, person=student),
        allowed_passage(token, at=datetime.fromisoformat("1999-01-01T00:00:00+08:00")),
    ]
    assert upload(client, device_token, *batch).json() == {
        "stored": 2,
        "duplicates": 0,
        "unverified": 1,
    }
    assert GateEvent.objects.filter(allowed=True).count() == 1
    assert GateEvent.objects.get(unverified=Unverified.TOO_OLD).at.year == timezone.now().year


def test_an_online_scan_and_an_upload_of_the_same_code_count_once(client, device_token, student):
    token = code_for(student)
    assert verify(client, device_token, token).json()["allowed"] is True
    upload(client, device_token, allowed_passage(token, person=student))
    assert GateEvent.objects.filter(allowed=True).count() == 1
