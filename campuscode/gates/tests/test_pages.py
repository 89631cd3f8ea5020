"""Security staff pages (scoped and audited) and a person's own history."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from campuscode.audit.models import AuditEntry
from campuscode.codes.tokens import Colour
from campuscode.gates.models import Gate, GateAlert, GateEvent, Place
from campuscode.gates.tests.conftest import code_for, verify
from conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def scans(client, device_token, east_gate_and_token, student, other_student):
    verify(client, device_token, code_for(student))
    verify(client, device_token, code_for(student, Colour.RED))
    verify(client, east_gate_and_token[1], code_for(other_student))
    client.logout()


def test_the_live_view_shows_recent_scans_of_the_staff_campus_with_refusals_marked(
    client, gate_staff, scans
):
    page = sign_in(client, gate_staff).get("/gates/").content.decode()
    assert "南门" in page and "东门" not in page
    assert 'data-reason="red_status"' in page and 'class="refused' in page
    assert "张*伟 · 计科2501班" in page and "张小伟" not in page
    assert 'hx-trigger="every 5s"' in page
    assert client.get("/gates/live/panel/").status_code == 200


@pytest.mark.parametrize("who", ["outsider", "student", "adviser"])
def test_people_without_a_gate_role_get_403(client, request, who):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    sign_in(client, user)
    for url in ("/gates/", "/gates/events/", "/gates/events/export.xlsx", "/gates/devices/"):
        assert client.get(url).status_code == 403, url


def test_search_is_scoped_to_the_staff_campus_and_audited(
    client, gate_staff, east_staff, scans, student, other_student
):
    page = sign_in(client, gate_staff).get("/gates/events/", {"person": student.number})
    body = page.content.decode()
    assert student.name in body and other_student.name not in body
    entry = AuditEntry.objects.filter(action="gates.events.viewed").latest("pk")
    assert entry.subject == student and entry.actor == gate_staff
    # The east campus guard finds nothing of the main campus, even by number.
    body = sign_in(client, east_staff).get("/gates/events/", {"person": student.number})
    assert student.name not in body.content.decode()
    assert AuditEntry.objects.filter(action="gates.events.viewed").count() == 2


def test_the_export_is_an_xlsx_of_the_scoped_search_and_is_audited(
    client, gate_staff, scans, student
):
    response = sign_in(client, gate_staff).get("/gates/events/export.xlsx", {"refused": "on"})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][5] == student.name and rows[1][6] == student.number
    assert AuditEntry.objects.filter(action="gates.events.exported", subject=student).exists()


def test_registering_a_device_shows_its_token_once(client, gate_staff, main_gate_place):
    sign_in(client, gate_staff)
    response = client.post("/gates/devices/new/", {"place": main_gate_place.pk, "name": "北门1"})
    body = response.content.decode()
    token = body.split('data-token="')[1].split('"')[0]
    assert f"/gates/kiosk/#token={token}" in body
    gate = Gate.objects.get(name="北门1")
    assert verify(client, token, "not-a-code").json()["reason"] == "malformed"
    assert GateEvent.objects.get().gate == gate
    assert token not in client.get("/gates/devices/").content.decode()


def test_staff_cannot_manage_a_device_of_another_campus(client, east_staff, gate):
    sign_in(client, east_staff)
    assert client.post(f"/gates/devices/{gate.pk}/revoke/").status_code == 404
    assert client.post(f"/gates/devices/{gate.pk}/rotate/").status_code == 404
    assert Gate.objects.get(pk=gate.pk).revoked_at is None


def test_the_device_list_shows_heartbeats_and_alerts(client, gate_staff, gate, device_token):
    client.post(
        "/api/v1/gates/heartbeat",
        {"tampered": True},
        content_type="application/json",
        headers={"Authorization": f"Bearer {device_token}"},
    )
    body = sign_in(client, gate_staff).get("/gates/devices/").content.decode()
    assert 'data-status="ok"' in body and 'data-alert="tamper"' in body
    alert = GateAlert.objects.get()
    assert 'data-alert="tamper"' in client.get("/gates/").content.decode()
    client.post(f"/gates/alerts/{alert.pk}/resolve/")
    assert GateAlert.objects.get().resolved_at is not None


def test_the_place_editor_saves_rules(client, gate_staff, tree, main_gate_place):
    sign_in(client, gate_staff)
    response = client.post(
        f"/gates/places/{main_gate_place.pk}/",
        {
            "campus": tree.main_campus.pk,
            "name": "南门",
            "kind": "campus_gate",
            "allowed_kinds": ["student", "staff"],
            "allowed_units": [tree.cs.pk],
            "opens_at": "06:00",
            "closes_at": "23:30",
            "red_policy": "refuse",
            "yellow_policy": "allow",
            "active": "on",
        },
    )
    assert response.status_code == 302
    place = Place.objects.get(pk=main_gate_place.pk)
    assert place.allowed_kinds == ["student", "staff"] and list(place.allowed_units.all()) == [
        tree.cs
    ]
    assert str(place.closes_at) == "23:30:00" and place.yellow_policy == "allow"
    bad = client.post(
        "/gates/places/new/",
        {
            "campus": tree.main_campus.pk,
            "name": "X",
            "kind": "lab",
            "opens_at": "08:00",
            "red_policy": "refuse",
            "yellow_policy": "notice",
        },
    )
    assert bad.status_code == 400  # an opening time without a closing time


def test_a_person_sees_their_own_history_only(client, scans, student, other_student):
    body = sign_in(client, student.user).get("/gates/mine/").content.decode()
    assert body.count('data-reason="') == 2 and "南门" in body and "东门" not in body
    assert not AuditEntry.objects.filter(action="gates.events.viewed").exists()
    assert GateEvent.objects.filter(person=other_student).count() == 1


def test_the_gate_page_is_served_without_sign_in_and_holds_no_personal_data(client, scans, student):
    body = client.get("/gates/kiosk/").content.decode()
    assert 'id="scan-input"' in body and student.name not in body
    worker = client.get("/gates/kiosk/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"] == "application/javascript"
