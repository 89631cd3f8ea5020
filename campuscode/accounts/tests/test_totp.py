import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from campuscode.accounts.tests.helpers import reason_on
from campuscode.audit.models import AuditEntry
from conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(time_machine):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    return time_machine


def code_for(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def wrong_for(device) -> str:
    return f"{(int(code_for(device)) + 1) % 10**6:06d}"


def enable(client, user, clock) -> TOTPDevice:
    sign_in(client, user).post("/accounts/security/totp/start/")
    device = TOTPDevice.objects.get(user=user)
    client.post("/accounts/security/totp/confirm/", {"code": code_for(device)})
    clock.shift(30)  # a TOTP code is accepted once; the next use needs the next one
    device.refresh_from_db()
    return device


def password_sign_in(user) -> Client:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": user.username.split("@")[0], "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def test_it_enables_totp_for_a_role_that_sees_others(client, adviser, clock):
    page = sign_in(client, adviser).get("/accounts/security/").content.decode()
    assert 'data-totp="off"' in page
    client.post("/accounts/security/totp/start/")
    page = client.get("/accounts/security/").content.decode()
    assert 'data-totp="pending"' in page and "<svg" in page
    device = TOTPDevice.objects.get(user=adviser)

    response = client.post("/accounts/security/totp/confirm/", {"code": wrong_for(device)})
    assert reason_on(response) == "wrong_code"
    device.refresh_from_db()
    assert not device.confirmed

    clock.shift(2)  # django-otp's back-off after one failure
    response = client.post("/accounts/security/totp/confirm/", {"code": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="accounts.totp.enabled", actor=adviser).exists()
    assert 'data-totp="on"' in client.get("/accounts/security/").content.decode()
    assert client.get("/").status_code == 200  # this session showed the code already


def test_the_qr_holds_an_otpauth_url_with_the_issuer(client, adviser, clock):
    from campuscode.accounts.selectors import totp_url

    sign_in(client, adviser).post("/accounts/security/totp/start/")
    url = totp_url(TOTPDevice.objects.get(user=adviser))
    assert url.startswith("otpauth://totp/Campus%20Code%3A") and "issuer=Campus%20Code" in url


def test_sign_in_then_asks_for_the_code(client, adviser, clock):
    device = enable(client, adviser, clock)
    phone = password_sign_in(adviser)
    response = phone.get("/people/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/")
    # Not even the security page (password change) opens before the code.
    assert phone.get("/accounts/security/")["Location"].startswith("/accounts/otp/")

    response = phone.post("/accounts/otp/?next=/code/", {"code": wrong_for(device)})
    assert reason_on(response) == "wrong_code"
    response = phone.post("/accounts/otp/?next=/code/", {"code": code_for(device)})
    assert (response.status_code, reason_on(response)) == (429, "throttled")

    clock.shift(2)
    response = phone.post("/accounts/otp/", {"code": code_for(device), "next": "/code/"})
    assert response.status_code == 302 and response["Location"] == "/code/"
    assert phone.get("/accounts/security/").status_code == 200


def test_failed_codes_back_off_longer_and_longer(client, adviser, clock):
    device = enable(client, adviser, clock)
    phone = password_sign_in(adviser)
    for wait in (0, 1, 2, 4):
        clock.shift(wait)
        assert reason_on(phone.post("/accounts/otp/", {"code": wrong_for(device)})) == "wrong_code"
    clock.shift(4)  # 8 s needed after four failures
    assert reason_on(phone.post("/accounts/otp/", {"code": code_for(device)})) == "throttled"
    clock.shift(5)
    assert phone.post("/accounts/otp/", {"code": code_for(device)}).status_code == 302


def test_it_disables_totp_only_with_a_current_code(client, adviser, clock):
    device = enable(client, adviser, clock)
    response = client.post("/accounts/security/totp/disable/", {"code": wrong_for(device)})
    assert reason_on(response) == "wrong_code"
    assert TOTPDevice.objects.filter(user=adviser, confirmed=True).exists()
    clock.shift(2)
    response = client.post("/accounts/security/totp/disable/", {"code": code_for(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=adviser).exists()
    assert AuditEntry.objects.filter(action="accounts.totp.disabled").exists()
    assert password_sign_in(adviser).get("/").status_code == 200  # no code asked any more


def test_a_plain_student_gets_no_totp(client, student):
    page = sign_in(client, student.user).get("/accounts/security/").content.decode()
    assert 'id="totp"' not in page
    assert client.post("/accounts/security/totp/start/").status_code == 404
    assert not TOTPDevice.objects.exists()


def test_the_security_page_changes_the_password(client, student):
    sign_in(client, student.user)
    response = client.post(
        "/accounts/security/password/",
        {
            "old_password": "wrong",
            "new_password1": "Lantern-harbour-42",
            "new_password2": "Lantern-harbour-42",
        },
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = client.post(
        "/accounts/security/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Lantern-harbour-42",
            "new_password2": "Lantern-harbour-42",
        },
    )
    assert response.status_code == 302
    assert client.get("/code/").status_code == 200  # this session stays signed in
    student.user.refresh_from_db()
    assert student.user.check_password("Lantern-harbour-42")
    assert AuditEntry.objects.filter(action="accounts.password.changed").exists()


def test_the_security_page_needs_sign_in(client):
    response = client.get("/accounts/security/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
