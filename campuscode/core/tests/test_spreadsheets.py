"""The one spreadsheet writer and reader (issue 8): formula escaping, names, layout, and
an unreadable upload turned into one clear error."""

import io
import struct
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from campuscode.core.spreadsheets import (
    Sheet,
    UnreadableFile,
    content_disposition,
    escape,
    open_table,
    xlsx_bytes,
)

from .xlsx import TRAP, assert_inert, file_names, workbook_of


@pytest.mark.parametrize(
    "value",
    [TRAP, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1+1", "＋1", "－1", "＠SUM(A1)"],
)
def test_it_escapes_every_formula_start_with_a_single_quote(value):
    assert escape(value) == "'" + value
    sheet = load_workbook(io.BytesIO(xlsx_bytes([Sheet("表", ["名称"], [[value]])]))).active
    assert_inert(sheet["A2"])


@pytest.mark.parametrize("value", ["张小伟", "计科2501班", 42, -3.5, "a=b", " =1"])
def test_it_leaves_other_values_alone(value):
    assert escape(value) == value


def test_it_drops_control_characters_xlsx_cannot_hold():
    assert escape("张\x07小伟\x00") == "张小伟"


def test_it_writes_chinese_sheet_names_a_frozen_bold_header_and_sane_widths():
    data = xlsx_bytes(
        [
            Sheet("出入记录: 南门/北门", ["时间", "姓名"], [["2026-03-02 08:00", "张" * 80]]),
            Sheet("身份证", ["身份证号"], [], text_columns=[0]),
        ]
    )
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["出入记录- 南门-北门", "身份证"]
    first = workbook["出入记录- 南门-北门"]
    assert first.freeze_panes == "A2" and first["A1"].font.b
    assert 8 <= first.column_dimensions["A"].width <= 50
    assert first.column_dimensions["B"].width == 50  # capped
    assert workbook["身份证"].column_dimensions["A"].number_format == "@"


def test_the_download_name_is_utf8_with_an_ascii_fallback():
    header = content_disposition("出入记录-20260302-0800.xlsx", "gate-events-20260302-0800.xlsx")
    assert header == (
        'attachment; filename="gate-events-20260302-0800.xlsx"; '
        "filename*=UTF-8''%E5%87%BA%E5%85%A5%E8%AE%B0%E5%BD%95-20260302-0800.xlsx"
    )
    assert 'filename="download.xlsx"' in content_disposition("名单.xlsx")


def test_the_roster_template_has_chinese_names_and_text_id_columns(client, sysadmin):
    from conftest import sign_in

    response = sign_in(client, sysadmin).get("/roster/template.xlsx")
    assert response.status_code == 200
    workbook = workbook_of(response)
    assert workbook.sheetnames == ["名单", "说明"]
    roster = workbook["名单"]
    assert roster["A1"].value == "学号/工号" and roster.freeze_panes == "A2"
    assert roster.column_dimensions["C"].number_format == "@"  # 身份证号
    assert file_names(response) == ("名单导入模板.xlsx", "roster-template.xlsx")


# --- Reading ----------------------------------------------------------------------------


def a_workbook() -> bytes:
    workbook = Workbook()
    workbook.active.append(["学号", "姓名"])
    workbook.active.append(["20260001", "张小伟"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def odd_zip_version(data: bytes) -> bytes:
    """The same workbook with 'version needed to extract' 9.9 in every header: Python's zip
    reader (and so openpyxl) refuses it with NotImplementedError."""
    data = bytearray(data)
    for signature, offset in ((b"PK\x01\x02", 6), (b"PK\x03\x04", 4)):
        at = 0
        while (at := data.find(signature, at)) != -1:
            struct.pack_into("<H", data, at + offset, 99)
            at += 4
    return bytes(data)


def broken_sheet(data: bytes) -> bytes:
    """A zip that opens, with the sheet's XML cut in the middle."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                content = content[: len(content) // 2]
            target.writestr(info, content)
    return out.getvalue()


UNREADABLE = {
    "odd zip version": lambda: odd_zip_version(a_workbook()),
    "corrupt zip": lambda: b"PK\x03\x04" + b"\x00" * 200,
    "truncated": lambda: a_workbook()[:1500],
    "broken sheet": lambda: broken_sheet(a_workbook()),
    "a picture": lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
}


@pytest.mark.parametrize("make", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_unreadable_file_raises_one_clear_error(tmp_path, make):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(make())
    with pytest.raises(UnreadableFile) as raised, open_table(path) as table:
        list(table.rows)
    assert raised.value.code == "unreadable"


def test_it_reads_a_workbook_from_a_path_and_from_an_upload(tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    path = tmp_path / "roster.xlsx"
    path.write_bytes(a_workbook())
    with open_table(path) as table:
        assert [cells for _n, cells in table.rows] == [("学号", "姓名"), ("20260001", "张小伟")]
    with open_table(SimpleUploadedFile("r.xlsx", a_workbook())) as table:
        assert len(list(table.rows)) == 2
