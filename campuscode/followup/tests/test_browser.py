"""A student files an advance report on a phone; the class adviser approves it from the
queue (htmx, bulk form); the student sees the decision. Real Chromium, both viewports."""

import pytest

from campuscode.followup.models import AdvanceReport
from conftest import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, path, username):
    page.goto(path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn")


@pytest.mark.parametrize(("student_on", "adviser_on"), [("phone", "desktop"), ("desktop", "phone")])
def test_a_report_filed_on_one_device_is_approved_on_another(
    request, student, adviser, time_machine, student_on, adviser_on
):
    time_machine.move_to("2026-03-02 08:00 +0800", tick=True)
    first = request.getfixturevalue(f"{student_on}_page")
    second = request.getfixturevalue(f"{adviser_on}_page")

    _sign_in(first, "/followup/report/", student.number)
    first.wait_for_selector("form.report-form")
    first.fill("input[name=first_day]", "2026-03-03")
    first.fill("input[name=last_day]", "2026-03-03")
    first.fill("textarea[name=reason]", "去医院复诊")
    first.check("input[name=kind][value=sick]")
    first.fill("input[name=destination]", "市第一人民医院")
    first.fill("input[name=phone]", "13812345678")
    screenshot(first, f"followup-report-form-{student_on}")
    first.click("button[data-submit]")
    first.wait_for_selector("li[data-state=pending]")
    report = AdvanceReport.objects.get()
    assert report.periods == ["morning", "afternoon"]

    _sign_in(second, "/followup/queue/", "T0001")
    second.wait_for_selector(f"li[data-item='report:{report.pk}']")
    assert second.get_attribute(".queue-counts", "data-count") == "1"
    second.check("input[data-check-all]")
    second.fill("input[name=note]", "注意安全")
    screenshot(second, f"followup-queue-{adviser_on}")
    second.click("button[data-approve]")
    second.wait_for_selector(".queue-result[data-decided='1']")
    screenshot(second, f"followup-queue-decided-{adviser_on}")
    report.refresh_from_db()
    assert (report.state, report.decision_note) == ("approved", "注意安全")

    first.goto("/followup/")
    first.wait_for_selector("li[data-state=approved]")
    assert first.locator(".notices").count() == 1  # the decision, shown once
    screenshot(first, f"followup-mine-{student_on}")
