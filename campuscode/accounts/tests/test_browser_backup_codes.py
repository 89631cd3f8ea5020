import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from campuscode.accounts.second_factor import format_backup_code, issue_backup_codes
from conftest import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_adviser_without_the_phone_signs_in_with_a_backup_code(phone_page, adviser):
    TOTPDevice.objects.create(user=adviser, name="authenticator", confirmed=True)
    codes = [format_backup_code(c) for c in issue_backup_codes(user=adviser)]
    page = phone_page

    page.goto("/people/")
    page.fill("input[name=username]", "T0001")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.card button.btn")
    page.wait_for_selector("input[name=code][inputmode=numeric]")
    assert "10 位备用验证码" in page.text_content("main")
    page.fill("input[name=code]", codes[0])
    screenshot(page, "otp-backup-code-phone")
    page.click("form.card button.btn")

    page.wait_for_url("**/people/")
    assert "还剩 9 个" in page.text_content(".messages")
    screenshot(page, "otp-backup-code-signed-in-phone")

    # On the security page: nine left; another backup code pays for a fresh set.
    page.goto("/accounts/security/")
    assert page.get_attribute("[data-backup-left]", "data-backup-left") == "9"
    screenshot(page, "security-backup-codes-left-phone")
    page.fill("#totp input[name=code]", codes[1].replace(" ", ""))
    page.click("button[data-action=regenerate]")
    page.wait_for_selector("[data-backup=save]")
    shown = page.locator("li.backup-code").all_text_contents()
    assert len(shown) == 10 and not set(shown) & set(codes)
    screenshot(page, "backup-codes-phone")
    page.emulate_media(media="print")
    screenshot(page, "backup-codes-print")
