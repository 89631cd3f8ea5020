"""Issue #8, hole 3: the system admin is not a superuser, and Django's admin is a
break-glass tool: unmapped by default; when mapped, for a superuser with a verified second
factor only, read-only for every personal-data model, and audited page by page."""

import importlib

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import clear_url_caches
from django_otp.plugins.otp_totp.models import TOTPDevice

from campuscode.accounts.tests.helpers import reason_on, totp_code
from campuscode.audit.models import AuditEntry
from campuscode.core.admin_site import WRITABLE
from campuscode.people.models import Person, Role, RoleAssignment
from conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(time_machine):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    return time_machine


def _remap():
    import config.urls

    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def break_glass(settings):
    settings.CAMPUSCODE_BREAK_GLASS_ADMIN = True
    _remap()
    yield
    settings.CAMPUSCODE_BREAK_GLASS_ADMIN = False
    _remap()


@pytest.fixture
def created_admin(tree):
    call_command("createadmin", "boss", school=tree.school.name, password="Lantern-harbour-42")
    return User.objects.get(username="boss")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", password=PASSWORD)


def verified_client(user, clock) -> Client:
    """Signed in with the password and the app's code, as at the real sign-in page."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    clock.shift(30)
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert client.post("/accounts/otp/", {"code": totp_code(device)}).status_code == 302
    return client


def test_createadmin_makes_a_system_admin_who_is_not_a_superuser(created_admin, tree):
    assert not created_admin.is_superuser and not created_admin.is_staff
    assert list(
        RoleAssignment.objects.filter(user=created_admin).values_list("role", "org_unit")
    ) == [(Role.SYSTEM_ADMIN, tree.school.pk)]
    assert AuditEntry.objects.filter(action="accounts.admin.created").exists()


def test_django_admin_is_not_mapped_by_default(client, superuser, created_admin):
    assert sign_in(client, superuser).get("/django-admin/").status_code == 404
    assert sign_in(client, created_admin).get("/django-admin/").status_code == 404


def test_the_system_admin_cannot_open_the_break_glass_admin(client, created_admin, break_glass):
    response = sign_in(client, created_admin).get("/django-admin/people/roleassignment/")
    assert response.status_code == 302 and "/django-admin/login/" in response["Location"]


def test_a_superuser_without_a_second_factor_is_refused(client, superuser, break_glass):
    response = sign_in(client, superuser).get("/django-admin/")
    assert response.status_code == 302 and "/django-admin/login/" in response["Location"]
    # The admin's own sign-in form asks for the code too: a password alone gets nowhere.
    anonymous = Client()
    response = anonymous.post(
        "/django-admin/login/", {"username": "root", "password": PASSWORD, "otp_token": ""}
    )
    assert response.status_code == 200
    assert anonymous.get("/django-admin/").status_code == 302
    assert not AuditEntry.objects.filter(action__startswith="admin.").exists()


def test_with_a_second_factor_every_personal_data_page_is_read_only_and_audited(
    superuser, student, tree, clock, break_glass
):
    client = verified_client(superuser, clock)
    assert client.get("/django-admin/").status_code == 200
    assert client.get("/django-admin/people/person/").status_code == 200
    response = client.get(f"/django-admin/people/person/{student.pk}/change/")
    assert response.status_code == 200 and student.name in response.content.decode()

    assert client.get("/django-admin/people/roleassignment/add/").status_code == 403
    response = client.post(
        "/django-admin/people/roleassignment/add/",
        {"user": superuser.pk, "role": Role.HEALTH_OFFICE, "org_unit": tree.school.pk},
    )
    assert response.status_code == 403 and not RoleAssignment.objects.exists()
    response = client.post(f"/django-admin/people/person/{student.pk}/change/", {"name": "改名"})
    assert response.status_code == 403
    assert (
        client.post(
            f"/django-admin/people/person/{student.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert Person.objects.get(pk=student.pk).name == student.name

    pages = list(
        AuditEntry.objects.filter(action__startswith="admin.", actor=superuser)
        .order_by("pk")
        .values_list("action", "data__page")
    )
    assert ("admin.page.viewed", "index") in pages
    assert ("admin.page.viewed", "people_person_changelist") in pages
    assert ("admin.page.viewed", "people_person_change") in pages
    assert ("admin.page.submitted", "people_roleassignment_add") in pages


def test_every_registered_model_but_the_claim_lock_is_read_only(rf, superuser):
    request = rf.get("/")
    request.user = superuser
    checked = set()
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        if label in WRITABLE:
            continue
        checked.add(label)
        assert not model_admin.has_add_permission(request), label
        assert not model_admin.has_change_permission(request), label
        assert not model_admin.has_delete_permission(request), label
    assert {
        "auth.user",
        "people.person",
        "people.roleassignment",
        "otp_totp.totpdevice",
        "otp_static.staticdevice",
    } <= checked


def test_an_admin_cannot_grant_themself_a_role(client, sysadmin, tree):
    response = sign_in(client, sysadmin).post(
        f"/people/accounts/{sysadmin.pk}/grant/",
        {"role": Role.HEALTH_OFFICE, "org_unit": tree.school.pk},
    )
    assert response.status_code == 403 and reason_on(response) == "self"
    assert not RoleAssignment.objects.filter(user=sysadmin, role=Role.HEALTH_OFFICE).exists()
    assert not AuditEntry.objects.filter(action="people.role.granted").exists()
