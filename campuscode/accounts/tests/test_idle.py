import datetime as dt

import pytest

from campuscode.core.rules import set_setting
from conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(time_machine):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    return time_machine


def test_an_adviser_is_signed_out_after_the_idle_time(client, adviser, clock):
    sign_in(client, adviser)
    assert client.get("/").status_code == 200
    clock.shift(dt.timedelta(minutes=29))
    assert client.get("/").status_code == 200  # activity restarts the clock
    clock.shift(dt.timedelta(minutes=31))
    response = client.get("/code/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fcode%2F"
    assert client.get("/").status_code == 302  # the session is gone
    page = client.get("/accounts/login/").content.decode()
    assert "msg-info" in page  # tells why


def test_a_plain_student_is_not_signed_out(client, student, clock):
    sign_in(client, student.user)
    client.get("/")
    clock.shift(dt.timedelta(hours=5))
    assert client.get("/code/").status_code == 200


def test_the_idle_time_is_a_school_setting(client, adviser, clock):
    set_setting(key="session_idle_minutes", value=60)
    sign_in(client, adviser)
    client.get("/")
    clock.shift(dt.timedelta(minutes=45))
    assert client.get("/").status_code == 200
    clock.shift(dt.timedelta(minutes=61))
    assert client.get("/").status_code == 302


def test_an_htmx_request_after_the_idle_time_moves_the_whole_page(client, adviser, clock):
    sign_in(client, adviser)
    client.get("/")
    clock.shift(dt.timedelta(minutes=31))
    response = client.get("/code/panel/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_a_page_polling_by_itself_does_not_keep_the_session_alive(client, adviser, clock):
    sign_in(client, adviser)
    client.get("/")
    for _ in range(4):
        clock.shift(dt.timedelta(minutes=10))
        client.get("/code/panel/", headers={"HX-Request": "true", "X-Background-Poll": "1"})
    assert client.get("/").status_code == 302
