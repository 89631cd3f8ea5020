"""Isolation and observation (R5.5): the code is red while it lasts (checked on the token by
the verification function, and at a gate), reports are due at the school's report times
and missing ones show on the dashboard, and ending it restores the health-rule status."""

import uuid

import pytest

from campuscode.codes.services import current_code
from campuscode.codes.tokens import verify_token
from campuscode.core.rules import set_setting
from campuscode.followup.models import Isolation, IsolationReport
from campuscode.gates.models import Place
from campuscode.gates.services import register_gate
from conftest import sign_in

pytestmark = pytest.mark.django_db


def place(client, person, first="2026-03-02", last="2026-03-15", kind="isolation"):
    return client.post(
        "/followup/dashboard/",
        {
            "number": person.number,
            "kind": kind,
            "place": "东区隔离观察点 12 室",
            "reason": "密接",
            "starts_on": first,
            "ends_on": last,
        },
    )


def code_colour(person) -> str:
    verdict = verify_token(current_code(person)["token"])
    assert verdict.ok
    return verdict.colour


def gate_verify(client, tree, person):
    _gate, device_token = register_gate(
        place=Place.objects.get_or_create(
            campus=tree.main_campus, name="南门", kind=Place.Kind.CAMPUS_GATE
        )[0],
        name=f"闸机{uuid.uuid4().hex[:4]}",
    )
    response = client.post(
        "/api/v1/gates/verify",
        {"token": current_code(person)["token"], "direction": "out", "nonce": uuid.uuid4().hex},
        content_type="application/json",
        headers={"Authorization": f"Bearer {device_token}"},
    )
    return response.json()


def test_isolation_turns_the_code_red_until_it_is_ended(
    client, tree, student, point, health_officer, time_machine
):
    from campuscode.checkins.models import Checkin

    time_machine.move_to("2026-03-02 08:00 +0800", tick=False)
    Checkin.objects.create(
        person=student, point=point, at="2026-03-02T07:30+08:00", day="2026-03-02",
        period="morning", temperature="36.5", colour="green", reason="normal", via="screen",
        idempotency_key="k1",
    )  # fmt: skip
    assert code_colour(student) == "green"
    sign_in(client, health_officer)
    assert place(client, student).status_code == 302
    isolation = Isolation.objects.get()
    assert code_colour(student) == "red"
    verdict = gate_verify(client, tree, student)
    assert verdict["allowed"] is False and verdict["reason"] == "red_status"

    time_machine.move_to("2026-03-10 09:00 +0800", tick=False)
    client.logout()
    sign_in(client, health_officer)
    client.post(f"/followup/isolations/{isolation.pk}/", {"note": "观察期满，核酸阴性"})
    isolation.refresh_from_db()
    assert (isolation.ended_by, isolation.end_note) == (health_officer, "观察期满，核酸阴性")
    # Back to what the health rules say: the last check-in was green.
    assert code_colour(student) == "green"


def test_a_planned_isolation_starts_red_only_on_its_first_day(
    client, student, health_officer, time_machine
):
    time_machine.move_to("2026-03-02 08:00 +0800", tick=False)
    sign_in(client, health_officer)
    place(client, student, first="2026-03-04", last="2026-03-10", kind="observation")
    assert code_colour(student) == "green"
    time_machine.move_to("2026-03-04 00:10 +0800", tick=False)
    assert code_colour(student) == "red"


def test_the_person_reports_at_each_report_time_and_missing_ones_show(
    client, student, health_officer, time_machine
):
    set_setting(key="isolation_report_times", value="08:00,16:00")
    set_setting(key="isolation_report_grace_minutes", value=60)
    time_machine.move_to("2026-03-02 07:00 +0800", tick=False)
    sign_in(client, health_officer)
    place(client, student)
    time_machine.move_to("2026-03-02 08:10 +0800", tick=False)
    sign_in(client, student.user)
    mine = client.get("/followup/")
    assert mine.context["iso_due"] is True
    report = {"temperature": "36.6", "symptoms": ["none"], "note": "良好"}
    assert client.post("/followup/isolation/report/", report).status_code == 302
    client.post("/followup/isolation/report/", report)  # a double tap: one report
    assert IsolationReport.objects.count() == 1
    assert client.get("/followup/").context["iso_due"] is False

    # 16:00 passes without a report: missing after the grace hour.
    time_machine.move_to("2026-03-02 17:30 +0800", tick=False)
    client.logout()
    sign_in(client, health_officer)
    dashboard = client.get("/followup/dashboard/")
    missing = dashboard.context["missing"]
    assert [(str(m.day), m.slot) for m in missing] == [("2026-03-02", 1)]
    assert 'data-missing="1"' in dashboard.content.decode()


def test_only_the_health_office_places_or_ends_an_isolation(
    client, student, adviser, dept_admin, health_officer, outsider, time_machine
):
    time_machine.move_to("2026-03-02 08:00 +0800", tick=False)
    for user in (adviser, dept_admin):
        sign_in(client, user)
        assert place(client, student).status_code == 403
    sign_in(client, outsider)
    assert client.get("/followup/dashboard/").status_code == 403
    assert not Isolation.objects.exists()
    sign_in(client, health_officer)
    place(client, student)
    pk = Isolation.objects.get().pk
    for user in (adviser, dept_admin, student.user):
        sign_in(client, user)
        assert (
            client.post(f"/followup/isolations/{pk}/", {"note": "x"}).status_code == 403
        )  # the page is the health office's
    assert Isolation.objects.get().ended_at is None


def test_a_second_isolation_while_one_is_open_is_refused(
    client, student, health_officer, time_machine
):
    time_machine.move_to("2026-03-02 08:00 +0800", tick=False)
    sign_in(client, health_officer)
    place(client, student)
    response = place(client, student)
    assert response.status_code == 400
    assert Isolation.objects.count() == 1
