import re

import pytest
from django.contrib.auth.models import User

from campuscode.audit.models import AuditEntry
from campuscode.people.models import Person, Role, RoleAssignment
from conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(tree):
    return tree.person("陈老师", tree.cs, kind=Person.Kind.STAFF, number="T0100")


@pytest.fixture
def college_admin(tree):
    """A system admin whose scope is one college only."""
    return tree.account("cs-admin", (Role.SYSTEM_ADMIN, tree.cs))


def _reason(response) -> str | None:
    found = re.search(r'data-reason="([a-z_]+)"', response.content.decode())
    return found.group(1) if found else None


def _last(action):
    return AuditEntry.objects.filter(action=action).order_by("-pk").first()


def test_it_lists_accounts_with_their_roles(client, sysadmin, adviser, staff):
    response = sign_in(client, sysadmin).get("/people/accounts/")
    page = response.content.decode()
    assert response.status_code == 200
    assert adviser.username in page and staff.user.username in page and "itadmin" in page
    assert _last("people.accounts.viewed").actor == sysadmin


def test_it_searches_accounts_by_name(client, sysadmin, adviser, staff):
    page = sign_in(client, sysadmin).get("/people/accounts/", {"q": "陈"}).content.decode()
    assert staff.user.username in page and adviser.username not in page


def test_it_grants_a_role_once_and_audits_it(client, tree, sysadmin, staff):
    sign_in(client, sysadmin)
    data = {"role": Role.CLASS_ADVISER, "org_unit": tree.cs_2502.pk}
    first = client.post(f"/people/accounts/{staff.user_id}/grant/", data)
    again = client.post(f"/people/accounts/{staff.user_id}/grant/", data)
    assert first.status_code == again.status_code == 302
    assert RoleAssignment.objects.filter(user=staff.user, role=Role.CLASS_ADVISER).count() == 1
    assert AuditEntry.objects.filter(action="people.role.granted").count() == 1
    entry = _last("people.role.granted")
    assert (entry.actor, entry.subject, entry.ip) == (sysadmin, staff, "127.0.0.1")
    assert entry.data == {
        "account": staff.user.username,
        "role": "class_adviser",
        "unit": "计科2502班",
    }
    # The new adviser now sees the class.
    other = tree.person("刘洋", tree.cs_2502)
    assert sign_in(client, staff.user).get(f"/people/{other.pk}/").status_code == 200


def test_it_revokes_a_role_and_audits_it(client, sysadmin, adviser, student):
    assignment = RoleAssignment.objects.get(user=adviser)
    sign_in(client, sysadmin)
    response = client.post(f"/people/accounts/{adviser.pk}/roles/{assignment.pk}/revoke/")
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert _last("people.role.revoked").data["role"] == "class_adviser"
    assert sign_in(client, adviser).get(f"/people/{student.pk}/").status_code == 404


def test_it_refuses_changes_to_the_admins_own_account(client, tree, sysadmin):
    sign_in(client, sysadmin)
    own = RoleAssignment.objects.get(user=sysadmin)
    grant = client.post(
        f"/people/accounts/{sysadmin.pk}/grant/",
        {"role": Role.HEALTH_OFFICE, "org_unit": tree.school.pk},
    )
    revoke = client.post(f"/people/accounts/{sysadmin.pk}/roles/{own.pk}/revoke/")
    deactivate = client.post(f"/people/accounts/{sysadmin.pk}/active/", {"active": "0"})
    for response in (grant, revoke, deactivate):
        assert (response.status_code, _reason(response)) == (403, "self")
    assert list(RoleAssignment.objects.filter(user=sysadmin)) == [own]
    sysadmin.refresh_from_db()
    assert sysadmin.is_active
    assert not AuditEntry.objects.filter(action__startswith="people.role").exists()


def test_it_deactivates_an_account_and_ends_its_sessions(client, sysadmin, student):
    from django.test import Client

    theirs = sign_in(Client(), student.user)
    assert theirs.get("/code/").status_code == 200
    response = sign_in(client, sysadmin).post(
        f"/people/accounts/{student.user_id}/active/", {"active": "0"}
    )
    assert response.status_code == 302
    assert not User.objects.get(pk=student.user_id).is_active
    assert theirs.get("/code/").status_code == 302  # back to sign-in
    assert _last("people.account.deactivated").subject == student
    client.post(f"/people/accounts/{student.user_id}/active/", {"active": "1"})
    assert User.objects.get(pk=student.user_id).is_active
    assert _last("people.account.activated").subject == student


def test_it_creates_an_account_for_a_person_without_one(client, tree, sysadmin):
    person = tree.person("新老师", tree.cs, kind=Person.Kind.STAFF, number="T0200", account=False)
    sign_in(client, sysadmin)
    response = client.post(f"/people/{person.pk}/account/")
    person.refresh_from_db()
    assert (
        response.status_code == 302
        and response["Location"] == f"/people/accounts/{person.user_id}/"
    )
    assert person.user.username == "T0200@TEST" and not person.user.has_usable_password()
    assert person.claimed_at is None
    assert _last("people.account.created").subject == person
    again = client.post(f"/people/{person.pk}/account/")
    assert (again.status_code, _reason(again)) == (409, "has_account")
    assert User.objects.filter(username="T0200@TEST").count() == 1


def test_it_creates_no_account_for_a_person_who_left(client, tree, sysadmin):
    person = tree.person(
        "离职", tree.cs, kind=Person.Kind.STAFF, account=False, state=Person.State.LEFT
    )
    response = sign_in(client, sysadmin).post(f"/people/{person.pk}/account/")
    assert (response.status_code, _reason(response)) == (409, "not_active")


def test_a_college_admin_manages_only_the_college(
    client, tree, college_admin, staff, other_student
):
    sign_in(client, college_admin)
    page = client.get("/people/accounts/").content.decode()
    assert staff.user.username in page and other_student.user.username not in page
    assert client.get(f"/people/accounts/{other_student.user_id}/").status_code == 404
    assert client.post(f"/people/{other_student.pk}/account/").status_code == 404
    outside = client.post(
        f"/people/accounts/{staff.user_id}/grant/",
        {"role": Role.HR, "org_unit": tree.school.pk},
    )
    assert outside.status_code == 400 and "org_unit" in outside.context["form"].errors
    assert not RoleAssignment.objects.filter(user=staff.user).exists()


def test_a_college_admin_cannot_switch_off_a_school_wide_role(client, tree, college_admin, staff):
    tree.account("", (Role.SUPERVISION, tree.school), person=staff)
    response = sign_in(client, college_admin).post(
        f"/people/accounts/{staff.user_id}/active/", {"active": "0"}
    )
    assert (response.status_code, _reason(response)) == (403, "out_of_scope")
    assert User.objects.get(pk=staff.user_id).is_active
    assignment = RoleAssignment.objects.get(user=staff.user)
    revoke = client.post(f"/people/accounts/{staff.user_id}/roles/{assignment.pk}/revoke/")
    assert (revoke.status_code, _reason(revoke)) == (403, "out_of_scope")
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_it_refuses_a_guessed_role_assignment(client, tree, sysadmin, adviser, staff):
    assignment = RoleAssignment.objects.get(user=adviser)
    response = sign_in(client, sysadmin).post(
        f"/people/accounts/{staff.user_id}/roles/{assignment.pk}/revoke/"
    )
    assert response.status_code == 404
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_keeps_account_pages_from_other_roles(client, tree, adviser, staff, method):
    sign_in(client, adviser)
    for path in [
        f"/people/accounts/{staff.user_id}/",
        f"/people/accounts/{staff.user_id}/grant/",
        f"/people/accounts/{staff.user_id}/active/",
        f"/people/{staff.pk}/account/",
    ]:
        assert getattr(client, method)(path).status_code in (403, 405)
    assert not AuditEntry.objects.exists()
