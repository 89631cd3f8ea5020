"""Manual registration (R4.6) through HTTP: recorded as manual and by whom, shown so in the
lists, limited to the adviser's scope, and flagged to the department over the limit."""

import pytest

from campuscode.audit.models import AuditEntry
from campuscode.checkins.models import Checkin, Via
from campuscode.core.rules import set_setting
from campuscode.followup.models import ManualRegistration
from campuscode.notify.models import Notice
from conftest import sign_in

from .conftest import HEALTH, MONDAY_MORNING, form_key

pytestmark = pytest.mark.django_db


def register(client, number, window="2026-03-02|morning", **data):
    page = client.get("/followup/manual/")
    assert page.status_code == 200
    return client.post(
        "/followup/manual/",
        {
            **HEALTH,
            "number": number,
            "window": window,
            "place": "学生公寓3号楼 305",
            "reason": "手机丢失",
            "key": form_key(page),
            **data,
        },
    )


def test_an_adviser_registers_a_checkin_for_a_student_without_a_phone(
    client, student, adviser, point, time_machine
):
    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, adviser)
    response = register(client, student.number, point=point.pk, temperature="36.4")
    assert response.status_code == 302
    checkin = Checkin.objects.get()
    assert (checkin.via, checkin.recorded_by, checkin.point) == (Via.MANUAL, adviser, point)
    assert (checkin.manual.reason, checkin.manual.place) == ("手机丢失", "学生公寓3号楼 305")
    assert AuditEntry.objects.filter(action="followup.manual.registered", subject=student).exists()
    lists = client.get("/checkins/lists/?day=2026-03-02&period=morning").content.decode()
    assert f'data-person="{student.pk}" data-state="checked" data-via="manual"' in lists
    history = client.get(f"/checkins/people/{student.pk}/").content.decode()
    # The registrar by name and unit, never by account name.
    assert "badge manual" in history and "王老师" in history
    assert adviser.get_username() not in history
    sign_in(client, student.user)
    assert "badge manual" in client.get("/checkins/").content.decode()


def test_it_refuses_a_person_outside_the_advisers_scope(
    client, other_student, adviser, other_adviser, student, time_machine
):
    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, adviser)
    response = register(client, other_student.number)
    assert response.status_code == 400
    assert response.context["form"].errors["number"]
    sign_in(client, other_adviser)
    assert register(client, student.number).status_code == 400
    assert not Checkin.objects.exists()


def test_it_refuses_a_second_checkin_in_the_same_window(client, student, adviser, time_machine):
    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, adviser)
    register(client, student.number)
    response = register(client, student.number)
    assert response.context["outcome"].refusal == "already_checked_in"
    assert Checkin.objects.count() == 1


def test_a_student_and_the_outsider_cannot_register(client, student, outsider):
    sign_in(client, student.user)
    assert client.get("/followup/manual/").status_code == 403
    sign_in(client, outsider)
    assert client.get("/followup/manual/").status_code == 403


def test_too_many_manual_registrations_flag_the_person_to_the_department(
    client, student, adviser, dept_admin, time_machine
):
    set_setting(key="followup_manual_limit", value=1)
    time_machine.move_to("2026-03-02 13:00 +0800", tick=False)
    sign_in(client, adviser)
    register(client, student.number, window="2026-03-02|morning")
    assert not Notice.objects.filter(kind="manual_limit").exists()
    register(client, student.number, window="2026-03-02|afternoon")
    assert ManualRegistration.objects.count() == 2
    flag = Notice.objects.get(kind="manual_limit")
    assert (flag.user, flag.data["person"], flag.data["count"]) == (dept_admin, student.pk, 2)
    sign_in(client, dept_admin)
    page = client.get("/followup/dashboard/").content.decode()
    assert "manual-flags" in page and f'data-person="{student.pk}"' in page
