"""Health status (R2.1, R2.3): the latest check-in colours every new campus code."""

import re

import pytest

from campuscode.audit.models import AuditEntry
from campuscode.checkins.models import ManualStatus
from campuscode.codes.tokens import verify_token
from campuscode.core.rules import set_setting
from conftest import sign_in

from .conftest import check_in

pytestmark = pytest.mark.django_db


def _code(client):
    page = client.get("/code/").content.decode()
    colour = re.search(r'data-colour="(\w+)"', page).group(1)
    token = re.search(r'data-token="([^"]+)"', page).group(1)
    return colour, verify_token(token).colour, page


@pytest.mark.parametrize(
    ("answers", "colour"),
    [
        ({}, "green"),
        ({"temperature": "37.2"}, "green"),
        ({"temperature": "37.3"}, "yellow"),
        ({"symptoms": ["fatigue"]}, "yellow"),
        (
            {
                "contact": "suspected",
                "contact_at": "2026-03-01T09:00",
                "contact_place": "车站",
                "contact_manner": "同车",
            },
            "yellow",
        ),
        (
            {
                "contact": "confirmed",
                "contact_at": "2026-03-01T09:00",
                "contact_place": "车站",
                "contact_manner": "同车",
            },
            "red",
        ),
        ({"temperature": "38.1", "symptoms": ["breathing"]}, "red"),
        ({"symptoms": ["fever", "breathing"]}, "red"),
        ({"symptoms": ["breathing"]}, "yellow"),
    ],
)
def test_the_rules_turn_answers_into_a_colour_on_the_code(
    client, student, point, morning, answers, colour
):
    sign_in(client, student.user)
    check_in(client, point, answers)
    shown, in_token, _page = _code(client)
    assert (shown, in_token) == (colour, colour)


def test_the_reason_is_shown_in_plain_words(client, student, point, morning):
    sign_in(client, student.user)
    check_in(client, point, {"temperature": "37.9"})
    with_english = client.get("/code/", HTTP_ACCEPT_LANGUAGE="en")
    assert "37.9" in with_english.content.decode()


def test_the_threshold_is_a_school_setting(client, student, point, morning):
    set_setting(key="health_yellow_temperature", value=37.5)
    sign_in(client, student.user)
    check_in(client, point, {"temperature": "37.4"})
    assert _code(client)[0] == "green"


def test_a_correction_in_the_window_decides_the_colour(client, student, point, morning):
    sign_in(client, student.user)
    check_in(client, point, {"temperature": "37.8"})
    morning.shift(40)
    check_in(client, point, {"temperature": "36.6"}, correction="重新测量")
    assert _code(client)[0] == "green"


def test_the_health_office_sets_and_clears_a_status_with_an_audited_reason(
    client, student, health_officer, point, morning
):
    sign_in(client, health_officer)
    response = client.post(
        f"/checkins/people/{student.pk}/", {"colour": "red", "reason": "密接，居家观察"}
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="checkins.status.set", subject=student).exists()
    sign_in(client, student.user)
    colour, in_token, page = _code(client)
    assert (colour, in_token) == ("red", "red") and "密接，居家观察" in page
    sign_in(client, health_officer)
    client.post(f"/checkins/people/{student.pk}/", {"colour": "clear", "reason": "观察期满"})
    assert not ManualStatus.objects.filter(cleared_at__isnull=True).exists()
    assert AuditEntry.objects.filter(action="checkins.status.cleared", subject=student).exists()
    sign_in(client, student.user)
    assert _code(client)[0] == "green"


def test_a_worse_checkin_after_a_manual_green_wins(client, student, health_officer, point, morning):
    sign_in(client, health_officer)
    client.post(f"/checkins/people/{student.pk}/", {"colour": "green", "reason": "复核正常"})
    morning.shift(60)
    sign_in(client, student.user)
    check_in(client, point, {"temperature": "38.0"})
    assert _code(client)[0] == "yellow"


def test_only_the_health_office_sets_a_status(
    client, student, adviser, sysadmin, outsider, point, morning
):
    for user in (adviser,):  # an adviser may read the history, not set a status
        sign_in(client, user)
        assert client.get(f"/checkins/people/{student.pk}/").status_code == 200
        assert (
            client.post(
                f"/checkins/people/{student.pk}/", {"colour": "red", "reason": "x"}
            ).status_code
            == 404
        )
    for user in (sysadmin, outsider):  # the IT admin has no health capability
        sign_in(client, user)
        assert client.get(f"/checkins/people/{student.pk}/").status_code == 403
    assert not ManualStatus.objects.exists()


def test_reading_someones_history_is_audited(client, student, adviser, point, morning):
    sign_in(client, student.user)
    check_in(client, point)
    sign_in(client, adviser)
    page = client.get(f"/checkins/people/{student.pk}/")
    assert page.status_code == 200 and "36.5" in page.content.decode()
    assert AuditEntry.objects.filter(
        action="checkins.history.viewed", subject=student, actor=adviser
    ).exists()


def test_an_adviser_cannot_read_someone_outside_the_class(client, other_student, adviser):
    sign_in(client, adviser)
    assert client.get(f"/checkins/people/{other_student.pk}/").status_code == 404
