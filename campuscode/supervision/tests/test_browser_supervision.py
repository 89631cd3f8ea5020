"""On a phone: a department answers its rectification notice, the group closes it."""

from datetime import date

import pytest

from campuscode.people.models import Role
from campuscode.supervision.models import Notice, NoticeState
from campuscode.supervision.services import issue_notice, record_finding
from conftest import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_as(page, username, path):
    page.context.clear_cookies()
    page.goto(path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.card button.btn")


def test_a_department_answers_and_the_group_closes_a_notice_on_a_phone(phone_page, tree):
    lead = tree.account("lead", (Role.SUPERVISION, tree.school))
    tree.account("csdean", (Role.DEPARTMENT_ADMIN, tree.cs))
    finding = record_finding(
        actor=lead,
        school=tree.school,
        unit=tree.cs,
        severity="major",
        criterion="签到点海报缺失",
        description="一教东门无海报",
        applies_on=date(2026, 3, 2),
    )
    notice = issue_notice(actor=lead, finding=finding)
    page = phone_page
    page.set_default_timeout(60_000)  # a shared, busy test machine
    url = f"/supervision/notices/{notice.pk}/"
    sign_in_as(page, "csdean", url)
    page.click("form[data-step=acknowledged] button")
    page.wait_for_selector("[data-state=acknowledged]")
    page.fill("form[data-step=reported] textarea", "已补贴海报并拍照留存")
    screenshot(page, "supervision-notice-department-phone")
    page.click("form[data-step=reported] button")
    page.wait_for_selector("[data-state=submitted]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    sign_in_as(page, "lead", url)
    page.click("form[data-step=closed] button")
    page.wait_for_selector("[data-state=closed]")
    page.goto("/supervision/")
    screenshot(page, "supervision-home-group-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert Notice.objects.get().state == NoticeState.CLOSED
