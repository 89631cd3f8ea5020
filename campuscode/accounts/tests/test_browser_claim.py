import re

import pytest

from campuscode.codes.tokens import verify_token
from campuscode.core.rules import set_setting
from conftest import decode_qr, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Lantern-harbour-42"


def test_a_student_claims_on_a_phone_and_the_code_on_screen_verifies_and_renews(
    phone_page, tree, settings
):
    settings.EMAIL_BACKEND = "campuscode.accounts.mail.OutboxBackend"
    set_setting(key="code_refresh_seconds", value=10)
    student = tree.person("赵子轩", tree.cs_2501, account=False)
    page = phone_page

    # Step 1: who you are.
    page.goto("/accounts/login/")
    page.click("a[href='/accounts/claim/']")
    page.fill("input[name=number]", student.number)
    page.fill("input[name=name]", student.name)
    page.fill("input[name=id_last4]", student.id_number[-4:])
    screenshot(page, "claim-1-identity-phone")
    page.click("form.card button.btn")

    # Step 2: the code, read from the demo outbox in the same browser.
    page.wait_for_selector("strong.masked-email")
    assert page.text_content("strong.masked-email") == student.masked_phone  # by text message
    screenshot(page, "claim-2-code-phone")
    page.goto("/accounts/outbox/")
    body = page.text_content(f".outbox-message[data-to='{student.phone}'] .outbox-body")
    screenshot(page, "claim-outbox-phone")
    code = re.search(r"\b(\d{6})\b", body).group(1)
    page.goto("/accounts/claim/code/")
    page.fill("input[name=code]", code)
    page.click("form.card button.btn")

    # Step 3: a password, then straight to 'my code'.
    page.wait_for_selector("input[name=new_password1]")
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    screenshot(page, "claim-3-password-phone")
    page.click("form.card button.btn")
    page.wait_for_url("**/code/")
    page.wait_for_selector(".code-card")

    first = page.get_attribute(".qr", "data-token")
    tokens = decode_qr(screenshot(page, "claim-4-my-code-phone"))
    assert tokens == [first]
    verdict = verify_token(tokens[0])
    assert verdict.ok and verdict.person == student

    # After the refresh interval (10 s) htmx swaps in a new code.
    page.wait_for_function(
        "first => document.querySelector('.qr').dataset.token !== first", arg=first, timeout=20_000
    )
    second = page.get_attribute(".qr", "data-token")
    assert second != first
    tokens = decode_qr(screenshot(page, "claim-5-my-code-renewed-phone"))
    assert tokens == [second] and verify_token(second).person == student
