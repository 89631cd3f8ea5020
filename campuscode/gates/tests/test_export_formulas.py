"""The gate-events export (issue 8, hole 4): a person or place named like a formula is
written as inert text; the sheet and the file carry Chinese names."""

import pytest

from campuscode.core.tests.xlsx import TRAP, assert_inert, cells_with, file_names, workbook_of
from conftest import sign_in

from .conftest import code_for, verify

pytestmark = pytest.mark.django_db


def test_a_name_that_looks_like_a_formula_is_exported_as_text(
    client, gate_staff, device_token, main_gate_place, student
):
    student.name = TRAP
    student.save(update_fields=["name"])
    main_gate_place.name = TRAP
    main_gate_place.save(update_fields=["name"])
    verify(client, device_token, code_for(student))
    response = sign_in(client, gate_staff).get("/gates/events/export.xlsx")
    assert response.status_code == 200
    workbook = workbook_of(response)
    assert workbook.sheetnames == ["出入记录"]
    sheet = workbook.active
    traps = cells_with(sheet, "HYPERLINK")
    assert len(traps) == 2  # the place and the person
    for cell in traps:
        assert_inert(cell)
        assert cell.value == "'" + TRAP
    assert sheet.freeze_panes == "A2"
    utf8, fallback = file_names(response)
    assert utf8.startswith("出入记录-") and utf8.endswith(".xlsx")
    assert fallback.startswith("gate-events-") and fallback.endswith(".xlsx")
