"""Presence evidence per point (issue 9): campus networks, the phone's location, the point's
scanner, and the form bound to the browser that opened it. Cases 1 (relay) and 3 (open
here, send later elsewhere), over HTTP."""

import pytest
from django.test import Client

from campuscode.checkins.models import Checkin, CheckinPoint, Flag
from campuscode.codes.tokens import issue_token
from conftest import sign_in

from .conftest import GOOD, check_in, point_path

pytestmark = pytest.mark.django_db

CAMPUS_WIFI = "10.20.0.0/16"
AT_POINT = "10.20.3.4"  # the campus Wi-Fi at the point
ELSEWHERE_ON_CAMPUS = "10.20.99.7"
HOME = "203.0.113.9"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148"
OTHER_BROWSER = "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/124.0 Mobile"
# The point: 一教东门, at the coordinates below; 300 m north is about 0.0027 degrees.
LAT, LON = 31.230416, 121.473701


@pytest.fixture
def admin_client(sysadmin):
    return sign_in(Client(), sysadmin)


@pytest.fixture
def campus_wifi(admin_client, tree):
    response = admin_client.post(
        "/checkins/networks/", {"campus": tree.main_campus.pk, "networks": CAMPUS_WIFI}
    )
    assert response.status_code == 302


def set_policy(admin_client, point, **policy):
    """Edit the point on its page, as the school's admin does."""
    data = {
        "campus": point.campus_id,
        "building": point.building,
        "name": point.name,
        "kind": point.kind,
        "active": "on",
        "codes": "screen",
        "on_missing": "flag",
        "radius_m": "150",
        "evidence_network": "on",
    }
    data.update({k: v for k, v in policy.items() if v is not None})
    for name, value in policy.items():
        if value is None:
            data.pop(name, None)
    response = admin_client.post(f"/checkins/points/{point.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    point.refresh_from_db()
    return point


def flags_of(person):
    return sorted(Flag.objects.filter(checkin__person=person).values_list("reason", flat=True))


# --- the campus network, and case 1 (relay) ------------------------------------------------


def test_an_honest_checkin_on_campus_wifi_is_not_flagged(student, point, morning, campus_wifi):
    phone = sign_in(Client(HTTP_USER_AGENT=PHONE), student.user)
    assert check_in(phone, point, REMOTE_ADDR=AT_POINT).status_code == 302
    checkin = Checkin.objects.get()
    assert flags_of(student) == []
    assert checkin.evidence["network"] == {
        "ip": AT_POINT,
        "configured": True,
        "inside": True,
        "range": CAMPUS_WIFI,
    }
    assert checkin.evidence["binding"]["ok"] is True
    assert checkin.evidence["present"] is True


def test_a_relay_within_the_tokens_step_is_flagged(tree, student, point, morning, campus_wifi):
    """Case 1: the student at the point sends the point's URL home; within the same step
    the friend opens it on their own phone and checks in."""
    friend = tree.person("赵同学", tree.cs_2501)
    at_point = sign_in(Client(HTTP_USER_AGENT=PHONE), student.user)
    at_home = sign_in(Client(HTTP_USER_AGENT=OTHER_BROWSER), friend.user)
    check_in(at_point, point, REMOTE_ADDR=AT_POINT)
    morning.shift(5)  # the same token, still fresh
    assert check_in(at_home, point, REMOTE_ADDR=HOME).status_code == 302
    assert flags_of(student) == []
    assert flags_of(friend) == [Flag.Reason.OFF_CAMPUS_NETWORK]
    flag = Flag.objects.get(checkin__person=friend)
    assert flag.detail == {"ip": HOME}
    relayed = Checkin.objects.get(person=friend)
    assert relayed.evidence["network"]["inside"] is False
    assert relayed.evidence["present"] is False


def test_a_relay_is_refused_where_the_point_refuses(
    admin_client, tree, student, point, morning, campus_wifi
):
    set_policy(admin_client, point, on_missing="refuse")
    friend = tree.person("赵同学", tree.cs_2501)
    at_home = sign_in(Client(), friend.user)
    response = check_in(at_home, point, REMOTE_ADDR=HOME)
    assert response.status_code == 403
    assert response.context["reason"] == "off_campus_network"
    assert "校园网" in response.content.decode()
    assert not Checkin.objects.exists()


def test_the_network_is_the_clients_behind_the_schools_proxy(
    settings, student, point, morning, campus_wifi
):
    # The proxy itself sits in a campus range; the phone behind it is at home.
    settings.CAMPUSCODE_TRUSTED_PROXIES = ["10.20.0.1"]
    phone = sign_in(Client(), student.user)
    check_in(phone, point, REMOTE_ADDR="10.20.0.1", HTTP_X_FORWARDED_FOR=HOME)
    assert flags_of(student) == [Flag.Reason.OFF_CAMPUS_NETWORK]


def test_a_campus_without_networks_is_not_checked(student, point, morning, admin_client):
    phone = sign_in(Client(), student.user)
    check_in(phone, point, REMOTE_ADDR=HOME)
    assert flags_of(student) == []
    assert Checkin.objects.get().evidence["network"]["configured"] is False
    page = admin_client.get(f"/checkins/points/{point.pk}/").content.decode()
    assert "data-no-networks" in page


def test_bad_ranges_are_refused_and_nothing_changes(admin_client, tree, campus_wifi):
    response = admin_client.post(
        "/checkins/networks/", {"campus": tree.main_campus.pk, "networks": "10.0.0.0/8\n学校网"}
    )
    assert response.status_code == 400
    assert "学校网" in response.content.decode()
    page = admin_client.get("/checkins/networks/").content.decode()
    assert CAMPUS_WIFI in page and "10.0.0.0/8" not in page


# --- case 3: opened here, sent later from elsewhere ---------------------------------------


def test_a_form_opened_at_the_point_and_sent_from_another_address_is_flagged(
    student, point, morning, campus_wifi
):
    phone = sign_in(Client(HTTP_USER_AGENT=PHONE), student.user)
    page = phone.get(point_path(point), REMOTE_ADDR=AT_POINT)
    key = page.context["form"].initial["key"]
    morning.shift(240)  # four minutes later, still within the form's time
    response = phone.post(point_path_of(page), {**GOOD, "key": key}, REMOTE_ADDR=HOME)
    assert response.status_code == 302
    assert flags_of(student) == [Flag.Reason.FORM_MOVED, Flag.Reason.OFF_CAMPUS_NETWORK]
    moved = Flag.objects.get(reason=Flag.Reason.FORM_MOVED).detail
    assert moved["ok"] is False
    assert moved["changed"] == {"ip": {"before": AT_POINT, "after": HOME}}
    assert moved["sent_at"] - moved["opened_at"] == pytest.approx(240, abs=1)


def test_a_form_sent_from_another_campus_address_is_flagged_as_moved(
    student, point, morning, campus_wifi
):
    phone = sign_in(Client(HTTP_USER_AGENT=PHONE), student.user)
    page = phone.get(point_path(point), REMOTE_ADDR=AT_POINT)
    key = page.context["form"].initial["key"]
    phone.post(point_path_of(page), {**GOOD, "key": key}, REMOTE_ADDR=ELSEWHERE_ON_CAMPUS)
    assert flags_of(student) == [Flag.Reason.FORM_MOVED]


def test_a_form_sent_from_another_browser_with_the_session_is_flagged(
    student, point, morning, campus_wifi
):
    phone = sign_in(Client(HTTP_USER_AGENT=PHONE), student.user)
    page = phone.get(point_path(point), REMOTE_ADDR=AT_POINT)
    key = page.context["form"].initial["key"]
    laptop = Client(HTTP_USER_AGENT=OTHER_BROWSER)
    laptop.cookies = phone.cookies  # the session copied to another device
    laptop.post(point_path_of(page), {**GOOD, "key": key}, REMOTE_ADDR=AT_POINT)
    changed = Flag.objects.get(reason=Flag.Reason.FORM_MOVED).detail["changed"]
    assert changed == {"agent": {"before": PHONE, "after": OTHER_BROWSER}}


def test_a_moved_form_is_refused_where_the_point_refuses(
    admin_client, student, point, morning, campus_wifi
):
    set_policy(admin_client, point, on_missing="refuse")
    phone = sign_in(Client(HTTP_USER_AGENT=PHONE), student.user)
    page = phone.get(point_path(point), REMOTE_ADDR=AT_POINT)
    key = page.context["form"].initial["key"]
    response = phone.post(
        point_path_of(page), {**GOOD, "key": key}, REMOTE_ADDR=ELSEWHERE_ON_CAMPUS
    )
    assert response.status_code == 403
    assert response.context["reason"] == "form_moved"
    assert not Checkin.objects.exists()


def point_path_of(page) -> str:
    return page.wsgi_request.path


# --- the phone's location -------------------------------------------------------------------


@pytest.fixture
def located_point(admin_client, point):
    return set_policy(
        admin_client,
        point,
        evidence_network=None,
        evidence_location="on",
        latitude=str(LAT),
        longitude=str(LON),
        radius_m="150",
    )


def send_with_location(client, point, **geo):
    page = client.get(point_path(point), REMOTE_ADDR=HOME)
    assert page.status_code == 200
    assert 'name="geo_lat"' in page.content.decode()
    key = page.context["form"].initial["key"]
    return client.post(point_path_of(page), {**GOOD, **geo, "key": key}, REMOTE_ADDR=HOME)


def test_a_phone_at_the_point_is_present(student, located_point, morning):
    phone = sign_in(Client(), student.user)
    send_with_location(phone, located_point, geo_lat=LAT + 0.0003, geo_lon=LON, geo_accuracy="20")
    assert flags_of(student) == []
    place = Checkin.objects.get().evidence["location"]
    assert place["problem"] is None
    assert place["distance_m"] == 33 and place["accuracy_m"] == 20


def test_a_phone_far_from_the_point_is_flagged_with_the_distance(student, located_point, morning):
    phone = sign_in(Client(), student.user)
    send_with_location(phone, located_point, geo_lat=LAT + 0.0027, geo_lon=LON, geo_accuracy="15")
    assert flags_of(student) == [Flag.Reason.LOCATION_FAR]
    detail = Flag.objects.get().detail
    assert detail["problem"] == "far" and 290 <= detail["distance_m"] <= 310
    assert detail["radius_m"] == 150 and detail["accuracy_m"] == 15


def test_a_denied_location_is_missing(student, located_point, morning):
    phone = sign_in(Client(), student.user)
    send_with_location(phone, located_point, geo_error="denied")
    assert flags_of(student) == [Flag.Reason.LOCATION_MISSING]
    assert Flag.objects.get().detail["error"] == "denied"


def test_an_imprecise_location_is_missing(student, located_point, morning):
    phone = sign_in(Client(), student.user)
    send_with_location(phone, located_point, geo_lat=LAT, geo_lon=LON, geo_accuracy="2500")
    assert flags_of(student) == [Flag.Reason.LOCATION_MISSING]
    assert Flag.objects.get().detail["problem"] == "inaccurate"


def test_a_result_computed_in_the_browser_is_ignored(student, located_point, morning):
    phone = sign_in(Client(), student.user)
    send_with_location(phone, located_point, geo_distance="0", geo_ok="1", geo_lat="abc")
    assert flags_of(student) == [Flag.Reason.LOCATION_MISSING]


# --- the point's scanner --------------------------------------------------------------------


@pytest.fixture
def scanner(admin_client, point):
    set_policy(admin_client, point, evidence_scan="on")
    response = admin_client.post(f"/checkins/points/{point.pk}/", {"scanner_token": "1"})
    token = response.context["scanner_token"]
    assert token.startswith("pt_")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def scan(device, person):
    return device.post(
        "/api/v1/checkins/scan",
        {"code": issue_token(person=person, colour="green")},
        content_type="application/json",
    )


def test_a_checkin_after_the_point_scanned_the_person_is_present(
    student, point, morning, campus_wifi, scanner
):
    answer = scan(scanner, student)
    assert answer.status_code == 200 and answer.json()["ok"] is True
    assert answer.json()["display"].startswith("张*")
    phone = sign_in(Client(), student.user)
    # On mobile data, not the campus Wi-Fi: the scan proves presence anyway.
    opened = phone.get("/checkins/scanned/", REMOTE_ADDR=HOME, follow=True)
    assert opened.status_code == 200
    key = opened.context["form"].initial["key"]
    phone.post(point_path_of(opened), {**GOOD, "key": key}, REMOTE_ADDR=HOME)
    checkin = Checkin.objects.get()
    assert flags_of(student) == []
    assert checkin.evidence["scan"]["grant"] is not None
    assert checkin.evidence["present"] is True


def test_a_relay_to_a_friend_not_scanned_is_flagged(
    tree, student, point, morning, campus_wifi, scanner
):
    friend = tree.person("赵同学", tree.cs_2501)
    scan(scanner, student)
    check_in(sign_in(Client(), friend.user), point, REMOTE_ADDR=HOME)
    assert flags_of(friend) == [Flag.Reason.NOT_SCANNED, Flag.Reason.OFF_CAMPUS_NETWORK]


def test_a_scan_counts_only_for_a_few_minutes(student, point, morning, campus_wifi, scanner):
    scan(scanner, student)
    morning.shift(6 * 60)  # the default is five minutes
    check_in(sign_in(Client(), student.user), point, REMOTE_ADDR=HOME)
    assert flags_of(student) == [Flag.Reason.NOT_SCANNED, Flag.Reason.OFF_CAMPUS_NETWORK]


def test_the_scan_api_needs_the_points_own_token(student, point, scanner, admin_client):
    for header in ("", "Bearer pt_guessed", "Bearer gt_a-gate-token"):
        device = Client(HTTP_AUTHORIZATION=header) if header else Client()
        assert scan(device, student).status_code == 401
    admin_client.post(f"/checkins/points/{point.pk}/", {"revoke_scanner": "1"})
    assert scan(scanner, student).status_code == 401
    point.refresh_from_db()
    assert point.scanner_token_hash == ""


def test_a_stale_or_foreign_code_opens_nothing(tree, point, scanner):
    stranger = tree.person("外语学生", tree.en_2501)
    answer = scan(scanner, stranger).json()
    assert (answer["ok"], answer["reason"]) == (False, "wrong_campus")
    answer = scanner.post(
        "/api/v1/checkins/scan", {"code": "not-a-code"}, content_type="application/json"
    ).json()
    assert answer["ok"] is False
    from campuscode.checkins.models import PresenceGrant

    assert not PresenceGrant.objects.exists()


def test_the_point_page_edits_the_policy(admin_client, point):
    set_policy(
        admin_client,
        point,
        evidence_network=None,
        evidence_location="on",
        latitude="31.2",
        longitude="121.4",
        radius_m="80",
        on_missing="refuse",
    )
    point = CheckinPoint.objects.get(pk=point.pk)
    assert (point.evidence_network, point.evidence_location, point.on_missing) == (
        False,
        True,
        "refuse",
    )
    assert point.radius_m == 80
    response = admin_client.post(
        f"/checkins/points/{point.pk}/",
        {
            "campus": point.campus_id,
            "building": point.building,
            "name": point.name,
            "kind": point.kind,
            "on_missing": "flag",
            "radius_m": "80",
            "evidence_location": "on",
        },
    )
    assert response.status_code == 200  # location without coordinates: refused
    assert "经纬度" in response.content.decode() or response.context["form"].errors
