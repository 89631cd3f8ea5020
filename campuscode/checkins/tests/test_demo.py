from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from campuscode.checkins import demo
from campuscode.checkins.models import Checkin, CheckinPoint, Flag
from campuscode.checkins.selectors import honesty_scan

pytestmark = pytest.mark.django_db


def test_it_loads_points_and_honest_history_for_the_demo_school(
    tree, student, other_student, adviser, time_machine
):
    for index in range(150):
        tree.person(f"学生{index}", tree.cs_2501 if index % 2 else tree.en_2501)
    now = datetime(2026, 3, 16, 8, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    time_machine.move_to(now, tick=False)
    lines = demo.load_demo(school=tree.school, now=now)
    assert any("/checkins/kiosk/" in line for line in lines)
    assert set(CheckinPoint.objects.values_list("campus__name", flat=True)) == {"主校区", "东校区"}
    history = Checkin.objects.all()
    assert history.filter(at__gte=now).count() == 0
    days = history.values("day").distinct().count()
    assert days >= 30
    assert history.filter(colour="yellow").exists() and history.filter(colour="red").exists()
    # The generated history is honest; the flag examples (checkins.demo_flags) go through
    # the real services, one check-in per kind of cheat (nine at most).
    assert Flag.objects.values("checkin").distinct().count() <= 9
    reasons = set(Flag.objects.values_list("reason", flat=True))
    assert {
        "off_campus_network",
        "form_moved",
        "location_far",
        "poster_no_evidence",
        "shared_device",
        "address_burst",
        "not_opened",
    } <= reasons
    assert any("/checkins/flags/" in line for line in lines)
    examples = Flag.objects.values("checkin")
    assert honesty_scan(history.exclude(pk__in=examples)) == {
        "shared_device": 0,
        "address_burst": 0,
    }


def test_honesty_scan_finds_a_shared_device(tree, student, adviser, point, morning):
    from django.test import Client

    from conftest import sign_in

    from .conftest import check_in

    browser = Client()
    check_in(sign_in(browser, student.user), point)
    check_in(sign_in(browser, adviser), point)
    assert honesty_scan(Checkin.objects.all())["shared_device"] == 2
