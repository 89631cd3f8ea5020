import base64
from urllib.parse import parse_qs, urlparse

import pytest
from django_otp.oath import totp

from conftest import PASSWORD, decode_qr, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_adviser_scans_the_totp_qr_on_a_phone_and_turns_it_on(phone_page, adviser):
    page = phone_page
    page.goto("/accounts/security/")
    page.fill("input[name=username]", "T0001")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.card button.btn")
    page.wait_for_selector("[data-totp=off]")
    page.click("#totp button.btn")
    page.wait_for_selector("[data-totp=pending]")
    page.locator(".totp-qr").scroll_into_view_if_needed()
    (url,) = decode_qr(screenshot(page, "security-totp-setup-phone"))
    assert url.startswith("otpauth://totp/")
    secret = parse_qs(urlparse(url).query)["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("#totp input[name=code]", f"{totp(key):06d}")
    page.click("#totp button.btn")
    # Next come the ten backup codes, shown this once.
    page.wait_for_selector("[data-backup=save]")
    assert page.locator("li.backup-code").count() == 10
    page.goto("/accounts/security/")
    page.wait_for_selector("[data-totp=on]")
    screenshot(page, "security-totp-on-phone")


def test_the_sign_in_lock_page_is_clear_on_a_phone(phone_page, student, settings):
    page = phone_page
    page.goto("/accounts/login/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.fill("input[name=username]", student.number)
        page.fill("input[name=password]", "wrong-password")
        page.click("form.card button.btn")
        page.wait_for_load_state()
        if page.locator("[data-reason=signin_locked]").count():
            break
        page.goto("/accounts/login/")
    assert page.locator("[data-reason=signin_locked]").count() == 1
    screenshot(page, "signin-locked-phone")
