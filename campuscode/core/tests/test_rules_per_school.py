"""Rules are per school: two schools in one installation keep their rules apart, each
school's people are held to their own school's windows and limits, and an admin edits
only their own school's rules."""

import time
from datetime import date
from datetime import time as dt_time

import pytest
from django.core.management import call_command

from campuscode.audit.models import AuditEntry
from campuscode.checkins.models import Reminder
from campuscode.checkins.windows import windows_on
from campuscode.codes.tokens import Colour, Reason, issue_token, verify_token
from campuscode.core.rules import SPECS, get_setting, set_setting, stored_settings
from campuscode.people.models import OrgUnit, Person, Role
from campuscode.people.services import id_fields
from conftest import ON_ROLL_SINCE, make_id_number, sign_in

pytestmark = pytest.mark.django_db


class Second:
    """第二中学: a second school in the same installation, with a student and its admin."""

    def __init__(self, tree):
        self.school = OrgUnit.objects.create(kind=OrgUnit.Kind.SCHOOL, name="第二中学", code="S2")
        campus = OrgUnit.objects.create(parent=self.school, kind=OrgUnit.Kind.CAMPUS, name="本部")
        college = OrgUnit.objects.create(parent=campus, kind=OrgUnit.Kind.COLLEGE, name="高中部")
        self.klass = OrgUnit.objects.create(parent=college, kind=OrgUnit.Kind.CLASS, name="高一1班")
        self.student = Person.objects.create(
            school=self.school,
            number="S2-0001",
            name="赵二",
            kind=Person.Kind.STUDENT,
            org_unit=self.klass,
            phone="13900000001",
            **id_fields(make_id_number(901)),
        )
        Person.objects.filter(pk=self.student.pk).update(created_at=ON_ROLL_SINCE)
        self.admin = tree.account("admin-2", (Role.SYSTEM_ADMIN, self.school))


@pytest.fixture
def second(tree):
    return Second(tree)


def _form(school, **overrides):
    values = {**stored_settings(school), **overrides}
    return {key: str(value) for key, value in values.items() if value is not False}


def test_each_school_has_its_own_check_in_windows(tree, second):
    set_setting(key="checkin_morning_student", value="08:00-09:00", school=second.school)
    day = date(2026, 3, 2)
    first = windows_on(day, kind=Person.Kind.STUDENT, school_id=tree.school.pk)[0]
    other = windows_on(day, kind=Person.Kind.STUDENT, school_id=second.school.pk)[0]
    assert (first.start.time(), first.end.time()) == (dt_time(7), dt_time(10))
    assert (other.start.time(), other.end.time()) == (dt_time(8), dt_time(9))


def test_reminders_follow_each_school_s_window(tree, second, student, time_machine):
    set_setting(key="checkin_morning_student", value="08:00-09:00", school=second.school)
    time_machine.move_to("2026-03-02 08:35 +0800", tick=False)
    call_command("send_checkin_reminders")
    # 25 minutes before the second school's window closes; the first school's closes at 10.
    assert [r.person for r in Reminder.objects.all()] == [second.student]


def test_a_code_expires_after_its_own_school_s_validity(tree, second, student):
    set_setting(key="code_refresh_seconds", value=10, school=second.school)
    set_setting(key="code_lifetime_seconds", value=20, school=second.school)
    issued = time.time()
    ours = issue_token(person=student, colour=Colour.GREEN, now=issued)
    theirs = issue_token(person=second.student, colour=Colour.GREEN, now=issued)
    assert verify_token(ours, now=issued + 30).reason == Reason.OK  # 90 seconds here
    assert verify_token(theirs, now=issued + 30).reason == Reason.EXPIRED


def test_without_a_school_several_schools_get_the_default(tree, second):
    set_setting(key="claim_max_failures", value=7, school=tree.school)
    assert get_setting("claim_max_failures", tree.school) == 7
    assert get_setting("claim_max_failures", second.school.pk) == 5
    assert get_setting("claim_max_failures") == SPECS["claim_max_failures"].default


def test_the_only_school_is_the_one_without_a_school(tree):
    set_setting(key="claim_max_failures", value=7, school=tree.school)
    assert get_setting("claim_max_failures") == 7


def test_an_admin_edits_their_own_school_s_rules(client, tree, sysadmin, second):
    response = sign_in(client, second.admin).post(
        "/settings/", _form(second.school, checkin_morning_student="08:00-09:00")
    )
    assert response.status_code == 302
    assert stored_settings(second.school)["checkin_morning_student"] == "08:00-09:00"
    assert stored_settings(tree.school)["checkin_morning_student"] == "07:00-10:00"
    entry = AuditEntry.objects.get(action="core.settings.changed")
    assert entry.actor == second.admin and entry.data["school"] == second.school.pk
    page = sign_in(client, sysadmin).get("/settings/").content.decode()
    assert 'value="07:00-10:00"' in page and "08:00-09:00" not in page


def test_an_admin_cannot_read_or_change_another_school_s_rules(client, tree, sysadmin, second):
    set_setting(key="code_refresh_seconds", value=45, school=second.school)
    sign_in(client, sysadmin)
    other = f"/settings/?school={second.school.pk}"
    assert client.get(other).status_code == 404
    assert client.post(other, _form(second.school, code_refresh_seconds=20)).status_code == 404
    assert get_setting("code_refresh_seconds", second.school) == 45
    assert client.get(f"/settings/?school={tree.school.pk}").status_code == 200
    # Naming the other school in the form changes nothing there either.
    client.post("/settings/", {**_form(tree.school), "school": second.school.pk})
    assert get_setting("code_refresh_seconds", second.school) == 45


def test_the_page_shows_each_error_at_its_field_and_keeps_what_was_typed(client, sysadmin):
    response = sign_in(client, sysadmin).post(
        "/settings/",
        _form(None, code_refresh_seconds="abc", session_idle_minutes="45", claim_max_failures=1),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"code_refresh_seconds", "claim_max_failures"}
    page = response.content.decode()
    assert 'name="code_refresh_seconds" value="abc"' in page
    assert 'name="session_idle_minutes" value="45"' in page
    assert get_setting("session_idle_minutes") == 30


def test_each_rule_declares_its_form_field():
    from django import forms

    from campuscode.core.rules import TimeOfDayField, TimeRangeField

    assert isinstance(SPECS["code_refresh_seconds"].form_field(), forms.IntegerField)
    assert SPECS["code_refresh_seconds"].form_field().min_value == 10
    assert isinstance(SPECS["gate_degraded_mode"].form_field(), forms.BooleanField)
    assert isinstance(SPECS["checkin_morning_student"].form_field(), TimeRangeField)
    assert isinstance(SPECS["gate_dorm_curfew_starts"].form_field(), TimeOfDayField)
    assert isinstance(SPECS["interpreting_department"].form_field(), forms.CharField)
