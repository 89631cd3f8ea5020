"""Point screens as devices and posters as a per-point choice (issue 9, cases 2 and 6, and
the poster lock-outs), over HTTP."""

import re
from datetime import timedelta

import pytest

from campuscode.checkins.devices import (
    COOKIE,
    check_silent_displays,
    register_display,
    revoke_display,
    rotate_display,
)
from campuscode.checkins.models import Checkin, Flag, KioskAlert, KioskDisplay, Via
from campuscode.checkins.tokens import current_step, display_secret, display_token, poster_token
from conftest import sign_in

from .conftest import GOOD, check_in, enrol, point_path

pytestmark = pytest.mark.django_db


def _url_in(page: str) -> str:
    return re.search(r'data-url="([^"]+)"', page).group(1)


def _kiosk(client, point, **extra):
    return client.get(f"/checkins/kiosk/{point.pk}/", **extra)


def _panel(client, point, **extra):
    return client.get(f"/checkins/kiosk/{point.pk}/panel/", **extra)


# --- case 2: the kiosk page needs the screen's credential --------------------------------


def test_it_gives_no_code_to_a_request_without_the_screens_credential(client, point, morning):
    register_display(point=point, name="大屏")
    for response in (
        _kiosk(client, point),
        _panel(client, point),
        _panel(client, point, HTTP_AUTHORIZATION="Bearer kd_guessed"),
    ):
        assert response.status_code == 403
        assert b"/checkins/p/" not in response.content and b"<svg" not in response.content
    # The old address with the point's key in it is gone as well.
    assert client.get(f"/checkins/kiosk/{point.pk}/anything/").status_code == 404


def test_an_enrolled_screen_shows_the_code_and_a_header_credential_works_too(
    client, point, morning
):
    display, credential = enrol(client, point)
    cookie = client.cookies[COOKIE]
    assert cookie["httponly"] and cookie["path"] == f"/checkins/kiosk/{point.pk}/"
    page = _kiosk(client, point)
    assert page.status_code == 200 and f"/checkins/p/{point.pk}/" in _url_in(page.content.decode())
    assert page["Cache-Control"] == "no-store"
    display.refresh_from_db()
    assert display.last_heartbeat_at is not None
    from django.test import Client

    device = Client()
    assert _panel(device, point, HTTP_AUTHORIZATION=f"Bearer {credential}").status_code == 200


def test_a_wrong_credential_does_not_enrol(client, point, east_point):
    _display, credential = register_display(point=east_point, name="别处的屏")
    for token in ("", "kd_nope", credential):
        response = client.post(f"/checkins/kiosk/{point.pk}/enrol/", {"token": token})
        assert response.status_code == 403 and COOKIE not in response.cookies


def test_a_revoked_or_replaced_credential_stops_at_once_and_its_use_raises_an_alert(
    client, point, morning
):
    display, _old = enrol(client, point)
    new = rotate_display(display=display)
    assert _panel(client, point).status_code == 403  # the old cookie
    assert KioskAlert.objects.get().kind == KioskAlert.Kind.TAMPER
    client.post(f"/checkins/kiosk/{point.pk}/enrol/", {"token": new})
    assert _panel(client, point).status_code == 200
    revoke_display(display=display)
    assert _panel(client, point).status_code == 403


def test_a_silent_screen_raises_one_alert_on_the_points_page_until_heard_again(
    client, point, sysadmin, morning
):
    _display, _credential = enrol(client, point)
    morning.shift(timedelta(minutes=10))
    assert check_silent_displays() == 1
    assert check_silent_displays() == 0  # one open alert, not one a minute
    admin = sign_in(type(client)(), sysadmin)
    page = admin.get("/checkins/points/").content.decode()
    assert 'data-alert="silent"' in page and "大屏" in page
    assert _panel(client, point).status_code == 200  # the screen speaks again
    assert not KioskAlert.objects.filter(resolved_at__isnull=True).exists()


def test_only_the_settings_admin_registers_a_screen_and_sees_its_credential_once(
    client, point, sysadmin, adviser
):
    sign_in(client, adviser)
    assert client.post(f"/checkins/points/{point.pk}/screens/", {"name": "x"}).status_code == 403
    sign_in(client, sysadmin)
    shown = client.post(f"/checkins/points/{point.pk}/screens/", {"name": "一教大屏"})
    credential = re.search(r'data-token="(kd_[^"]+)"', shown.content.decode()).group(1)
    display = KioskDisplay.objects.get()
    assert display.token_hash != credential and credential not in str(display.__dict__)
    edit = client.get(f"/checkins/points/{point.pk}/").content.decode()
    assert credential not in edit and display.token_hint in edit


# --- offline screens: codes the screen signs itself ---------------------------------------


def test_a_code_the_screen_signed_offline_is_checked_by_the_server(
    client, student, point, east_point, morning
):
    display, _credential = register_display(point=point, name="大屏")
    secret = display_secret(display.token_hash)
    token = display_token(point.pk, display.pk, secret, step=current_step())
    sign_in(client, student.user)
    assert check_in(client, point, token=token).status_code == 302
    assert Checkin.objects.get().via == Via.SCREEN
    # Another point's URL, an old step, a forged signature, a revoked screen: nothing.
    assert client.get(point_path(east_point, token)).status_code == 400
    old = display_token(point.pk, display.pk, secret, step=current_step() - 5)
    assert client.get(point_path(point, old)).status_code == 410
    forged = display_token(point.pk, display.pk, b"x" * 32, step=current_step())
    assert client.get(point_path(point, forged)).status_code == 400
    revoke_display(display=display)
    fresh = display_token(point.pk, display.pk, secret, step=current_step())
    assert client.get(point_path(point, fresh)).status_code == 400


# --- case 6 and the poster lock-outs --------------------------------------------------------


def test_a_poster_of_a_screen_point_opens_nothing(client, student, point, morning):
    sign_in(client, student.user)
    response = client.get(point_path(point, poster_token(point.pk, point.poster_version)))
    assert response.status_code == 400 and response.context["reason"] == "code_not_taken"


def test_a_poster_checkin_is_flagged_without_presence_evidence(client, student, point, morning):
    point.codes = "poster"
    point.save()
    sign_in(client, student.user)
    check_in(client, point, token=poster_token(point.pk, point.poster_version))
    checkin = Checkin.objects.get()
    assert checkin.via == Via.POSTER
    assert list(checkin.flags.values_list("reason", flat=True)) == [Flag.Reason.POSTER_NO_EVIDENCE]


def test_a_poster_is_refused_outside_the_window(client, student, point, time_machine):
    time_machine.move_to("2026-03-02 11:00 +0800", tick=False)
    point.codes = "poster"
    point.save()
    sign_in(client, student.user)
    response = client.get(point_path(point, poster_token(point.pk, point.poster_version)))
    assert response.context["reason"] == "outside_window"


def test_the_same_poster_scanned_in_the_next_window_opens_the_form(client, student, point, morning):
    point.codes = "poster"
    point.save()
    sign_in(client, student.user)
    token = poster_token(point.pk, point.poster_version)
    assert check_in(client, point, token=token).status_code == 302
    morning.move_to("2026-03-02 13:00 +0800", tick=False)  # the afternoon window
    assert check_in(client, point, token=token).status_code == 302
    assert Checkin.objects.effective().count() == 2


def test_the_same_form_sent_again_with_other_answers_says_they_were_not_saved(
    client, student, point, morning
):
    sign_in(client, student.user)
    path = point_path(point)
    key = client.get(path).context["form"].initial["key"]
    assert client.post(path, {**GOOD, "key": key}).status_code == 302
    morning.shift(timedelta(minutes=3))
    again = client.post(path, {**GOOD, "temperature": "37.9", "key": key})
    assert again.status_code == 409 and again.context["resent"]
    assert "checkin-resent" in again.content.decode()
    assert Checkin.objects.get().temperature == GOOD_TEMPERATURE
    # The same answers again are a retry: the result page, one row.
    assert client.post(path, {**GOOD, "key": key}).status_code == 302
    assert Checkin.objects.count() == 1


GOOD_TEMPERATURE = Checkin._meta.get_field("temperature").to_python(GOOD["temperature"])
