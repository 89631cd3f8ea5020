"""Issue #8, hole 2: taking over a staff account by editing its record.

The attack: HR (or a college's admin) changes the e-mail and ID number of the health
office's person record to their own, then 'claims' the account again through the public
claim flow with the code mailed to the new address, sets a password and reads every
check-in. Each step is now closed: the edit is refused, a change by a system admin is
announced at the old address and number, and the claim flow never re-passwords an account
that is in use without its second factor.
"""

import pytest
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from campuscode.accounts.models import OutboxMessage
from campuscode.accounts.tests.helpers import (
    NEW_PASSWORD,
    identity,
    last_code,
    reason_on,
    totp_code,
    wrong_totp_code,
)
from campuscode.audit.models import AuditEntry
from campuscode.people.models import Person, Role
from conftest import PASSWORD, make_id_number, sign_in

pytestmark = pytest.mark.django_db

ATTACKER_MAIL = "attacker@example.com"
ATTACKER_ID = make_id_number(901, "19900101")


@pytest.fixture
def clock(time_machine):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    return time_machine


@pytest.fixture
def health_officer(tree) -> Person:
    person = tree.person("孙医生", tree.clinic, kind=Person.Kind.STAFF, number="H0001")
    tree.account("", (Role.HEALTH_OFFICE, tree.school), person=person)
    Person.objects.filter(pk=person.pk).update(claimed_at="2026-02-01T08:00:00+08:00")
    return person


@pytest.fixture
def hr(tree):
    return tree.account("hr", (Role.HR, tree.school))


@pytest.fixture
def dept_admin(tree):
    return tree.account("cs-admin", (Role.DEPARTMENT_ADMIN, tree.cs))


def edit_form(person: Person, **changes) -> dict:
    data = {
        "number": person.number,
        "name": person.name,
        "kind": person.kind,
        "org_unit": person.org_unit_id,
        "phone": person.phone,
        "email": person.email,
        "state": person.state,
        "valid_from": "",
        "valid_until": "",
        "id_number": "",
    }
    return data | changes


def password_works(person: Person, password: str) -> bool:
    response = Client().post("/accounts/login/", {"username": person.number, "password": password})
    return response.status_code == 302


def test_hr_cannot_take_over_the_health_office_account(client, hr, health_officer, clock):
    sign_in(client, hr)
    response = client.post(
        f"/people/{health_officer.pk}/edit/",
        edit_form(health_officer, email=ATTACKER_MAIL, id_number=ATTACKER_ID),
    )
    assert response.status_code == 403 and reason_on(response) == "role_holder"
    before = (health_officer.email, health_officer.id_hash)
    health_officer.refresh_from_db()
    assert (health_officer.email, health_officer.id_hash) == before
    assert not AuditEntry.objects.filter(action="people.person.changed").exists()

    # The rest of the attack: claim the account with the attacker's ID number and mailbox.
    attacker = Client()
    attacker.post(
        "/accounts/claim/",
        {"number": "H0001", "name": "孙医生", "id_last4": ATTACKER_ID[-4:]},
    )
    assert not [m for m in mail.outbox if ATTACKER_MAIL in m.to]
    assert password_works(health_officer, PASSWORD)


@pytest.mark.parametrize(
    "changes",
    [{"email": ATTACKER_MAIL}, {"phone": "13999999999"}, {"id_number": ATTACKER_ID}],
    ids=["email", "phone", "id_number"],
)
def test_a_college_admin_cannot_change_how_an_advisers_account_is_proven(
    client, dept_admin, adviser, changes
):
    person = adviser.person
    response = sign_in(client, dept_admin).post(
        f"/people/{person.pk}/edit/", edit_form(person, **changes)
    )
    assert response.status_code == 403 and reason_on(response) == "role_holder"
    # Other fields of the same record stay theirs to correct.
    response = client.post(f"/people/{person.pk}/edit/", edit_form(person, name="王明老师"))
    assert response.status_code == 302


def test_a_college_admin_corrects_a_students_email_and_the_old_address_is_told(
    client, dept_admin, student, clock, django_capture_on_commit_callbacks
):
    old_email, old_phone = student.email, student.phone
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_in(client, dept_admin).post(
            f"/people/{student.pk}/edit/",
            edit_form(student, email="new@example.edu.cn", phone="13911112222"),
        )
    assert response.status_code == 302
    [notice] = mail.outbox
    assert notice.to == [old_email] and "cs-admin" in notice.body
    assert "new@example.edu.cn" not in notice.body
    sms = OutboxMessage.objects.get(channel=OutboxMessage.Channel.SMS)
    assert sms.to == old_phone and "13911112222" not in sms.body


def test_a_system_admin_may_change_it_announced_and_the_claim_flow_still_refuses(
    client, sysadmin, health_officer, clock, django_capture_on_commit_callbacks
):
    old_email = health_officer.email
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_in(client, sysadmin).post(
            f"/people/{health_officer.pk}/edit/",
            edit_form(health_officer, email=ATTACKER_MAIL, id_number=ATTACKER_ID),
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[old_email]]
    entry = AuditEntry.objects.get(action="people.person.changed")
    assert entry.data == {"changed": ["email", "id_number"]}

    attacker = Client()
    response = attacker.post(
        "/accounts/claim/",
        {"number": "H0001", "name": "孙医生", "id_last4": ATTACKER_ID[-4:]},
    )
    assert reason_on(response) == "already_claimed"
    assert len(mail.outbox) == 1  # no code went to the new address
    assert attacker.get("/accounts/claim/password/").status_code == 302
    assert password_works(health_officer, PASSWORD)


def test_a_claimed_account_without_a_second_factor_is_not_reset_by_claiming(client, student, clock):
    response = client.post("/accounts/claim/", identity(student))
    assert reason_on(response) == "already_claimed" and mail.outbox == []
    assert password_works(student, PASSWORD)


def _enrol(user, clock) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    clock.shift(30)
    return device


def test_a_claimed_account_with_a_second_factor_needs_it_to_set_a_new_password(
    client, health_officer, clock
):
    device = _enrol(health_officer.user, clock)
    other_phone = sign_in(Client(), health_officer.user)
    client.post("/accounts/claim/", identity(health_officer))
    client.post("/accounts/claim/code/", {"code": last_code()})
    form = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}

    response = client.post("/accounts/claim/password/", form)  # the e-mail alone
    assert response.status_code == 200 and "code" in response.context["form"].errors
    response = client.post("/accounts/claim/password/", form | {"code": wrong_totp_code(device)})
    assert reason_on(response) == "wrong_code"
    assert password_works(health_officer, PASSWORD)

    clock.shift(30)  # past django-otp's back-off after the wrong code
    device.refresh_from_db()
    response = client.post("/accounts/claim/password/", form | {"code": totp_code(device)})
    assert response.status_code == 302
    assert password_works(health_officer, NEW_PASSWORD)
    assert other_phone.get("/code/").status_code == 302  # other sessions end
    entry = AuditEntry.objects.get(action="accounts.person.claimed")
    assert entry.data == {"password_reset": True, "second_factor": True}
