"""The gate page in Chromium: a keyboard-wedge scanner types a code and Enter; with the
network cut the page still answers from its snapshot (WebCrypto Ed25519) and uploads
the queued events once the network is back."""

import pytest

from campuscode.codes.tokens import Colour
from campuscode.gates.models import GateEvent
from campuscode.gates.tests.conftest import code_for
from conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
    assert "token=" not in page.url  # the token left the address bar for local storage

    scan(page, code_for(student))
    page.wait_for_selector("#gate[data-state=allow][data-source=online]")
    assert "张*伟 · 计科2501班" in page.inner_text("#answer")
    screenshot(page, "gates-kiosk-online-allow")

    page.context.set_offline(True)
    scan(page, code_for(other_student, Colour.RED))
    page.wait_for_selector("#gate[data-state=refuse][data-source=offline]")
    assert page.get_attribute("#gate", "data-reason") == "red_status"
    assert "红码" in page.inner_text("#answer") or "Red code" in page.inner_text("#answer")
    screenshot(page, "gates-kiosk-offline-refuse")

    scan(page, code_for(other_student))
    page.wait_for_selector("#gate[data-state=allow][data-source=offline]")
    assert page.inner_text("#queued") == "2"
    assert page.get_attribute("#net", "data-online") == "false"
    screenshot(page, "gates-kiosk-offline-allow")
    assert GateEvent.objects.count() == 1

    page.context.set_offline(False)
    page.wait_for_function("document.getElementById('queued').textContent === '0'")
    assert GateEvent.objects.filter(source="offline").count() == 2
    assert GateEvent.objects.count() == 3


def test_a_page_without_a_device_token_says_so(phone_page):
    phone_page.goto("/gates/kiosk/")
    assert phone_page.is_visible("#problem")
    screenshot(phone_page, "gates-kiosk-no-token-phone")
