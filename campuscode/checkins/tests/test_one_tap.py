"""Check-in in one tap: "same as last time" after a normal check-in (the temperature
still confirmed as today's), a second scan in a window that says so and offers a
correction with its reason, and a temperature without its decimal point explained."""

from datetime import timedelta
from decimal import Decimal

import pytest

from campuscode.checkins.models import Checkin
from conftest import sign_in

from .conftest import GOOD, check_in, point_path

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _afternoon(morning):
    morning.shift(timedelta(hours=5))  # 13:00, the afternoon window


def _html(response) -> str:
    return response.content.decode()


def test_365_says_the_decimal_point_is_missing(client, student, point, morning):
    sign_in(client, student.user)
    response = check_in(client, point, {"temperature": "365"}, **ZH)
    assert response.status_code == 400
    assert [e.code for e in response.context["form"].errors.as_data()["temperature"]] == [
        "missing_point"
    ]
    assert "您是否漏输了小数点？" in _html(response)
    assert "34.0–42.5 之间、保留一位小数，例如 36.5" in _html(response)
    assert not Checkin.objects.exists()


def test_the_full_form_presets_neither_symptoms_nor_contact(client, student, point, morning):
    sign_in(client, student.user)
    page = client.get(point_path(point))
    assert " checked" not in _html(page)
    assert "same_form" not in page.context  # nothing to repeat on a first check-in
    response = check_in(client, point, {"contact": ""})
    assert response.status_code == 400 and not Checkin.objects.exists()


def test_same_as_last_time_is_offered_after_a_normal_checkin(client, student, point, morning):
    sign_in(client, student.user)
    check_in(client, point, {"temperature": "36.4"})
    _afternoon(morning)
    page = client.get(point_path(point), **ZH)
    assert page.context["same_form"].initial["temperature"] == Decimal("36.4")
    assert "同上次 — 36.4 °C，无症状，无接触" in _html(page)
    assert "已测量，体温为今日测量值" in _html(page)


@pytest.mark.parametrize(
    "last",
    [
        {"temperature": "37.6"},  # yellow
        {"symptoms": ["cough"]},
        {
            "contact": "suspected",
            "contact_at": "2026-03-01T10:00",
            "contact_place": "食堂",
            "contact_manner": "同桌就餐",
        },
    ],
)
def test_same_as_last_time_is_not_offered_after_an_abnormal_one(
    client, student, point, morning, last
):
    sign_in(client, student.user)
    assert check_in(client, point, last).status_code == 302
    _afternoon(morning)
    page = client.get(point_path(point))
    assert "same_form" not in page.context and "data-same" not in _html(page)


def test_same_as_last_time_needs_todays_temperature_confirmed(client, student, point, morning):
    sign_in(client, student.user)
    check_in(client, point, {"temperature": "36.4"})
    _afternoon(morning)
    path = point_path(point)
    key = client.get(path).context["same_form"].initial["key"]
    refused = client.post(path, {"same": "1", "key": key, "temperature": "36.4"}, **ZH)
    assert refused.status_code == 400
    assert "请确认体温为今日测量值。" in _html(refused)
    assert Checkin.objects.count() == 1
    done = client.post(
        path, {"same": "1", "key": key, "temperature": "36.7", "measured_today": "on"}
    )
    assert done.status_code == 302
    latest = Checkin.objects.order_by("-at").first()
    assert (latest.period, latest.temperature, latest.symptoms, latest.contact) == (
        "afternoon",
        Decimal("36.7"),
        [],
        "none",
    )


def test_same_as_last_time_is_refused_when_it_was_not_offered(client, student, point, morning):
    sign_in(client, student.user)
    check_in(client, point, {"symptoms": ["cough"]})
    _afternoon(morning)
    path = point_path(point)
    key = client.get(path).context["form"].initial["key"]
    response = client.post(
        path, {"same": "1", "key": key, "temperature": "36.5", "measured_today": "on"}
    )
    assert response.status_code == 400 and Checkin.objects.count() == 1


def test_a_second_scan_says_when_and_offers_a_correction(client, student, point, morning):
    sign_in(client, student.user)
    check_in(client, point)
    morning.shift(timedelta(minutes=2))
    path = point_path(point)
    page = client.get(path, **ZH)
    assert page.status_code == 200 and page.context["form"] is None
    assert "您本时段已于 08:00 打卡。" in _html(page)
    assert "?correct=1" in _html(page) and "更正本次打卡" in _html(page)


def test_a_second_submission_without_a_reason_changes_nothing(client, student, point, morning):
    sign_in(client, student.user)
    check_in(client, point)
    morning.shift(timedelta(minutes=2))
    path = point_path(point)
    key = client.get(path + "?correct=1").context["form"].initial["key"]
    # A correction form sent without its reason, and a plain form sent again.
    no_reason = client.post(path, {**GOOD, "key": key, "correcting": "1"})
    assert no_reason.status_code == 400
    assert "correction_reason" in no_reason.context["form"].errors
    plain = client.post(path, {**GOOD, "key": key, "temperature": "36.9"}, **ZH)
    assert plain.status_code == 409 and "您本时段已于 08:00 打卡。" in _html(plain)
    assert Checkin.objects.count() == 1


@pytest.mark.parametrize("seconds", [5, 120])  # from the same scan, or a new one
def test_a_correction_keeps_the_old_row_and_says_why(
    client, student, point, morning, health_officer, seconds
):
    sign_in(client, student.user)
    check_in(client, point, {"temperature": "37.8"})
    morning.shift(timedelta(seconds=seconds))
    path = point_path(point)
    key = client.get(path + "?correct=1").context["form"].initial["key"]
    response = client.post(
        path,
        {**GOOD, "key": key, "correcting": "1", "correction_reason": "体温计未甩，重新测量"},
    )
    assert response.status_code == 302
    old, new = Checkin.objects.order_by("at")
    assert (old.superseded_by, old.temperature, new.temperature) == (
        new,
        Decimal("37.8"),
        Decimal("36.5"),
    )
    assert new.correction_reason == "体温计未甩，重新测量" and new.mac_ok and old.mac_ok
    assert "更正原因：体温计未甩，重新测量" in _html(client.get("/checkins/", **ZH))
    assert "体温计未甩，重新测量" in _html(client.get(response["Location"], **ZH))
    sign_in(client, health_officer)
    history = client.get(f"/checkins/people/{student.pk}/", **ZH)
    assert "更正原因：体温计未甩，重新测量" in _html(history)
