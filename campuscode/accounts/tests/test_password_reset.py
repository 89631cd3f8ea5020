"""A system admin resets a forgotten password (issue #8, hole 2 left the claim flow unable
to re-password an account in use): audited, never for oneself, only within the accounts the
admin manages; the person is told and claims the account again with a code to the e-mail
on file, so no password ever passes through the admin."""

import pytest
from django.core import mail
from django.test import Client

from campuscode.accounts.models import OutboxMessage
from campuscode.accounts.tests.helpers import NEW_PASSWORD, claim, identity, reason_on
from campuscode.audit.models import AuditEntry
from campuscode.people.models import Person, Role
from conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

REASON = "忘记密码，已在信息中心当面核实校园卡"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    return time_machine


@pytest.fixture
def college_admin(tree):
    """Manages the accounts of the computer science college only."""
    return tree.account("cs-it", (Role.SYSTEM_ADMIN, tree.cs))


def url(account) -> str:
    return f"/accounts/password/{account.pk}/reset/"


def password_works(person: Person, password: str) -> bool:
    response = Client().post("/accounts/login/", {"username": person.number, "password": password})
    return response.status_code == 302


def nothing_changed(person: Person) -> bool:
    person.refresh_from_db()
    return (
        password_works(person, PASSWORD)
        and person.user.has_usable_password()
        and not AuditEntry.objects.filter(action="accounts.password.reset").exists()
    )


def test_a_system_admin_resets_a_students_password_and_the_student_claims_again(
    client, sysadmin, student, clock, django_capture_on_commit_callbacks
):
    Person.objects.filter(pk=student.pk).update(claimed_at="2026-02-01T08:00:00+08:00")
    students_phone = sign_in(Client(), student.user)
    assert students_phone.get("/code/").status_code == 200

    sign_in(client, sysadmin)
    account_page = client.get(f"/people/accounts/{student.user.pk}/").content.decode()
    assert f'href="{url(student.user)}"' in account_page  # the way there from the account
    page = client.get(url(student.user))
    assert page.status_code == 200 and "张小伟" in page.content.decode()
    viewed = AuditEntry.objects.get(action="accounts.password_reset.viewed")
    assert (viewed.actor, viewed.subject) == (sysadmin, student)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(student.user), {"reason": REASON})
    assert response.status_code == 302
    assert response["Location"] == f"/people/accounts/{student.user.pk}/"
    entry = AuditEntry.objects.get(action="accounts.password.reset")
    assert (entry.actor, entry.subject) == (sysadmin, student)
    assert entry.data == {"account": student.user.username, "reason": REASON}
    student.refresh_from_db()
    assert student.claimed_at is None and not student.user.has_usable_password()

    # The old password and the open session stop working at once.
    assert not password_works(student, PASSWORD)
    response = students_phone.get("/code/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")

    # The person hears of it where it is registered, with the way back in; no password.
    [notice] = mail.outbox
    assert notice.to == [student.email] and "itadmin" in notice.body
    assert "领取校园码" in notice.body and "密码已于" in notice.body
    sms = OutboxMessage.objects.get(channel=OutboxMessage.Channel.SMS)
    assert sms.to == student.phone and sms.body == notice.body

    # The normal claim flow: number, name, last 4 of the ID number, a code to the e-mail.
    response = claim(Client(), student)
    assert response.status_code == 302
    assert mail.outbox[-1].to == [student.email]
    assert password_works(student, NEW_PASSWORD) and not password_works(student, PASSWORD)
    claimed = AuditEntry.objects.get(action="accounts.person.claimed")
    assert claimed.data == {"password_reset": True, "second_factor": False}
    student.refresh_from_db()
    assert student.claimed_at is not None

    # Once claimed again, the public claim flow refuses to touch it, as before.
    response = Client().post("/accounts/claim/", identity(student))
    assert reason_on(response) == "already_claimed"


def test_without_a_reason_it_is_a_form_error_and_nothing_changes(client, sysadmin, student):
    sign_in(client, sysadmin)
    response = client.post(url(student.user), {"reason": "  "})
    assert response.status_code == 400 and "请填写重置原因" in response.content.decode()
    assert nothing_changed(student) and mail.outbox == []


def test_an_admin_cannot_reset_their_own_password(client, tree, student):
    staff = tree.person("刘工", tree.main_campus, kind=Person.Kind.STAFF, number="IT0001")
    admin = tree.account("", (Role.SYSTEM_ADMIN, tree.school), person=staff)
    sign_in(client, admin)
    assert "data-action" not in client.get(url(admin)).content.decode()
    response = client.post(url(admin), {"reason": REASON})
    assert response.status_code == 403 and reason_on(response) == "self"
    assert nothing_changed(staff)


def test_a_college_admin_resets_only_inside_the_college(client, college_admin, tree, student):
    sign_in(client, college_admin)
    # Another college's student: not an account this admin can even see.
    other = tree.person("李娜", tree.en_2501)
    assert client.get(url(other.user)).status_code == 404
    assert client.post(url(other.user), {"reason": REASON}).status_code == 404
    assert nothing_changed(other)

    # A teacher of the college whose role reaches beyond it (school-wide health office).
    teacher = tree.person("周老师", tree.cs, kind=Person.Kind.STAFF, number="T0009")
    tree.account("", (Role.HEALTH_OFFICE, tree.school), person=teacher)
    response = client.post(url(teacher.user), {"reason": REASON})
    assert response.status_code == 403 and reason_on(response) == "out_of_scope"
    assert nothing_changed(teacher)

    # The college's own student: allowed.
    response = client.post(url(student.user), {"reason": REASON})
    assert response.status_code == 302
    assert not password_works(student, PASSWORD)


@pytest.mark.parametrize("who", ["adviser", "hr", "outsider"])
def test_someone_who_does_not_manage_accounts_gets_403(client, request, tree, student, who):
    if who == "hr":
        user = tree.account("hr", (Role.HR, tree.school))
    else:
        user = request.getfixturevalue(who)
    sign_in(client, user)
    assert client.get(url(student.user)).status_code == 403
    assert client.post(url(student.user), {"reason": REASON}).status_code == 403
    assert nothing_changed(student)


def test_an_account_without_a_person_cannot_be_reset_for_claiming(client, sysadmin, tree):
    account = tree.account("gate-kiosk", (Role.GATE_STAFF, tree.main_campus))
    response = sign_in(client, sysadmin).post(url(account), {"reason": REASON})
    assert response.status_code == 409 and reason_on(response) == "no_person"
    account.refresh_from_db()
    assert account.has_usable_password()


def test_the_sign_in_and_locked_pages_say_how_to_get_back_in(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'data-help="forgot-password"' in page
    assert "请联系信息中心重置" in page and 'href="/accounts/claim/"' in page
