"""The gate page in Chromium: a keyboard-wedge scanner types a code and Enter; with the
network cut the page still answers from its snapshot (WebCrypto Ed25519) and uploads
the queued events once the network is back."""

import re

import pytest
from django.utils import timezone

from campuscode.codes.tokens import Colour
from campuscode.gates.models import GateEvent
from campuscode.gates.tests.conftest import code_for
from conftest import DESKTOP, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settled(page) -> None:
    """The answer's colour change (a short CSS transition) has finished: for screenshots."""
    page.wait_for_function("() => document.getAnimations().length === 0")


def scan(page, token: str) -> None:
    # A wedge scanner is a keyboard: characters, then Enter, into whatever has focus.
    page.keyboard.type(token, delay=1)
    page.keyboard.press("Enter")


def test_it_answers_a_wedge_scanner_online_and_offline_then_syncs(
    desktop_page, device_token, student, other_student
):
    page = desktop_page
    page.goto(f"/gates/kiosk/#token={device_token}")
    page.wait_for_selector("#gate[data-synced=true]")
    # The token left the address bar (and this history entry) for the device's storage.
    assert device_token not in page.url and page.evaluate("location.hash") == ""

    scan(page, code_for(student))
    page.wait_for_selector("#gate[data-state=allow][data-source=online]")
    assert "张*伟 · 计科2501班" in page.inner_text("#answer")
    settled(page)
    screenshot(page, "gates-kiosk-online-allow")

    page.context.set_offline(True)
    scan(page, code_for(other_student, Colour.RED))
    page.wait_for_selector("#gate[data-state=refuse][data-source=offline]")
    assert page.get_attribute("#gate", "data-reason") == "red_status"
    assert "红码" in page.inner_text("#answer") or "Red code" in page.inner_text("#answer")
    settled(page)
    screenshot(page, "gates-kiosk-offline-refuse")

    scan(page, code_for(other_student))
    page.wait_for_selector("#gate[data-state=allow][data-source=offline]")
    assert page.inner_text("#queued") == "2"
    assert page.get_attribute("#net", "data-online") == "false"
    settled(page)
    screenshot(page, "gates-kiosk-offline-allow")
    assert GateEvent.objects.count() == 1

    page.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('queued').textContent === '0'")
    assert GateEvent.objects.filter(source="offline").count() == 2
    assert GateEvent.objects.count() == 3
    # The page sent each code with its event: the server confirmed the offline passage.
    passed = GateEvent.objects.get(source="offline", allowed=True)
    assert (passed.person, passed.unverified) == (other_student, "")


def test_a_page_without_a_device_token_says_so(phone_page):
    phone_page.goto("/gates/kiosk/")
    assert phone_page.is_visible("#problem")
    screenshot(phone_page, "gates-kiosk-no-token-phone")


def test_it_shows_times_in_the_schools_time_zone_whatever_the_devices_clock_says(
    browser, live_server, device_token, student
):
    # A gate PC left on Los Angeles time (15 or 16 hours behind the school's Shanghai).
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="America/Los_Angeles", **DESKTOP
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"/gates/kiosk/#token={device_token}")
        page.wait_for_selector("#gate[data-synced=true]")
        before = timezone.localtime()
        scan(page, code_for(student))
        page.wait_for_selector("#gate[data-state=allow]")
        after = timezone.localtime()
        school_hours = {before.hour, after.hour}
        assert page.evaluate("new Date().getHours()") not in school_hours

        answered = re.fullmatch(r"(\d{2}):\d{2}:\d{2}", page.inner_text("#answer-when"))
        synced = re.search(r" (\d{1,2}):\d{2}:\d{2}", page.inner_text("#synced"))
        assert int(answered[1]) in school_hours
        assert int(synced[1]) in school_hours
    finally:
        context.close()
