"""The person's side of due process on a 390 px phone (R8.2, R1.3): read the notice of
facts and rights, give a statement and a self-review, read the decision, appeal.
Screenshots in test-artifacts/violations-*.png."""

import pytest
from django.conf import settings
from django.test import Client

from campuscode.violations import services
from campuscode.violations.models import State, ViolationCase
from campuscode.violations.sources import Found
from conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(page, live_server, user):
    session = sign_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    return page


def _fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide"


def test_the_person_answers_and_appeals_on_a_phone(
    phone_page, live_server, student, adviser, office
):
    found = Found(source="report", ref="", person=student, vtype="missed", summary=[])
    case = services.open_case(
        actor=adviser, found=found, vtype="missed", facts="3月2日至4日连续三天未打卡。"
    ).case
    services.send_notice(case=case, actor=office)

    page = _signed_in(phone_page, live_server, student.user)
    page.goto("/violations/mine/")
    page.click(f"a[data-case='{case.pk}']")
    page.wait_for_selector(".rights")
    _fits(page)
    screenshot(page, "violations-notice-phone")
    page.fill("textarea[name=statement]", "那几天手机坏了，没能打卡，已经修好。")
    page.fill("textarea[name=self_review]", "我没有及时报备，今后一定按时打卡。")
    page.click(".statement-form button")
    page.wait_for_selector("li[data-kind=self_review]")
    assert page.locator("li[data-kind=statement]").count() == 1

    services.decide(case=case, actor=office, step="criticism", reasons="初次，批评教育。")
    page.reload()
    page.wait_for_selector(".appeal-form")
    _fits(page)
    assert page.locator(".decision a.btn").count() == 1  # the decision letter
    screenshot(page, "violations-decided-phone")
    page.fill("textarea[name=text]", "我已经认识到错误，请求撤销。")
    page.click(".appeal-form button")
    page.wait_for_selector("[data-state=appealed]")
    _fits(page)
    screenshot(page, "violations-appealed-phone")
    assert ViolationCase.objects.get(pk=case.pk).state == State.APPEALED
