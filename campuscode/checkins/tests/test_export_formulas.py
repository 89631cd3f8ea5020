"""The check-in list and points exports (issue 8, hole 4): names that look like formulas are
written as inert text; sheets and files carry Chinese names."""

import pytest
from django.test import Client

from campuscode.core.tests.xlsx import TRAP, assert_inert, cells_with, file_names, workbook_of
from campuscode.people.models import Role
from conftest import sign_in

from .conftest import check_in

pytestmark = pytest.mark.django_db


def test_the_check_in_list_exports_a_formula_like_name_and_point_as_text(
    client, adviser, student, point, morning
):
    student.name = TRAP
    student.save(update_fields=["name"])
    point.name = "＋1+1"  # a full-width plus: some programs read it as a formula too
    point.save(update_fields=["name"])
    check_in(sign_in(Client(), student.user), point)
    response = sign_in(client, adviser).get("/checkins/lists/export.xlsx?show=all")
    workbook = workbook_of(response)
    sheet = workbook.active
    assert sheet.title.endswith("上午")
    [name] = cells_with(sheet, "HYPERLINK")
    [place] = cells_with(sheet, "1+1")
    for cell in (name, place):
        assert_inert(cell)
    assert place.value == "'＋1+1"
    utf8, fallback = file_names(response)
    assert utf8.startswith("打卡记录") and fallback.startswith("checkins-")


def test_the_points_export_writes_a_formula_like_name_as_text(client, tree, point):
    point.building = "@SUM(A1)"
    point.save(update_fields=["building"])
    admin = tree.account("admin", (Role.SYSTEM_ADMIN, tree.school))
    response = sign_in(client, admin).get("/checkins/points/export.xlsx")
    workbook = workbook_of(response)
    assert workbook.sheetnames == ["打卡点"]
    [cell] = cells_with(workbook.active, "SUM")
    assert_inert(cell)
    assert file_names(response) == ("打卡点.xlsx", "checkin-points.xlsx")
