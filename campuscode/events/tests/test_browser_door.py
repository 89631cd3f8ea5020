"""The door scanner in Chromium on a 390 px phone: a wedge scanner types codes; with the
network cut the page decides from its list (WebCrypto Ed25519), shows a loud banner with
the pending count and the honest list of what it cannot check, and uploads once the
network is back, with nobody counted twice (R2.5). Screenshots in test-artifacts/."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from campuscode.attendance.models import Mark
from campuscode.events.models import CheckPoint, DoorScan
from campuscode.events.tests.conftest import code_for
from conftest import decode_qr, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(page, live_server, user):
    session = sign_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    return page


def scan(page, token: str) -> None:
    page.fill("#scan-input", "")
    page.keyboard.type(token, delay=0)
    page.keyboard.press("Enter")


@pytest.fixture
def running(tree, organiser, klass):
    from campuscode.events.tests.conftest import make_event

    now = timezone.localtime()
    fmt = "%Y-%m-%d %H:%M"
    event = make_event(
        organiser,
        tree.cs,
        units=[tree.cs_2501],
        starts=(now - timedelta(minutes=5)).strftime(fmt),
        ends=(now + timedelta(minutes=90)).strftime(fmt),
        title="人工智能讲座",
    )
    CheckPoint.objects.create(event=event, name="西门", kind=CheckPoint.Kind.ENTRY)
    return event


def test_the_door_scans_online_then_offline_then_uploads_without_double_counts(
    phone_page, live_server, organiser, running, klass
):
    page = _signed_in(phone_page, live_server, organiser)
    east, west = list(running.points.order_by("pk"))
    page.goto(f"/events/points/{east.pk}/door/")
    page.wait_for_selector("#door[data-ready=true]")

    scan(page, code_for(klass[0]))
    page.wait_for_selector("#door[data-state=allow][data-source=online]")
    assert "张* · 计科2501班" in page.inner_text("#answer")
    screenshot(page, "events-door-online-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the door page is {width} px wide"

    page.context.set_offline(True)
    scan(page, code_for(klass[1]))
    page.wait_for_selector("#door[data-state=allow][data-source=offline]")
    scan(page, code_for(klass[0]))  # already in (online, before the cut): not again
    page.wait_for_selector("#door[data-reason=already][data-source=offline]")
    scan(page, code_for(klass[1]))  # the same person twice while offline
    page.wait_for_selector("#door[data-pending='3']")
    assert page.is_visible("#offline-banner") and page.is_visible("#offline-limits")
    assert page.inner_text("#banner-count") == "3"
    screenshot(page, "events-door-offline-phone")
    assert Mark.objects.count() == 1

    page.context.set_offline(False)
    page.wait_for_selector("#door[data-pending='0']", timeout=30_000)
    assert page.is_hidden("#offline-banner")
    assert DoorScan.objects.filter(source="offline").count() == 3
    assert Mark.objects.filter(direction="in").count() == 2

    # A second door: klass[1] again, online, is one person inside, not two.
    page.goto(f"/events/points/{west.pk}/door/")
    page.wait_for_selector("#door[data-ready=true]")
    scan(page, code_for(klass[1]))
    page.wait_for_selector("#door[data-reason=already][data-source=online]")
    page.wait_for_function(
        "() => document.querySelector('[data-count=signed_in]').textContent.trim() === '2'"
    )
    screenshot(page, "events-door-second-door-phone")


def test_the_event_page_and_screen_fit_a_phone(phone_page, live_server, organiser, running):
    page = _signed_in(phone_page, live_server, organiser)
    page.goto(f"/events/{running.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "events-detail-phone")
    sitting = running.sittings.get()
    page.goto(f"/events/sittings/{sitting.pk}/screen/")
    assert page.is_visible(".kiosk-qr svg")
    found = decode_qr(screenshot(page, "events-screen-phone"))
    assert any(f"/events/s/{sitting.pk}/" in text for text in found), found
