"""School rules that cannot break the school: checks across rules with clear messages,
and typed values for code (times as datetime.time, windows as (time, time))."""

from datetime import time

import pytest
from django.core.exceptions import ValidationError

from campuscode.audit.models import AuditEntry
from campuscode.core.rules import SPECS, get_setting, set_setting, stored_settings
from conftest import sign_in

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _post(client, sysadmin, **overrides):
    values = {**stored_settings(), **overrides}
    data = {key: str(value) for key, value in values.items() if value is not False}
    return sign_in(client, sysadmin).post("/settings/", data, **ZH)


def _error(response, key) -> str:
    for _section, rows in response.context["sections"]:
        for row in rows:
            if row["spec"].key == key:
                return row["error"] or ""
    raise AssertionError(key)


def test_a_code_lifetime_shorter_than_the_refresh_interval_is_refused(client, sysadmin):
    response = _post(client, sysadmin, code_refresh_seconds=60, code_lifetime_seconds=45)
    assert response.status_code == 400
    message = _error(response, "code_lifetime_seconds")
    assert "45" in message and "60" in message and "闸机" in message
    assert get_setting("code_lifetime_seconds") == 90 and get_setting("code_refresh_seconds") == 30
    assert not AuditEntry.objects.filter(action="core.settings.changed").exists()


def test_the_same_check_holds_for_one_rule_set_alone(sysadmin):
    with pytest.raises(ValidationError):
        set_setting(key="code_refresh_seconds", value=120)  # the validity is 90
    assert get_setting("code_refresh_seconds") == 30


def test_overlapping_morning_and_afternoon_windows_are_refused(client, sysadmin):
    response = _post(
        client,
        sysadmin,
        checkin_morning_staff="07:00-12:30",
        checkin_afternoon_staff="12:00-15:00",
    )
    assert response.status_code == 400
    message = _error(response, "checkin_afternoon_staff")
    assert "12:00-15:00" in message and "07:00-12:30" in message
    assert stored_settings()["checkin_morning_staff"] == "07:00-10:00"


def test_a_reversed_window_is_called_reversed(client, sysadmin):
    response = _post(client, sysadmin, checkin_morning_student="10:00-07:00")
    assert response.status_code == 400
    message = _error(response, "checkin_morning_student")
    assert "前后颠倒" in message and "10:00" in message and "07:00" in message


def test_good_changes_together_are_saved(client, sysadmin):
    response = _post(
        client,
        sysadmin,
        code_refresh_seconds=120,
        code_lifetime_seconds=180,
        checkin_morning_student="06:30-09:00",
        checkin_afternoon_student="09:00-11:00",
    )
    assert response.status_code == 302
    assert (get_setting("code_refresh_seconds"), get_setting("code_lifetime_seconds")) == (120, 180)


def test_code_gets_typed_values(sysadmin):
    assert get_setting("checkin_morning_student") == (time(7, 0), time(10, 0))
    assert get_setting("gate_dorm_curfew_starts") == time(23, 0)
    assert get_setting("isolation_report_times") == (time(8, 0), time(16, 0))
    set_setting(key="checkin_afternoon_other", value="")
    assert get_setting("checkin_afternoon_other") is None
    assert all(
        isinstance(SPECS[key].to_text(value), str) for key, value in stored_settings().items()
    )
