import pytest

from campuscode.audit.models import AuditEntry
from campuscode.core.rules import SPECS, get_setting, stored_settings
from conftest import sign_in

pytestmark = pytest.mark.django_db


def _form(**overrides):
    values = stored_settings()
    values.update(overrides)
    return {key: str(value) for key, value in values.items() if value is not False}


def test_the_system_admin_changes_a_rule_and_it_is_audited(client, sysadmin, tree):
    response = sign_in(client, sysadmin).post("/settings/", _form(code_refresh_seconds=20))
    assert response.status_code == 302
    assert get_setting("code_refresh_seconds") == 20
    entry = AuditEntry.objects.get(action="core.settings.changed")
    assert (
        entry.data == {"school": tree.school.pk, "code_refresh_seconds": {"from": 30, "to": 20}}
        and entry.actor == sysadmin
    )


def test_the_my_code_page_follows_the_changed_interval(client, sysadmin, student):
    sign_in(client, sysadmin).post("/settings/", _form(code_refresh_seconds=15))
    page = sign_in(client, student.user).get("/code/").content.decode()
    assert 'hx-trigger="every 15s"' in page


@pytest.mark.parametrize("bad", ["abc", "5", "100000", ""])
def test_a_bad_value_changes_nothing(client, sysadmin, bad):
    response = sign_in(client, sysadmin).post(
        "/settings/", _form(code_refresh_seconds=bad, session_idle_minutes=45)
    )
    assert response.status_code == 400
    assert get_setting("code_refresh_seconds") == 30 and get_setting("session_idle_minutes") == 30
    assert not AuditEntry.objects.filter(action="core.settings.changed").exists()


def test_only_the_system_admin_edits_rules(client, adviser, student, outsider):
    for user in (adviser, student.user, outsider):
        assert sign_in(client, user).get("/settings/").status_code == 403
        assert (
            sign_in(client, user).post("/settings/", _form(code_refresh_seconds=20)).status_code
            == 403
        )
    assert get_setting("code_refresh_seconds") == 30


@pytest.mark.parametrize(
    ("key", "raw", "stored"),
    [
        ("gate_dorm_curfew_starts", "２３：００".replace("：", ":"), "23:00"),
        ("gate_dorm_curfew_starts", "7:05", "07:05"),
        ("isolation_report_times", "16:00, 8:00", "08:00,16:00"),
    ],
)
def test_time_rules_are_normalised(client, sysadmin, key, raw, stored):
    assert sign_in(client, sysadmin).post("/settings/", _form(**{key: raw})).status_code == 302
    assert stored_settings()[key] == stored


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("gate_dorm_curfew_starts", "25:00"),
        ("gate_dorm_curfew_starts", "late"),
        ("isolation_report_times", ""),
    ],
)
def test_bad_times_are_refused(client, sysadmin, key, bad):
    before = get_setting(key)
    assert sign_in(client, sysadmin).post("/settings/", _form(**{key: bad})).status_code == 400
    assert get_setting(key) == before


def test_the_page_shows_every_rule_in_sections(client, sysadmin):
    page = sign_in(client, sysadmin).get("/settings/").content.decode()
    for key in SPECS:
        assert f'name="{key}"' in page
    assert page.count("settings-section") >= 5
