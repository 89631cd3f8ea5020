"""An adviser handles an anomaly case on a 390 px phone in a real Chromium."""

from datetime import date

import pytest
from django.core.management import call_command

from campuscode.anomalies.models import AnomalyCase, AnomalyKind, AnomalyState
from campuscode.anomalies.tests.data import check_in, days_back
from conftest import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_adviser_verifies_and_handles_a_case_on_a_phone(
    phone_page, tree, student, adviser, point, time_machine
):
    time_machine.move_to("2026-03-05 23:00 +0800", tick=True)
    for day in days_back(date(2026, 3, 5), 28):
        check_in(student, point, day, temperature="36.5")
        check_in(student, point, day, period="afternoon", temperature="36.5")
    call_command("detect_anomalies")
    case = AnomalyCase.objects.get(person=student, kind=AnomalyKind.DATA_QUALITY)

    page = phone_page
    page.goto("/anomalies/")
    page.fill("input[name=username]", "T0001")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn")
    page.wait_for_selector(f"tr[data-case='{case.pk}']")
    screenshot(page, "anomalies-list-phone")
    page.click(f"tr[data-case='{case.pk}'] a")
    page.wait_for_selector(".evidence li")
    assert "56 次打卡中有 56 次回答完全相同" in page.inner_text(".evidence")
    page.select_option("select[name=reason]", "not_measured")
    page.fill("textarea[name=note]", "本人说体温计坏了，直接填了36.5")
    page.click(".step-form button")
    page.wait_for_selector("select[name=action]")
    page.select_option("select[name=action]", "talk")
    page.click(".step-form button")
    page.wait_for_selector(".case-events li[data-state='handled']")
    # Nothing is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "anomalies-case-phone")
    case.refresh_from_db()
    assert case.state == AnomalyState.HANDLED
    assert "体温计坏了" in page.inner_text(".case-events")
