import datetime as dt
import json

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from campuscode.accounts.tests.helpers import (
    codes_on,
    enrol,
    reason_on,
    totp_code,
    wrong_totp_code,
)
from campuscode.audit.models import AuditEntry
from conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(time_machine):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    return time_machine


@pytest.fixture
def enrolled(client, adviser, clock):
    """The adviser with the app on; (device, the ten backup codes)."""
    sign_in(client, adviser)
    return enrol(client, clock)


def password_sign_in(user) -> Client:
    phone = Client()
    response = phone.post(
        "/accounts/login/", {"username": user.username.split("@")[0], "password": PASSWORD}
    )
    assert response.status_code == 302
    return phone


def prompt(phone, code, next_url="/people/"):
    return phone.post("/accounts/otp/", {"code": code, "next": next_url})


def audit_text() -> str:
    return json.dumps(list(AuditEntry.objects.values("action", "data")), ensure_ascii=False)


def assert_no_code_logged(codes):
    logged = audit_text()
    for code in codes:
        assert code.replace(" ", "") not in logged


def test_it_shows_ten_backup_codes_once_when_the_app_is_turned_on(client, adviser, enrolled):
    _device, codes = enrolled
    assert len(codes) == 10 == len(set(codes))
    assert StaticDevice.objects.get(user=adviser).token_set.count() == 10
    # Shown once: the page has forgotten them.
    response = client.get("/accounts/security/backup-codes/")
    assert response.status_code == 302 and response["Location"] == "/accounts/security/"
    assert codes_on(client.get("/accounts/security/")) == []
    entry = AuditEntry.objects.get(action="accounts.totp.enabled", actor=adviser)
    assert entry.data["backup_codes"] == 10
    assert_no_code_logged(codes)


def test_the_codes_page_says_to_save_them_and_prints(client, adviser, clock):
    sign_in(client, adviser).post("/accounts/security/totp/start/")
    device = TOTPDevice.objects.get(user=adviser)
    client.post("/accounts/security/totp/confirm/", {"code": totp_code(device)})
    response = client.get("/accounts/security/backup-codes/")
    page = response.content.decode()
    assert 'data-backup="save"' in page and "只显示一次" in page
    # The print button works through a static script (the CSP forbids inline onclick).
    assert "data-print" in page and "core/print.js" in page
    assert "no-store" in response["Cache-Control"]


def test_a_backup_code_signs_in_once(adviser, enrolled):
    _device, codes = enrolled
    phone = password_sign_in(adviser)
    assert phone.get("/people/")["Location"].startswith("/accounts/otp/")

    response = prompt(phone, codes[0])  # as printed: '01234 56789'
    assert response.status_code == 302 and response["Location"] == "/people/"
    assert phone.get("/people/").status_code == 200
    entry = AuditEntry.objects.get(action="accounts.backup_code.used", actor=adviser)
    assert entry.data == {"purpose": "sign_in", "backup_codes_left": 9}

    again = password_sign_in(adviser)
    response = prompt(again, codes[0].replace(" ", "-"))
    assert reason_on(response) == "wrong_backup_code"
    assert again.get("/people/")["Location"].startswith("/accounts/otp/")
    assert_no_code_logged(codes)


def test_the_security_page_counts_the_codes_left(client, adviser, enrolled, clock):
    _device, codes = enrolled
    assert 'data-backup-left="10"' in client.get("/accounts/security/").content.decode()
    for code in codes[:7]:
        prompt(password_sign_in(adviser), code)
    page = client.get("/accounts/security/").content.decode()
    assert 'data-backup-left="3"' in page and 'data-backup="low"' in page


def test_regenerating_needs_a_current_code_and_retires_the_old_codes(
    client, adviser, enrolled, clock
):
    device, old = enrolled
    response = client.post(
        "/accounts/security/backup-codes/new/", {"code": wrong_totp_code(device)}
    )
    assert reason_on(response) == "wrong_code"
    assert StaticDevice.objects.get(user=adviser).token_set.count() == 10

    clock.shift(2)  # the back-off after one wrong code
    response = client.post("/accounts/security/backup-codes/new/", {"code": totp_code(device)})
    assert response["Location"] == "/accounts/security/backup-codes/"
    new = codes_on(client.get("/accounts/security/backup-codes/"))
    assert len(new) == 10 and not set(new) & set(old)
    assert AuditEntry.objects.get(action="accounts.backup_codes.regenerated").data == {"count": 10}

    phone = password_sign_in(adviser)
    assert reason_on(prompt(phone, old[1])) == "wrong_backup_code"
    clock.shift(2)
    assert prompt(phone, new[0]).status_code == 302
    assert_no_code_logged(old + new)


def test_a_backup_code_can_pay_for_new_codes(client, adviser, enrolled):
    _device, old = enrolled
    response = client.post("/accounts/security/backup-codes/new/", {"code": old[3]})
    assert response["Location"] == "/accounts/security/backup-codes/"
    assert len(codes_on(client.get("/accounts/security/backup-codes/"))) == 10
    used = AuditEntry.objects.get(action="accounts.backup_code.used")
    assert used.data["purpose"] == "regenerate"


def test_a_malformed_code_is_refused_and_changes_nothing(adviser, enrolled):
    device, _codes = enrolled
    phone = password_sign_in(adviser)
    for typed in ("12ab56", "1234567", ""):
        response = prompt(phone, typed)
        assert response.status_code == 200 and "errorlist" in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    assert not AccessAttempt.objects.exists()


def test_wrong_codes_of_either_kind_share_one_back_off(adviser, enrolled, clock):
    device, codes = enrolled
    phone = password_sign_in(adviser)
    assert reason_on(prompt(phone, wrong_totp_code(device))) == "wrong_code"
    # A backup code right after a wrong app code waits like the app code would.
    response = prompt(phone, codes[0])
    assert (response.status_code, reason_on(response)) == (429, "throttled")
    clock.shift(1)
    assert reason_on(prompt(phone, "0000000000")) == "wrong_backup_code"
    response = prompt(phone, totp_code(device))
    assert (response.status_code, reason_on(response)) == (429, "throttled")
    clock.shift(2)
    assert prompt(phone, codes[0]).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0  # a right code of either kind clears both


def test_wrong_codes_lock_sign_in_like_wrong_passwords(adviser, enrolled, clock, settings):
    device, codes = enrolled
    phone = password_sign_in(adviser)
    wait = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        clock.shift(wait)
        wait = 2**n  # django-otp's back-off: 1, 2, 4 … seconds
        wrong = "1111111111" if n % 2 else wrong_totp_code(device)
        response = prompt(phone, wrong)
    assert (response.status_code, reason_on(response)) == (429, "signin_locked")

    # Locked: a right backup code is not even checked, and the password does not help.
    clock.shift(60)
    response = prompt(phone, codes[0])
    assert (response.status_code, reason_on(response)) == (429, "signin_locked")
    assert phone.get("/people/")["Location"].startswith("/accounts/otp/")
    assert StaticDevice.objects.get(user=adviser).token_set.count() == 10
    response = Client().post("/accounts/login/", {"username": "T0001", "password": PASSWORD})
    assert response.status_code == 429

    # axes keeps what was posted; never the codes typed.
    posted = " ".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "1111111111" not in posted and wrong_totp_code(device) not in posted

    clock.shift(dt.timedelta(minutes=16))
    assert prompt(phone, codes[0]).status_code == 302


def test_turning_the_app_off_with_a_backup_code_drops_the_codes_too(client, adviser, enrolled):
    _device, codes = enrolled
    response = client.post("/accounts/security/totp/disable/", {"code": codes[5]})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=adviser).exists()
    assert not StaticDevice.objects.filter(user=adviser).exists()
    assert password_sign_in(adviser).get("/people/").status_code == 200  # no code asked
