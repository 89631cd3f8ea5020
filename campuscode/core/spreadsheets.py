"""Spreadsheets in and out: the one XLSX/CSV writer every export and the roster template
use, and the one reader for uploaded XLSX/CSV files.

Writing. A cell a spreadsheet program would run as a formula is escaped as OWASP's "CSV
Injection" page recommends: a text cell starting with = + - @, a tab or a carriage return
(and their full-width forms ＝＋－＠, which some programs normalise) gets a single quote in
front. In XLSX the escaped value is then always stored as a text cell (never data type
'f'); in CSV the quote keeps it inert when the file is opened. The quote stays visible, so
the reader sees the value was altered, and it survives copying the value elsewhere.

Reading. An uploaded file may be anything: a zip of an odd version, a truncated or corrupt
workbook, a picture renamed .xlsx. Every reader failure, at opening or halfway through the
rows, becomes `UnreadableFile` with a code the caller shows as one message, never a crash.
"""

import codecs
import csv
import re
import shutil
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from urllib.parse import quote

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
WIDTH_SAMPLE_ROWS = 200  # rows looked at to size the columns (the rest stream through)
MIN_WIDTH, MAX_WIDTH = 6, 50


# --- Writing ----------------------------------------------------------------------------


def escape(value):
    """A cell value that no spreadsheet program will run as a formula."""
    if value is None:
        return ""
    if isinstance(value, str):
        # Control characters are invalid in XLSX (openpyxl would refuse the whole file).
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


@dataclass
class Sheet:
    """One sheet: a header row, then rows (any iterable: a generator streams)."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence] = ()
    widths: Sequence[int | None] = ()  # in characters; guessed from the content where absent
    text_columns: Sequence[int] = ()  # 0-based columns formatted as text ("@")
    freeze_header: bool = True


def sheet_title(text: str) -> str:
    """A valid sheet name: no []:*?/\\, at most 31 characters, never empty."""
    title = re.sub(r"[\[\]:*?/\\]", "-", ILLEGAL_CHARACTERS_RE.sub("", str(text))).strip("' ")
    return title[:31] or "Sheet1"


def _display_width(value) -> int:
    text = str(value) if value is not None else ""
    # Chinese characters take two columns' width in a spreadsheet.
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _widths(sheet: Sheet, sample: list[Sequence]) -> list[float]:
    count = max([len(sheet.headers), *(len(row) for row in sample)])
    widths = []
    for column in range(count):
        given = sheet.widths[column] if column < len(sheet.widths) else None
        if given:
            widths.append(given)
            continue
        cells = [row[column] for row in sample if column < len(row)]
        if column < len(sheet.headers):
            cells.append(sheet.headers[column])
        widest = max((_display_width(escape(cell)) for cell in cells), default=0)
        widths.append(min(max(widest + 2, MIN_WIDTH), MAX_WIDTH))
    return widths


def write_xlsx(sheets: Sequence[Sheet], target) -> None:
    """Write the sheets into `target` (a path or a binary file), streaming the rows:
    memory stays flat however long the export."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        out = workbook.create_sheet(title=sheet_title(sheet.title))
        rows = iter(sheet.rows)
        sample = list(islice(rows, WIDTH_SAMPLE_ROWS))
        # Column formats must be set before the first row is written (write-only mode).
        for column, width in enumerate(_widths(sheet, sample)):
            dimension = out.column_dimensions[get_column_letter(column + 1)]
            dimension.width = width
            if column in sheet.text_columns:
                # An 18-digit ID typed into a number cell loses its last digits in Excel.
                dimension.number_format = "@"
        if sheet.freeze_header:
            out.freeze_panes = "A2"
        header = []
        for text in sheet.headers:
            cell = WriteOnlyCell(out, value=escape(str(text)))
            cell.font = bold
            header.append(cell)
        out.append(header)
        for row in chain(sample, rows):
            out.append([escape(value) for value in row])
    if not sheets:
        workbook.create_sheet(title="Sheet1")
    workbook.save(target)


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    with tempfile.TemporaryFile() as handle:
        write_xlsx(sheets, handle)
        handle.seek(0)
        return handle.read()


def stamp() -> str:
    """The local time for a download's file name, e.g. 20260302-0800."""
    return timezone.localtime().strftime("%Y%m%d-%H%M")


def content_disposition(filename: str, ascii_filename: str = "") -> str:
    """`attachment` with the name in UTF-8 (RFC 6266 / RFC 5987, which every current browser
    reads) and an ASCII name for the few clients that do not."""
    stem, dot, extension = (ascii_filename or filename).rpartition(".")
    if not dot:
        stem, extension = extension, ""
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "download"
    fallback = f"{stem}.{extension}" if extension.isascii() and extension.isalnum() else stem
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def xlsx_response(*, filename: str, ascii_filename: str, sheets: Sequence[Sheet]) -> FileResponse:
    """Write the sheets into a temporary file (memory stays flat) and send it."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it when sent
    write_xlsx(sheets, handle)
    handle.seek(0)
    response = FileResponse(handle, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition(filename, ascii_filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class _Echo:
    def write(self, value):
        return value


def csv_response(
    *, filename: str, ascii_filename: str, headers: Sequence[str], rows: Iterable[Sequence]
) -> StreamingHttpResponse:
    """A streamed UTF-8 CSV with a byte-order mark, so Excel opens the Chinese text right."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"
        yield writer.writerow([escape(str(h)) for h in headers])
        for row in rows:
            yield writer.writerow([escape(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(filename, ascii_filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Reading ----------------------------------------------------------------------------


class UnreadableFile(Exception):
    """The file cannot be read as a table; `code` says why (unreadable, old_excel)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class Table:
    rows: Iterator[tuple[int, tuple]]  # (row number as the user sees it, cells)
    total: int = 0  # an estimate of the rows, for progress; 0 when unknown
    kind: str = field(default="xlsx")


def sniff_kind(path: Path) -> str:
    with open(path, "rb") as handle:
        start = handle.read(8)
    if start.startswith(b"PK\x03\x04"):
        return "xlsx"
    if start.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"


def _is_reader_failure(error: BaseException) -> bool:
    # python-calamine is Rust: a panic inside it arrives as pyo3's PanicException, which
    # derives from BaseException so that `except Exception` does not catch it.
    return isinstance(error, Exception) or type(error).__name__ == "PanicException"


def _guarded(rows: Iterable[tuple[int, tuple]]) -> Iterator[tuple[int, tuple]]:
    """The rows, with any reader failure halfway through (a corrupt deflate stream, broken
    sheet XML) turned into UnreadableFile: one message for the user, not a crash."""
    try:
        yield from rows
    except UnreadableFile:
        raise
    except BaseException as error:
        if not _is_reader_failure(error):
            raise
        raise UnreadableFile("unreadable") from error


@contextmanager
def open_table(source):
    """Yield a Table over the first sheet (XLSX) or the file (CSV). `source` is a path or
    an uploaded file. Raises UnreadableFile."""
    if isinstance(source, str | Path):
        with _open_path(Path(source)) as table:
            yield table
        return
    if hasattr(source, "temporary_file_path"):
        with _open_path(Path(source.temporary_file_path())) as table:
            yield table
        return
    with tempfile.NamedTemporaryFile(suffix=".upload") as copy:
        source.seek(0)
        shutil.copyfileobj(source, copy)
        copy.flush()
        with _open_path(Path(copy.name)) as table:
            yield table


@contextmanager
def _open_path(path: Path):
    kind = sniff_kind(path)
    if kind == "xls":
        raise UnreadableFile("old_excel")
    opener = _open_xlsx if kind == "xlsx" else _open_csv
    with opener(path) as table:
        table.rows = _guarded(table.rows)
        table.kind = kind
        yield table


# python-calamine (Rust) reads a sheet ten times faster than openpyxl, but holds the whole
# sheet in memory (about 0.8 KB a row: +42 MB at 50,000 rows, bench/README.md). Up to this
# much sheet XML it is used; a larger file is streamed by openpyxl, slower but flat.
CALAMINE_MAX_XML_BYTES = 40 * 1024 * 1024


@contextmanager
def _open_xlsx(path: Path):
    if _xml_bytes(path) <= CALAMINE_MAX_XML_BYTES:
        try:
            table = _calamine_table(path)
        except UnreadableFile:
            table = None  # openpyxl may still read what calamine refuses; it decides
        if table is not None:
            yield table
            return
    with _openpyxl_table(path) as table:
        yield table


def _xml_bytes(path: Path) -> int:
    """The unpacked size of the sheets and shared strings, from the zip's directory."""
    try:
        with zipfile.ZipFile(path) as archive:
            return sum(
                info.file_size
                for info in archive.infolist()
                if info.filename.startswith(("xl/worksheets/", "xl/sharedStrings"))
            )
    except Exception as error:
        # Python's zip reader refuses a version it does not know (NotImplementedError),
        # a broken directory (BadZipFile) and more; openpyxl uses the same reader.
        raise UnreadableFile("unreadable") from error


def _calamine_table(path: Path) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sheet.iter_rows()
        start_col = sheet.start[1] if sheet.start else 0
        total = sheet.end[0] + 1 if sheet.end else 0
    except BaseException as error:
        if not _is_reader_failure(error):
            raise
        raise UnreadableFile("unreadable") from error
    # Rows come from the sheet's first row on; columns from the first used column, so
    # the blank columns before it are put back: positions must match the letters.
    pad = [None] * start_col

    def numbered():
        for number, cells in enumerate(rows, 1):
            yield number, tuple(pad + cells) if pad else tuple(cells)

    return Table(numbered(), total)


@contextmanager
def _openpyxl_table(path: Path):
    from openpyxl import load_workbook

    # openpyxl warns about styles and extensions it skips; they do not change the values.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
        except Exception as error:  # a broken zip or sheet: the user gets one message
            raise UnreadableFile("unreadable") from error
    try:

        def rows():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield from enumerate(sheet.iter_rows(min_row=1, values_only=True), 1)

        yield Table(rows(), sheet.max_row or 0)
    finally:
        workbook.close()


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes, else GB18030: the Chinese
    edition of Excel saves 'CSV' in GBK, which GB18030 contains."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


def _count_lines(path: Path) -> int:
    count = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return count


@contextmanager
def _open_csv(path: Path):
    encoding = _detect_encoding(path)
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        sample = handle.read(8192)
        handle.seek(0)
        if "\x00" in sample:
            raise UnreadableFile("unreadable")
        first_line = sample.split("\n", 1)[0]
        # Excel writes commas; "Unicode text" exports use tabs; some locales semicolons.
        delimiter = max(",\t;", key=first_line.count)
        reader = csv.reader(handle, delimiter=delimiter)
        yield Table(((n, tuple(cells)) for n, cells in enumerate(reader, 1)), _count_lines(path))
