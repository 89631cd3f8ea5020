import datetime as dt

import pytest
from django.test import Client

from campuscode.accounts.tests.helpers import reason_on
from campuscode.people.models import OrgUnit
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(time_machine):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    return time_machine


def sign_in_as(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_a_student_signs_in_with_the_number_alone(client, student):
    response = sign_in_as(client, student.number, PASSWORD)
    assert response.status_code == 302
    assert client.get("/code/").status_code == 200


def test_a_wrong_password_is_refused_without_saying_why(client, student):
    response = sign_in_as(client, student.number, "nope")
    assert response.status_code == 200 and "errorlist" in response.content.decode()


def test_it_locks_sign_in_after_repeated_failures_and_says_so(client, student, clock, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in_as(client, student.number, "nope").status_code == 200
    response = sign_in_as(client, student.number, "nope")
    assert (response.status_code, reason_on(response)) == (429, "signin_locked")
    assert "15" in response.content.decode()  # the cool-off, in minutes
    assert "/accounts/claim/" in response.content.decode()  # the way out: reset by e-mail
    # Locked: the right password does not get in either.
    assert sign_in_as(client, student.number, PASSWORD).status_code == 429

    clock.shift(dt.timedelta(minutes=16))
    assert sign_in_as(client, student.number, PASSWORD).status_code == 302


def test_the_lock_counts_one_failure_per_attempt(client, student, settings):
    # The form tries one account name per attempt ('2025…@TEST', not also '2025…').
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in_as(client, student.number, "nope")
    assert sign_in_as(client, student.number, PASSWORD).status_code == 302


def test_the_lock_holds_per_address_too(client, student, other_student, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in_as(client, f"9999{n}", "nope")
    assert sign_in_as(client, student.number, PASSWORD).status_code == 429
    elsewhere = Client(REMOTE_ADDR="10.9.8.7")
    assert sign_in_as(elsewhere, student.number, PASSWORD).status_code == 302


def test_the_login_form_has_a_school_select_only_with_several_schools(client, student):
    assert 'name="school"' not in client.get("/accounts/login/").content.decode()
    other = OrgUnit.objects.create(kind=OrgUnit.Kind.SCHOOL, name="另一大学", code="OTHER")
    assert 'name="school"' in client.get("/accounts/login/").content.decode()
    data = {"username": student.number, "password": PASSWORD}
    assert client.post("/accounts/login/", data | {"school": other.pk}).status_code == 200
    assert client.post("/accounts/login/", data | {"school": student.school_id}).status_code == 302


def test_sign_in_only_follows_local_next_urls(client, student):
    data = {"username": student.number, "password": PASSWORD}
    response = client.post("/accounts/login/?next=https://evil.example/", data)
    assert response["Location"] == "/"
