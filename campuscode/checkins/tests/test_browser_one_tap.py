"""The everyday check-in on a phone: after a normal check-in, scanning the point's code
and tapping twice (tick "measured today", tap "same as last time") checks in. Real
Chromium, phone viewport, in Chinese; the taps are counted from the point's URL to done."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from campuscode.checkins.models import Checkin, CheckinPoint, Via
from campuscode.checkins.services import Answers, submit_checkin
from campuscode.checkins.tokens import screen_token
from conftest import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_same_as_last_time_takes_two_taps_from_the_scan(phone_page, student, tree, time_machine):
    point = CheckinPoint.objects.create(
        campus=tree.main_campus, building="第一教学楼", name="一教东门", kind="teaching"
    )
    morning = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)
    submit_checkin(
        person=student,
        point=point,
        answers=Answers(temperature=Decimal("36.4"), symptoms=[]),
        via=Via.SCREEN,
        idempotency_key="morning",
        now=morning,
    )
    time_machine.move_to(datetime(2026, 3, 2, 13, 0, tzinfo=SHANGHAI), tick=True)
    phone = phone_page
    phone.goto("/accounts/login/")
    phone.fill("input[name=username]", student.number)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button.btn")
    phone.wait_for_load_state()

    taps: list[str] = []

    def tap(selector: str) -> None:
        phone.click(selector)
        taps.append(selector)

    phone.goto(f"/checkins/p/{point.pk}/{screen_token(point.pk)}/")  # the camera opens it
    button = phone.locator("button[data-same]")
    assert button.inner_text().strip() == "同上次 — 36.4 °C，无症状，无接触"
    assert phone.input_value(".same-as-last input[name=temperature]") == "36.4"
    screenshot(phone, "checkins-same-as-last-phone")
    # Tapping "same as last time" without confirming today's reading sends nothing.
    box = phone.locator(".same-as-last input[name=measured_today]")
    assert box.evaluate("el => !el.checked")
    tap(".same-as-last input[name=measured_today]")
    tap("button[data-same]")
    phone.wait_for_selector(".checkin-result")
    assert len(taps) == 2
    assert phone.get_attribute(".checkin-result", "data-colour") == "green"
    screenshot(phone, "checkins-same-as-last-done-phone")
    latest = Checkin.objects.get(period="afternoon")
    assert (latest.temperature, latest.symptoms, latest.contact) == (Decimal("36.4"), [], "none")

    # Scanning again in the same window says so and offers a correction.
    phone.goto(f"/checkins/p/{point.pk}/{screen_token(point.pk)}/")
    phone.wait_for_selector(".checkin-already")
    assert "您本时段已于 13:00 打卡" in phone.inner_text(".checkin-already")
    screenshot(phone, "checkins-already-phone")
    phone.click("[data-correct]")
    phone.fill("input[name=correction_reason]", "刚才体温填错了")
    phone.fill(".checkin-form form:not(.same-as-last) input[name=temperature]", "36.6")
    phone.check("input[name=symptoms][value=none]")
    phone.check("input[name=contact][value=none]")
    phone.click("button[data-submit]")
    phone.wait_for_selector(".checkin-result")
    screenshot(phone, "checkins-corrected-phone")
    assert "刚才体温填错了" in phone.inner_text(".correction-reason")
    assert Checkin.objects.effective().get(period="afternoon").temperature == Decimal("36.6")
