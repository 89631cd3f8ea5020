"""Key pages work under the Content-Security-Policy: Chromium reports no violation."""

import pytest

from campuscode.checkins.models import CheckinPoint
from campuscode.checkins.tokens import screen_token
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_key_pages_raise_no_csp_violation(phone_page, student, tree, time_machine):
    time_machine.move_to("2026-03-02 08:00 +0800", tick=True)
    point = CheckinPoint.objects.create(
        campus=tree.main_campus, building="第一教学楼", name="一教东门", kind="teaching"
    )
    page = phone_page
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto("/accounts/login/")
    page.fill("input[name=username]", student.number)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn")
    page.wait_for_url("**/")
    for path in (
        "/code/",
        "/checkins/",
        f"/checkins/p/{point.pk}/{screen_token(point.pk)}/",
        "/gates/kiosk/",
        "/accounts/security/",
        "/api/v1/docs",
        "/django-admin/",
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    page.goto("/code/")
    page.wait_for_selector(".code-card svg")
    violations = [text for text in console if "Content Security Policy" in text]
    assert violations == []
