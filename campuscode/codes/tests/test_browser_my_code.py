import pytest

from campuscode.codes.tokens import verify_token
from conftest import PASSWORD, decode_qr, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_student_signs_in_and_the_qr_on_screen_verifies(phone_page, student, time_machine):
    page = phone_page
    page.goto("/code/")
    page.fill("input[name=username]", student.number)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn")
    page.wait_for_selector(".code-card")
    tokens = decode_qr(screenshot(page, "my-code-phone"))
    assert len(tokens) == 1
    verdict = verify_token(tokens[0])
    assert verdict.ok and verdict.person == student
