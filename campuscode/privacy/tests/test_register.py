"""The processing register (PIPL Art. 55–56): generated from the fields, the roles and
the settings; for the system admin, the security admin, the auditor and supervision."""

import io

import pytest
from openpyxl import load_workbook

from campuscode.core.rules import set_setting
from campuscode.people.models import Role
from conftest import sign_in

pytestmark = pytest.mark.django_db


def rows(response) -> dict:
    return {row["key"]: row for row in response.context["rows"]}


def test_it_is_generated_from_roles_fields_and_settings(client, tree):
    auditor = tree.account("auditor", (Role.AUDITOR, tree.school))
    sign_in(client, auditor)
    response = client.get("/privacy/register/")
    assert response.status_code == 200
    health = rows(response)["checkins"]
    # Who: the roles holding "view health check-ins", by their Chinese names.
    for role in ("班主任", "院系管理员", "校医院", "督导组"):
        assert role in health["who"]
    assert "系统管理员" not in health["who"]  # separation of duties
    assert "体温" in health["collected"]  # the field's own label
    assert "180" in health["kept"]
    assert "R4" not in response.content.decode()  # no requirement ids in what users read

    set_setting(key="privacy_retention_days", value=365)
    set_setting(key="privacy_gate_retention_days", value=90)
    response = client.get("/privacy/register/")
    assert "365" in rows(response)["checkins"]["kept"]
    assert "90" in rows(response)["gates"]["kept"]


def test_it_downloads_as_a_chinese_spreadsheet(client, sysadmin):
    sign_in(client, sysadmin)
    response = client.get("/privacy/register/register.xlsx")
    assert response.status_code == 200
    assert "filename*=utf-8''%E4%B8%AA%E4%BA%BA" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["个人信息处理登记表"]
    header = [c.value for c in next(sheet.iter_rows())]
    assert header == ["个人信息类别", "收集的内容", "原因", "可查看人员", "保存期限"]
    assert sheet.max_row == 13


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.SYSTEM_ADMIN, 200),
        (Role.SECURITY_ADMIN, 200),
        (Role.AUDITOR, 200),
        (Role.SUPERVISION, 200),
        (Role.CLASS_ADVISER, 403),
        (Role.HEALTH_OFFICE, 403),
        (Role.HR, 403),
    ],
)
def test_who_may_open_it(client, tree, role, status):
    sign_in(client, tree.account(f"u-{role}", (role, tree.school)))
    assert client.get("/privacy/register/").status_code == status
    assert client.get("/privacy/register/register.xlsx").status_code == status


def test_an_outsider_may_not(client, outsider):
    sign_in(client, outsider)
    assert client.get("/privacy/register/").status_code == 403
