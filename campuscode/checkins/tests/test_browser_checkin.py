"""A student scans the kiosk's QR with a phone, checks in, sees the colour; the class
adviser then sees the student as checked in. Real Chromium, phone viewport."""

import pytest

from campuscode.checkins.models import Checkin, CheckinPoint
from conftest import PASSWORD, decode_qr, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _enrol(page, point):
    """Register a screen for `point` and open its one-time link, as the admin would."""
    from campuscode.checkins.devices import register_display

    _display, credential = register_display(point=point, name="大屏")
    page.goto(f"/checkins/kiosk/{point.pk}/enrol/#token={credential}")
    page.wait_for_selector(".kiosk-qr svg")
    return credential


def _sign_in(page, username):
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn")


def test_a_student_checks_in_from_the_kiosk_qr_and_the_adviser_sees_it(
    phone_page, desktop_page, student, adviser, tree, time_machine
):
    time_machine.move_to("2026-03-02 08:00 +0800", tick=True)
    point = CheckinPoint.objects.create(
        campus=tree.main_campus, building="第一教学楼", name="一教东门", kind="teaching"
    )
    kiosk = desktop_page
    _enrol(kiosk, point)
    urls = decode_qr(screenshot(kiosk, "checkins-kiosk"))
    assert len(urls) == 1 and f"/checkins/p/{point.pk}/" in urls[0]

    phone = phone_page
    phone.goto(urls[0])  # what the camera app opens
    _sign_in(phone, student.number)
    phone.wait_for_selector("input[name=temperature]")
    screenshot(phone, "checkins-form-phone")
    phone.fill("input[name=temperature]", "３６．６")
    phone.check("input[name=symptoms][value=none]")
    phone.check("input[name=contact][value=none]")  # never pre-selected: the person says so
    phone.click("button[data-submit]")
    phone.wait_for_selector(".checkin-result")
    assert phone.get_attribute(".checkin-result", "data-colour") == "green"
    screenshot(phone, "checkins-done-phone")
    assert str(Checkin.objects.get().temperature) == "36.6"

    kiosk.goto("/checkins/lists/")
    _sign_in(kiosk, "T0001")
    kiosk.wait_for_selector(f"tr[data-person='{student.pk}']")
    assert kiosk.get_attribute(f"tr[data-person='{student.pk}']", "data-state") == "checked"
    screenshot(kiosk, "checkins-lists-adviser")

    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto("/checkins/")
    screenshot(phone, "checkins-mine-phone")


def test_the_kiosk_rotates_its_code_and_recovers_after_an_outage(desktop_page, tree):
    from campuscode.core.rules import set_setting

    set_setting(key="checkin_point_step_seconds", value=5)
    point = CheckinPoint.objects.create(campus=tree.east_campus, building="外语楼", name="大厅")
    page = desktop_page
    _enrol(page, point)
    first = page.get_attribute(".kiosk-qr", "data-url")
    page.wait_for_function(
        "u => document.querySelector('.kiosk-qr').dataset.url !== u", arg=first, timeout=12_000
    )
    page.context.set_offline(True)
    page.wait_for_selector("#kiosk.offline", timeout=15_000)
    screenshot(page, "checkins-kiosk-offline")
    stale = page.get_attribute(".kiosk-qr", "data-url")
    page.context.set_offline(False)
    page.wait_for_selector("#kiosk:not(.offline)", timeout=20_000)
    page.wait_for_function(
        "u => document.querySelector('.kiosk-qr').dataset.url !== u", arg=stale, timeout=12_000
    )


def test_the_poster_prints_a_static_code_that_opens_the_form(desktop_page, sysadmin, tree):
    from conftest import PASSWORD

    point = CheckinPoint.objects.create(
        campus=tree.main_campus, building="图书馆", name="图书馆入口", codes="poster"
    )
    page = desktop_page
    page.goto(f"/checkins/points/{point.pk}/poster/")
    page.fill("input[name=username]", "itadmin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn")
    page.wait_for_selector(".poster-qr svg")
    page.emulate_media(media="print")
    urls = decode_qr(screenshot(page, "checkins-poster-print"))
    assert len(urls) == 1 and f"/checkins/p/{point.pk}/p1." in urls[0]


def test_a_screen_is_enrolled_by_its_link_and_an_unregistered_one_gets_no_code(
    browser, live_server, desktop_page, tree
):
    """Issue 9, case 2: the kiosk page used to be served to whoever knew its address."""
    point = CheckinPoint.objects.create(campus=tree.main_campus, building="一教", name="东门")
    _enrol(desktop_page, point)
    # The one-time credential left the address bar at once.
    assert "token" not in desktop_page.url
    assert f"/checkins/p/{point.pk}/" in desktop_page.get_attribute(".kiosk-qr", "data-url")

    stranger = browser.new_context(base_url=live_server.url)
    try:
        page = stranger.new_page()
        for path in (f"/checkins/kiosk/{point.pk}/", f"/checkins/kiosk/{point.pk}/panel/"):
            response = page.goto(path)
            assert response.status == 403
            assert "/checkins/p/" not in page.content()
            assert page.query_selector(".kiosk-qr") is None
        screenshot(page, "checkins-kiosk-unregistered")
    finally:
        stranger.close()
