"""Spreadsheet exports: streamed XLSX (openpyxl write_only) and CSV, with masked values.

Cells that a spreadsheet would run as a formula (=, +, -, @ at the start) are written as
text, so a name typed as "=HYPERLINK(...)" in a roster cannot act when the file is opened.
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

from campuscode.people.models import Person

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_response(
    *, filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence]
) -> FileResponse:
    """Write rows into a temporary file one by one (memory stays flat) and send it."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(headers))
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it when sent
    workbook.save(handle)
    handle.seek(0)
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
    response["Cache-Control"] = "no-store"
    return response


class _Echo:
    def write(self, value):
        return value


def csv_response(
    *, filename: str, headers: Sequence[str], rows: Iterable[Sequence]
) -> StreamingHttpResponse:
    """A streamed UTF-8 CSV with a byte-order mark, so Excel opens the Chinese text right."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"
        yield writer.writerow(list(headers))
        for row in rows:
            yield writer.writerow([safe_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def people_xlsx(people) -> FileResponse:
    """The filtered people list; phone and ID number masked as on the page."""
    headers = [
        _("Number"),
        pgettext("person", "Name"),
        _("Kind"),
        _("Org unit"),
        _("Mobile phone"),
        _("ID number"),
        _("State"),
        _("Account claimed"),
    ]
    yes, no = _("Yes"), _("No")
    kinds, states = dict(Person.Kind.choices), dict(Person.State.choices)

    def rows():
        for person in people.iterator(chunk_size=2000):
            yield [
                person.number,
                person.name,
                str(kinds.get(person.kind, person.kind)),
                person.org_unit.label,
                person.masked_phone,
                person.masked_id,
                str(states.get(person.state, person.state)),
                yes if person.claimed_at else no,
            ]

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(
        filename=f"people-{stamp}.xlsx", title=_("People"), headers=headers, rows=rows()
    )
