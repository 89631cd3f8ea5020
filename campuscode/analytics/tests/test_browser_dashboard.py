import pytest

from campuscode.analytics.summaries import refresh_summaries
from conftest import PASSWORD, screenshot

from .conftest import FIRST, NOW, TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_reads_on_a_phone(phone_page, school, roles, time_machine):
    refresh_summaries(since=FIRST, until=TODAY)
    time_machine.move_to(NOW, tick=True)  # the page's clock runs again for the browser
    page = phone_page
    page.goto("/analytics/?days=7&day=2026-03-04")
    page.fill("input[name=username]", "T0003")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.card button.btn")
    page.wait_for_selector("[data-panel=heatmap]")
    for key in ("trend", "heatmap", "reasons", "health"):
        assert page.locator(f"[data-panel={key}] svg.chart").count() >= 1
    # Nothing wider than the phone but the tables' own scrolling boxes.
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(page, "analytics-dashboard-phone")


def test_the_attendance_panels_read_on_a_phone(phone_page, school, roles, time_machine):
    from .attendance_data import make_attendance

    make_attendance(school)
    refresh_summaries(since=FIRST, until=TODAY)
    time_machine.move_to(NOW, tick=True)
    page = phone_page
    page.goto("/analytics/?days=7&day=2026-03-04#panel-attendance")
    page.fill("input[name=username]", "T0003")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.card button.btn")
    page.wait_for_selector("[data-panel=attendance_status]")
    for key in ("attendance", "attendance_units", "attendance_status"):
        assert page.locator(f"[data-panel={key}] svg.chart").count() >= 1
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    page.locator("[data-panel=attendance]").screenshot(path="test-artifacts/attendance-panel.png")
    screenshot(page, "analytics-attendance-phone")
