"""One phone, two roommates: a real Chromium checks in one account, its cookies are
cleared (a new private context on the same phone), then the other; the form's script
reports the screen, so the server tells it is one phone. The adviser reads the flag."""

import pytest

from campuscode.checkins.models import Checkin, CheckinPoint, Flag
from campuscode.checkins.tokens import screen_token
from conftest import PASSWORD, PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username):
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn")


def _check_in(browser, live_server, url, username):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(url)
    _sign_in(page, username)
    page.wait_for_selector("input[name=temperature]")
    page.fill("input[name=temperature]", "36.6")
    page.check("input[name=symptoms][value=none]")
    page.check("input[name=contact][value=none]")
    page.click("button[data-submit]")
    page.wait_for_selector(".checkin-result")
    context.close()  # cookies and session gone, as after clearing them


def test_one_phone_for_two_roommates_is_flagged_and_the_adviser_reads_why(
    browser, live_server, desktop_page, student, adviser, tree, time_machine
):
    time_machine.move_to("2026-03-02 08:00 +0800", tick=True)
    roommate = tree.person("赵同学", tree.cs_2501)
    point = CheckinPoint.objects.create(
        campus=tree.main_campus, building="第一教学楼", name="一教东门", kind="teaching"
    )
    url = f"/checkins/p/{point.pk}/{screen_token(point.pk)}/"
    for person in (student, roommate):
        _check_in(browser, live_server, url, person.number)
    prints = set(Checkin.objects.values_list("fingerprint", flat=True))
    assert len(prints) == 1 and "" not in prints  # same phone, script ran
    assert set(Flag.objects.values_list("reason", flat=True)) == {"shared_device"}

    page = desktop_page
    page.goto("/checkins/flags/")
    _sign_in(page, "T0001")
    page.wait_for_selector(f"tr[data-person='{student.pk}'][data-reason='shared_device']")
    text = page.inner_text("table.flags")
    assert "屏幕 390×844" in text and "无痕模式" in text and "赵同学" in text
    screenshot(page, "checkins-flags-adviser")
