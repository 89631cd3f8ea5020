"""The people export (issue 8, hole 4): formula-like names in every form are inert text;
the sheet and the file carry Chinese names."""

import pytest

from campuscode.core.tests.xlsx import TRAP, assert_inert, cells_with, file_names, workbook_of
from conftest import sign_in

pytestmark = pytest.mark.django_db


def test_formula_like_names_are_exported_as_text_under_chinese_names(client, tree, sysadmin):
    for number, name in (("S1", TRAP), ("S2", "＠SUM(A1)"), ("S3", "-1+2")):
        tree.person(name, tree.cs_2501, number=number, account=False)
    response = sign_in(client, sysadmin).get("/people/export.xlsx")
    workbook = workbook_of(response)
    assert workbook.sheetnames == ["人员名单"]
    traps = [c for text in ("HYPERLINK", "SUM", "1+2") for c in cells_with(workbook.active, text)]
    assert len(traps) == 3
    for cell in traps:
        assert_inert(cell)
    utf8, fallback = file_names(response)
    assert utf8.startswith("人员名单-") and fallback.startswith("people-")
