"""The downloads of this app: a person's data (XLSX, JSON) and the processing register.

Cells starting like a formula are written as text with a leading apostrophe, so a name
or a reason typed as "=HYPERLINK(...)" cannot act when the file is opened."""

import io
import json
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _sheet_title(title: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ , unique in the workbook.
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)[:31]
    name, n = clean, 2
    while name in used:
        name = f"{clean[:28]} {n}"
        n += 1
    used.add(name)
    return name


def xlsx_response(
    *, filename: str, sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]
) -> HttpResponse:
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=_sheet_title(title, used))
        sheet.append([escape_cell(h) for h in headers])
        for row in rows:
            sheet.append([escape_cell(value) for value in row])
    # One person's data and the register are small: built in memory, sent in one piece.
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


def my_data_xlsx(sections, *, filename: str) -> HttpResponse:
    return xlsx_response(
        filename=filename,
        sheets=((section.title, section.labels, section.values()) for section in sections),
    )


def my_data_json(sections, *, filename: str, person_label: str) -> HttpResponse:
    body = {
        "exported_at": timezone.localtime().isoformat(timespec="seconds"),
        "person": person_label,
        "sections": {
            section.key: {
                "title": section.title,
                "count": section.count,
                "columns": dict(section.columns),
                "rows": section.rows,
            }
            for section in sections
        },
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response
