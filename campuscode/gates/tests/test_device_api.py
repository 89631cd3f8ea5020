"""The device API: token scope, revocation and rotation, retries, heartbeats, uploads."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from campuscode.gates.models import Gate, GateAlert, GateEvent
from campuscode.gates.services import check_silent_gates, revoke_gate, rotate_gate_token
from campuscode.gates.tests.conftest import code_for, verify

pytestmark = pytest.mark.django_db


def call(client, method, path, token, body=None):
    kwargs = {"headers": {"Authorization": f"Bearer {token}"}}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(client, method)(f"/api/v1/gates/{path}", **kwargs)


def test_it_needs_a_device_token(client, student):
    response = client.post(
        "/api/v1/gates/verify",
        {"token": code_for(student), "direction": "in", "nonce": "n1"},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert verify(client, "gt_not-a-real-token", code_for(student)).status_code == 401
    # A signed-in person is not a gate.
    assert GateEvent.objects.count() == 0


def test_a_token_acts_for_its_own_gate_only(
    client, gate, device_token, east_gate_and_token, student
):
    east_gate, east_token = east_gate_and_token
    verify(client, east_token, code_for(student), nonce="same")
    verify(client, device_token, code_for(student), nonce="same")
    events = GateEvent.objects.order_by("pk")
    assert [(e.gate_id, e.place_id) for e in events] == [
        (east_gate.pk, east_gate.place_id),
        (gate.pk, gate.place_id),
    ]
    # The snapshot describes the caller's own place and nobody's full name or number.
    snapshot = call(client, "get", "snapshot", east_token).json()
    assert snapshot["gate"] == {
        "id": east_gate.pk,
        "name": "东门闸机1",
        "place": "东门",
        "campus": "东校区",
    }
    text = str(snapshot)
    assert student.name not in text and student.number not in text and student.phone not in text
    assert "计科2501班" not in text
    assert snapshot["people"][str(student.pk)] == ["", None, None, "张*伟"]


def test_a_gate_token_cannot_read_people_or_other_apis(client, device_token, student):
    headers = {"Authorization": f"Bearer {device_token}"}
    assert client.get(f"/people/{student.pk}/", headers=headers).status_code in (302, 404)
    assert client.get("/gates/events/", headers=headers).status_code == 302  # to sign-in
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert not [p for p in paths if "people" in p or "person" in p]


def test_a_revoked_token_stops_at_once(client, gate, device_token, student):
    assert verify(client, device_token, code_for(student)).status_code == 200
    revoke_gate(gate=gate)
    assert verify(client, device_token, code_for(student)).status_code == 401
    assert call(client, "get", "snapshot", device_token).status_code == 401
    assert call(client, "post", "heartbeat", device_token, {}).status_code == 401


def test_a_rotated_token_replaces_the_old_one(client, gate, device_token, student):
    new = rotate_gate_token(gate=gate)
    assert verify(client, device_token, code_for(student)).status_code == 401
    assert verify(client, new, code_for(student)).status_code == 200
    assert Gate.objects.get(pk=gate.pk).token_hash != new  # only a hash is stored
    assert new not in str(Gate.objects.filter(pk=gate.pk).values().get())


def test_a_retry_with_the_same_nonce_returns_the_first_answer_and_stores_one_event(
    client, device_token, student, time_machine
):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    token = code_for(student)
    first = verify(client, device_token, token, nonce="scan-1").json()
    time_machine.shift(120)  # the code has expired meanwhile; the retry still gets "ok"
    again = verify(client, device_token, token, nonce="scan-1").json()
    assert (first["allowed"], again["allowed"]) == (True, True)
    assert first["event_id"] == again["event_id"] and again["replayed"] is True
    assert GateEvent.objects.count() == 1


def test_it_rejects_bad_input_with_422_not_500(client, device_token):
    for body in (
        {"token": "x", "direction": "sideways", "nonce": "n"},
        {"token": "x", "direction": "in", "nonce": "bad nonce with spaces"},
        {"token": "x", "direction": "in", "nonce": "n" * 65},
        {"direction": "in", "nonce": "n"},
    ):
        assert call(client, "post", "verify", device_token, body).status_code == 422


def test_a_heartbeat_with_a_tamper_flag_raises_one_alert(client, gate, device_token):
    body = call(client, "post", "heartbeat", device_token, {"tampered": True}).json()
    assert body["alerts_raised"] == ["tamper"]
    again = call(client, "post", "heartbeat", device_token, {"tampered": True}).json()
    assert again["alerts_raised"] == []
    assert GateAlert.objects.filter(gate=gate, kind="tamper", resolved_at=None).count() == 1


def test_a_silent_gate_raises_an_alert_that_its_next_heartbeat_resolves(
    client, gate, device_token, time_machine
):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    Gate.objects.filter(pk=gate.pk).update(created_at=timezone.now() - timedelta(hours=1))
    call(client, "post", "heartbeat", device_token, {})
    time_machine.shift(4 * 60)
    assert check_silent_gates() == 0
    time_machine.shift(2 * 60)  # 6 minutes > the 5 minute default
    assert check_silent_gates() == 1
    assert check_silent_gates() == 0  # one open alert, not one a minute
    call(client, "post", "heartbeat", device_token, {})
    assert not GateAlert.objects.filter(kind="silent", resolved_at=None).exists()


def test_offline_uploads_are_stored_once_by_nonce(client, gate, device_token, student):
    token = code_for(student)
    events = [
        {
            "nonce": f"off-{i}",
            "token": token if i == 0 else "junk",
            "direction": "in",
            "at": timezone.now().isoformat(),
            "allowed": i == 0,
            "reason": "ok" if i == 0 else "malformed",
        }
        for i in range(3)
    ]
    first = call(client, "post", "events", device_token, {"events": events}).json()
    again = call(client, "post", "events", device_token, {"events": events}).json()
    assert first == {"stored": 3, "duplicates": 0, "unverified": 0}
    assert again == {"stored": 0, "duplicates": 3, "unverified": 0}
    stored = GateEvent.objects.get(nonce="off-0")
    assert (stored.person, stored.source, stored.allowed) == (student, "offline", True)


def test_an_offline_upload_with_an_implausible_time_is_stored_unverified(client, device_token):
    # One bad clock must not block the whole queue (a 422 would be sent again forever):
    # the event is kept, refused, and counts nowhere (test_offline_upload_verification).
    event = {
        "nonce": uuid.uuid4().hex,
        "direction": "in",
        "at": "1999-01-01T00:00:00+08:00",
        "allowed": True,
        "reason": "ok",
    }
    body = call(client, "post", "events", device_token, {"events": [event]}).json()
    assert body == {"stored": 1, "duplicates": 0, "unverified": 1}
    stored = GateEvent.objects.get()
    assert (stored.allowed, stored.reason, stored.unverified) == (False, "unverified", "too_old")


def test_an_offline_upload_with_an_unreadable_time_is_refused(client, device_token):
    event = {
        "nonce": uuid.uuid4().hex,
        "direction": "in",
        "at": "not a time",
        "allowed": True,
        "reason": "ok",
    }
    assert call(client, "post", "events", device_token, {"events": [event]}).status_code == 422
    assert not GateEvent.objects.exists()


def test_the_snapshot_is_compressed_for_a_gate_that_accepts_gzip(client, device_token, student):
    import gzip
    import json

    headers = {"Authorization": f"Bearer {device_token}"}
    plain = client.get("/api/v1/gates/snapshot", headers=headers)
    packed = client.get(
        "/api/v1/gates/snapshot", headers={**headers, "Accept-Encoding": "gzip, deflate"}
    )
    assert not plain.has_header("Content-Encoding")  # the gate command asks for none
    assert packed["Content-Encoding"] == "gzip"
    assert len(packed.content) < len(plain.content)
    unpacked = json.loads(gzip.decompress(packed.content))
    assert unpacked["people"] == plain.json()["people"]
