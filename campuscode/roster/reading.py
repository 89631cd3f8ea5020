"""Reading a roster file row by row, XLSX or CSV (see _open_xlsx for large XLSX files).

The header row is found among the first rows by the names school information systems
export (学号, 姓名, 身份证号 …) or their English equivalents.
"""

import codecs
import csv
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from openpyxl.utils import get_column_letter

HEADER_SEARCH_ROWS = 10
REQUIRED_FIELDS = ("number", "name", "id_number", "college")

ALIASES: dict[str, list[str]] = {
    field: names.split()
    for field, names in {
        "number": "学号 工号 学工号 学号/工号 工号/学号 编号 人员编号 职工号 教工号 学籍号 number no"
        " studentid studentno studentnumber staffid staffno staffnumber employeeid employeeno"
        " schoolnumber personnumber",
        "name": "姓名 名字 name fullname personname",
        "id_number": "身份证号 身份证号码 身份证 证件号 证件号码 公民身份号码 身份证件号 身份证件号码"
        " idnumber idno idcard idcardnumber idcardno nationalid identitynumber identitycard"
        " documentnumber",
        "college": "学院 部门 院系 学院/部门 部门/学院 院系/部门 所在学院 所在部门 所在院系 单位"
        " 所在单位 college department dept faculty collegedepartment unit",
        "class_name": "班级 行政班 行政班级 班级名称 所在班级 class classname",
        "phone": "手机号 手机 手机号码 移动电话 联系电话 电话 联系方式 mobile mobilephone"
        " mobilenumber phone phonenumber cellphone tel telephone",
        "email": "邮箱 电子邮箱 电子邮件 邮件 email mail emailaddress",
        "kind": "人员类别 类别 人员类型 类型 身份 人员身份 kind type category personkind persontype",
        "campus": "校区 所在校区 campus",
        "state": "状态 人员状态 在校状态 在职状态 学籍状态 state status",
        "valid_until": "有效期至 有效期 截止日期 到期日期 有效截止日期 validuntil validto expires"
        " expiry expirydate enddate",
    }.items()
}


def _header_key(text) -> str:
    key = unicodedata.normalize("NFKC", str(text or "")).lower()
    key = re.sub(r"\(.*?\)|\[.*?\]|[*:]", "", key)  # '手机号(必填)*' → '手机号'
    return re.sub(r"[\s_.\-]", "", key)


ALIAS_INDEX = {_header_key(alias): field for field, names in ALIASES.items() for alias in names}


def field_for_header(text) -> str | None:
    key = _header_key(text)
    if not key:
        return None
    if key in ALIAS_INDEX:
        return ALIAS_INDEX[key]
    for part in key.split("/"):  # '学院/部门名称' style combinations
        if part in ALIAS_INDEX:
            return ALIAS_INDEX[part]
    return None


@dataclass
class Header:
    row: int
    index: dict[str, int]  # field → column position
    headers: dict[str, str]  # field → header text as in the file
    ignored: list[str]

    @property
    def missing(self) -> list[str]:
        return [field for field in REQUIRED_FIELDS if field not in self.index]

    def columns(self) -> dict[str, dict]:
        return {
            field: {"header": self.headers[field], "letter": get_column_letter(position + 1)}
            for field, position in self.index.items()
        }


def read_header(cells: tuple, row: int) -> Header | None:
    index: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for position, cell in enumerate(cells):
        field = field_for_header(cell)
        if field and field not in index:
            index[field] = position
            headers[field] = unicodedata.normalize("NFKC", str(cell)).strip()
        elif cell not in (None, ""):
            ignored.append(str(cell).strip())
    if "number" in index and "name" in index:
        return Header(row, index, headers, ignored)
    return None


class UnreadableFile(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class Table:
    rows: Iterator[tuple[int, tuple]]  # (row number as the user sees it, cells)
    total: int  # an estimate of the rows, for progress; 0 when unknown


def sniff_kind(path: Path) -> str:
    with open(path, "rb") as handle:
        start = handle.read(8)
    if start.startswith(b"PK\x03\x04"):
        return "xlsx"
    if start.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"


@contextmanager
def open_table(path: Path):
    """Yield a Table over the first sheet (XLSX) or the file (CSV)."""
    kind = sniff_kind(path)
    if kind == "xls":
        raise UnreadableFile("old_excel")
    if kind == "xlsx":
        with _open_xlsx(path) as table:
            yield table
    else:
        with _open_csv(path) as table:
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
    except (zipfile.BadZipFile, OSError):
        return 0  # the readers below say what is wrong with it


def _calamine_table(path: Path) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sheet.iter_rows()
        start_col = sheet.start[1] if sheet.start else 0
        total = sheet.end[0] + 1 if sheet.end else 0
    except Exception as error:
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
