"""The form of a point that takes the phone's location: the browser sends the raw position,
the server computes the distance (issue 9). Real Chromium, with a position set."""

import pytest

from campuscode.checkins.models import Checkin, CheckinPoint, Flag
from campuscode.checkins.tokens import screen_token
from conftest import PASSWORD, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAT, LON = 31.230416, 121.473701


@pytest.mark.parametrize(
    ("where", "flags"),
    [((LAT + 0.0002, LON), []), ((LAT + 0.01, LON), [Flag.Reason.LOCATION_FAR])],
)
def test_the_form_sends_the_phones_position(
    browser, live_server, student, tree, time_machine, where, flags
):
    time_machine.move_to("2026-03-02 08:00 +0800", tick=True)
    point = CheckinPoint.objects.create(
        campus=tree.main_campus,
        building="第一教学楼",
        name="一教东门",
        evidence_network=False,
        evidence_location=True,
        latitude=LAT,
        longitude=LON,
    )
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        geolocation={"latitude": where[0], "longitude": where[1], "accuracy": 20},
        permissions=["geolocation"],
        **PHONE,
    )
    phone = context.new_page()
    phone.goto(f"/checkins/p/{point.pk}/{screen_token(point.pk)}/")
    phone.fill("input[name=username]", student.number)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button.btn")
    phone.wait_for_selector("input[name=temperature]")
    phone.fill("input[name=temperature]", "36.6")
    phone.check("input[name=symptoms][value=none]")
    phone.check("input[name=contact][value=none]")
    phone.wait_for_selector("input[name=geo_accuracy][value='20']", state="attached")
    phone.click("button[data-submit]")
    phone.wait_for_selector(".checkin-result")
    checkin = Checkin.objects.get()
    assert checkin.evidence["location"]["accuracy_m"] == 20
    assert sorted(Flag.objects.values_list("reason", flat=True)) == flags
    context.close()
