"""Issue #8, hole 8: a role that reads other people's data signs in with two factors.

A school setting (on by default; the demo turns it off) holds such an account at the
set-up page until its authenticator app is set up, and asks for the app's code at every
sign-in after that.
"""

import pytest
from django.test import Client

from campuscode.accounts.tests.helpers import enrol, totp_code
from campuscode.core.rules import get_setting, set_setting
from conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

HEALTH_PAGE = "/checkins/lists/"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    return time_machine


@pytest.fixture
def required():
    set_setting(key="session_require_second_factor", value=True)


def password_sign_in(user) -> Client:
    client = Client()
    number = user.username.split("@")[0]
    response = client.post("/accounts/login/", {"username": number, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_it_is_on_by_default(settings):
    from campuscode.core.models import Setting

    Setting.objects.filter(key="session_require_second_factor").delete()
    set_setting(key="claim_code_minutes", value=10)  # clears the cached values
    assert get_setting("session_require_second_factor") is True


def test_an_adviser_without_the_app_is_held_at_set_up_until_it_works(adviser, clock, required):
    client = password_sign_in(adviser)
    response = client.get(HEALTH_PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/security/")
    assert client.get("/people/").status_code == 302
    assert client.get("/accounts/security/").status_code == 200  # where the app is set up

    device, codes = enrol(client, clock)
    assert len(codes) == 10
    assert client.get(HEALTH_PAGE).status_code == 200

    # The next sign-in asks for the app's code before the health page opens.
    again = password_sign_in(adviser)
    response = again.get(HEALTH_PAGE)
    assert response["Location"].startswith("/accounts/otp/")
    again.post("/accounts/otp/", {"code": totp_code(device)})
    assert again.get(HEALTH_PAGE).status_code == 200


def test_a_session_signed_in_with_a_password_alone_is_held_too(client, adviser, required):
    response = sign_in(client, adviser).get(HEALTH_PAGE)
    assert response["Location"].startswith("/accounts/security/")


def test_a_student_is_not_asked(client, student, required):
    assert sign_in(client, student.user).get("/code/").status_code == 200


def test_with_the_setting_off_the_adviser_signs_in_in_one_step(adviser):
    set_setting(key="session_require_second_factor", value=False)
    assert password_sign_in(adviser).get(HEALTH_PAGE).status_code == 200


def test_the_demo_turns_it_off(tree):
    from campuscode.accounts.demo import load_demo

    set_setting(key="session_require_second_factor", value=True)
    load_demo(school=tree.school, now=None)
    assert get_setting("session_require_second_factor") is False
