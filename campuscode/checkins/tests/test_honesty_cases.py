"""Issue 9, cases 4, 5, 7 and 8, tried over HTTP as a cheating student (and an honest
crowd) would: a shared phone with its cookies cleared, a paced script, a correction that
would launder a flag, a check-in during isolation."""

import io

import openpyxl
import pytest
from django.test import Client

from campuscode.checkins.models import Checkin, Flag
from campuscode.core.rules import set_setting
from campuscode.followup.models import Isolation
from campuscode.notify.models import Notice
from conftest import sign_in

from .conftest import GOOD, check_in, point_path

pytestmark = pytest.mark.django_db

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
IPHONE_PRINT = "390x844|390x797|3|24|Asia/Shanghai|zh-CN|4||5|iPhone"
DORM = "10.20.0.1"
ALERT = "isolated_at_point"  # the notification kind (notify.models.Kind)


def phone(agent=IPHONE, address=DORM, **extra):
    """The request headers of one phone (HTTP_* as the test client takes them)."""
    return {"HTTP_USER_AGENT": agent, "REMOTE_ADDR": address, **extra}


def android(n: int) -> tuple[dict, str]:
    """The n-th of many different Android phones: its headers and its script's print."""
    models = ["V2307A", "PJA110", "23049RAD8C", "ALN-AL00", "PHB110", "M2012K11AC"]
    agent = (
        f"Mozilla/5.0 (Linux; Android {12 + n % 3}; {models[n % len(models)]}) "
        f"AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{110 + n % 17}.0 Mobile Safari/537.36"
    )
    screen = f"{360 + n % 50}x{780 + n % 90}|{360 + n % 50}x{740 + n % 90}|3|24"
    return phone(agent), f"{screen}|Asia/Shanghai|zh-CN|8||5|Linux"


def reasons_of(person) -> set[str]:
    return set(Flag.objects.filter(checkin__person=person).values_list("reason", flat=True))


# --- Case 4: one phone, several accounts, cookies cleared -----------------------------


def test_it_flags_one_phone_serving_roommates_after_clearing_cookies(tree, point, morning):
    roommates = [tree.person(f"室友{i}", tree.cs_2501) for i in range(3)]
    for person in roommates:
        browser = sign_in(Client(), person.user)  # a new private tab: no device cookie
        check_in(browser, point, {"fp": IPHONE_PRINT}, **phone())
        morning.shift(50)
    for person in roommates:
        assert Flag.Reason.SHARED_DEVICE in reasons_of(person), person
    flag = Flag.objects.filter(
        checkin__person=roommates[-1], reason=Flag.Reason.SHARED_DEVICE
    ).get()
    assert flag.detail["how"] == "fingerprint" and flag.detail["new_device"] is True
    assert flag.detail["ip"] == DORM and flag.detail["accounts"] == 3
    assert flag.detail["phone"] == {
        "model": "iPhone",
        "os": "iOS 17.4",
        "browser": "Safari",
        "screen": "390×844",
    }


def test_two_established_phones_of_one_model_are_not_a_shared_phone(
    tree, point, morning, time_machine
):
    """Roommates with the same iPhone, each using it for weeks: their cookies tell them
    apart, though everything else the browsers send is the same."""
    twins = [tree.person(f"同款{i}", tree.cs_2501) for i in range(2)]
    browsers = [sign_in(Client(), person.user) for person in twins]
    morning.shift(-60 * 60 * 24 * 3)  # three days ago: each phone's first check-in
    for n, browser in enumerate(browsers):
        check_in(browser, point, {"fp": IPHONE_PRINT}, **phone(address=f"10.99.0.{n}"))
    morning.move_to("2026-03-02 08:00 +0800", tick=False)
    for browser in browsers:
        check_in(browser, point, {"fp": IPHONE_PRINT}, **phone())
        morning.shift(20)
    assert not Flag.objects.filter(checkin__day="2026-03-02").exists()


def test_the_form_asks_for_the_phone_model_hint(client, student, point, morning):
    response = sign_in(client, student.user).get(point_path(point))
    assert "Sec-CH-UA-Model" in response["Accept-CH"]
    assert 'name="fp"' in response.content.decode()


# --- Case 5: a paced script, and an honest crowd behind one NAT ------------------------


def test_a_paced_script_just_over_the_old_burst_span_is_flagged(tree, point, morning):
    accounts = [tree.person(f"代签{i}", tree.cs_2501) for i in range(5)]
    script = phone(agent="python-requests/2.31.0", address="203.0.113.9")
    for person in accounts:
        check_in(sign_in(Client(), person.user), point, **script)  # a fresh cookie jar
        morning.shift(16)  # the old rule looked at 15 seconds
    flagged = set(
        Flag.objects.filter(reason=Flag.Reason.ADDRESS_BURST).values_list(
            "checkin__person", flat=True
        )
    )
    assert flagged == {p.pk for p in accounts}
    evidence = Flag.objects.filter(reason=Flag.Reason.ADDRESS_BURST).order_by("-pk").first()
    assert evidence.detail["accounts"] == 5 and evidence.detail["ip"] == "203.0.113.9"


def test_an_honest_dormitory_crowd_at_rush_hour_is_not_flagged(tree, point, morning):
    """Two hundred check-ins behind one dormitory NAT in an hour, arriving as roommates
    do: four within ten seconds, then the next room. A quarter of them own the same
    iPhone model (their cookies are weeks old); the rest have all kinds of Android
    phones. The old rule (four accounts in fifteen seconds) flagged every room."""
    people = [tree.person(f"住宿生{i}", tree.cs_2501) for i in range(100)]
    browsers = {p.pk: sign_in(Client(), p.user) for p in people}
    iphones = {p.pk for p in people[::4]}
    headers = {}
    for n, person in enumerate(people):
        if person.pk in iphones:
            headers[person.pk] = (phone(), IPHONE_PRINT)
        else:
            headers[person.pk] = android(n)
    # The iPhone owners checked in before, on other days: their cookies are established.
    morning.shift(-60 * 60 * 24 * 7)
    for pk in sorted(iphones):
        person_headers, print_ = headers[pk]
        check_in(browsers[pk], point, {"fp": print_}, **person_headers)
        morning.shift(30)
    morning.move_to("2026-03-02 07:20 +0800", tick=False)
    for room in range(0, len(people), 4):
        for person in people[room : room + 4]:
            person_headers, print_ = headers[person.pk]
            check_in(browsers[person.pk], point, {"fp": print_}, **person_headers)
            morning.shift(3)
        morning.shift(60)
    today = Checkin.objects.filter(day="2026-03-02")
    assert today.count() == 100
    flagged = today.filter(flags__isnull=False).distinct().count()
    assert flagged / today.count() <= 0.01, flagged


# --- Case 7: a correction keeps the window's flags -------------------------------------


def test_a_correction_keeps_the_flag_in_the_lists_and_the_export(
    client, student, adviser, point, morning
):
    sign_in(client, student.user)
    client.post(point_path(point), {**GOOD, "key": "scripted-1"})  # never opened: flagged
    assert reasons_of(student) == {Flag.Reason.NOT_OPENED}
    morning.shift(60)
    response = check_in(client, point, {"temperature": "36.6"}, correction="体温填错了")
    assert response.status_code == 302
    assert Checkin.objects.effective().get(person=student).flags.count() == 0  # clean row
    sign_in(client, adviser)
    query = "day=2026-03-02&period=morning&show=flagged"
    page = client.get(f"/checkins/lists/?{query}").content.decode()
    assert f'data-person="{student.pk}"' in page and 'data-flag="not_opened"' in page
    assert 'data-replaced="' in page
    export = client.get(f"/checkins/lists/export.xlsx?{query}")
    sheet = openpyxl.load_workbook(io.BytesIO(export.getvalue())).worksheets[0]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == student.number)
    assert row[-1]  # the flags column
    flags = client.get("/checkins/flags/?first=2026-03-02&last=2026-03-02").content.decode()
    assert f'data-person="{student.pk}"' in flags and 'data-reason="not_opened"' in flags


# --- Case 8: isolation checked at points -----------------------------------------------


@pytest.fixture
def isolated(student, morning):
    return Isolation.objects.create(
        person=student,
        kind=Isolation.Kind.ISOLATION,
        place="家中",
        reason="密接",
        starts_on="2026-03-01",
        ends_on="2026-03-07",
        created_at="2026-03-01T09:00:00+08:00",
    )


def test_a_person_under_isolation_is_refused_at_a_point_and_the_office_alerted(
    client, student, isolated, health_officer, adviser, point, morning
):
    sign_in(client, student.user)
    page = client.get(point_path(point))
    key = page.context["form"].initial["key"]
    for _attempt in range(2):  # a retry: still refused, one alert
        response = client.post(point_path(point), {**GOOD, "key": key})
        assert response.status_code == 403
        assert response.context["reason"] == "isolated"
    assert not Checkin.objects.exists()
    alerts = Notice.objects.filter(kind=ALERT)
    assert list(alerts.values_list("user", flat=True)) == [health_officer.pk]
    assert alerts.get().data["refused"] is True and alerts.get().data["person"] == student.pk


def test_if_the_school_chooses_the_check_in_is_stored_and_flagged(
    client, student, isolated, health_officer, point, morning
):
    set_setting(key="checkin_isolated_refuse", value=False)
    sign_in(client, student.user)
    assert check_in(client, point).status_code == 302
    assert reasons_of(student) == {Flag.Reason.ISOLATED}
    assert Notice.objects.filter(kind=ALERT, user=health_officer).count() == 1


def test_an_ended_isolation_does_not_stop_a_check_in(
    client, student, isolated, health_officer, point, morning
):
    Isolation.objects.filter(pk=isolated.pk).update(ended_at="2026-03-01T18:00:00+08:00")
    sign_in(client, student.user)
    assert check_in(client, point).status_code == 302
    assert not Flag.objects.exists() and not Notice.objects.filter(kind=ALERT)
