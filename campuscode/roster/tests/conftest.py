"""Roster files made on the fly with openpyxl and csv, like a school system exports them."""

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from conftest import make_id_number

HEADERS_ZH = ["学号", "姓名", "身份证号", "学院", "班级", "手机号", "邮箱", "人员类别"]
HEADERS_EN = ["Student ID", "Name", "ID number", "College", "Class", "Mobile", "Email", "Type"]


def student_row(seq: int, *, klass="计科2501班", college="计算机学院", name=None, **changes):
    row = {
        "number": f"2026{seq:04d}",
        "name": name or f"学生{'甲乙丙丁戊己庚辛壬癸'[seq % 10]}{seq}",
        "id": make_id_number(500 + seq, birth="20060315"),
        "college": college,
        "class": klass,
        "phone": f"1391234{seq:04d}",
        "email": f"s{seq}@example.edu.cn",
        "kind": "学生",
    }
    row.update(changes)
    return [row[k] for k in ("number", "name", "id", "college", "class", "phone", "email", "kind")]


def write_xlsx(path: Path, headers, rows, *, title_rows=()) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for line in title_rows:
        sheet.append(line)
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_csv(path: Path, headers, rows, *, encoding="utf-8-sig") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


@pytest.fixture
def xlsx(tmp_path):
    def make(rows, headers=HEADERS_ZH, name="roster.xlsx", **kwargs):
        return write_xlsx(tmp_path / name, headers, rows, **kwargs)

    return make


@pytest.fixture
def csvfile(tmp_path):
    def make(rows, headers=HEADERS_ZH, name="roster.csv", **kwargs):
        return write_csv(tmp_path / name, headers, rows, **kwargs)

    return make
