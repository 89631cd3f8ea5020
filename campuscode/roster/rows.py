"""One roster row: from raw cells to normalised values and a list of problems.

Pure functions, no database: the chunk checks in services.py add what needs queries
(existing people, ID numbers in use, the importer's scope).
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from campuscode.people.models import Person, hash_id_number
from campuscode.people.services import (
    checksum_char,
    normalise_name,
    normalise_text,
    validate_id_number,
    validate_phone,
)
from campuscode.roster.models import RowProblem

NUMBER_RE = re.compile(r"[0-9A-Za-z._\-]+")
SCIENTIFIC_RE = re.compile(r"\d(\.\d+)?E[+-]?\d+", re.IGNORECASE)
# Excel keeps 15 significant digits: a longer number typed into a cell is already cut.
EXACT_DIGITS = 10**15

MAX_LENGTH = {
    "number": 32,
    "name": 64,
    "college": 100,
    "class_name": 100,
    "campus": 100,
    "phone": 20,
    "email": 254,
}


def _plain(value) -> bool:
    """True for text that normalise_text would return unchanged: no spaces or other
    separators or controls (str.isprintable), already in NFKC. Most cells of a roster
    are; for them the regular expressions and the copy are skipped."""
    return (
        value.__class__ is str
        and value.isprintable()
        and " " not in value
        and unicodedata.is_normalized("NFKC", value)
    )


def fast_normalise_text(value) -> str:
    return value if _plain(value) else normalise_text(value)


def fast_normalise_name(value) -> str:
    return value if _plain(value) else normalise_name(value)


def _key(value) -> str:
    return normalise_text(value).replace(" ", "").lower()


def _values(kind: str, names: str) -> dict[str, str]:
    return {_key(name): kind for name in names.split()}


KIND_VALUES = {
    **_values(
        Person.Kind.STUDENT,
        "学生 本科生 研究生 硕士研究生 博士研究生 专科生 留学生 student undergraduate"
        " postgraduate graduate",
    ),
    **_values(
        Person.Kind.STAFF,
        "教职工 教职员工 教师 老师 职工 教工 员工 行政人员 staff teacher faculty employee",
    ),
    **_values(
        Person.Kind.TEMPORARY,
        "临时工 临时人员 外包 外包人员 合同工 劳务派遣 物业 temporary temp temporaryworker"
        " contractor worker",
    ),
    **_values(Person.Kind.VISITOR, "访客 来访人员 来访 外来人员 visitor guest"),
}
STATE_VALUES = {
    **_values(Person.State.ACTIVE, "在校 在职 在读 正常 有效 启用 active normal enabled"),
    **_values(Person.State.SUSPENDED, "停用 暂停 冻结 休学 suspended inactive disabled"),
    **_values(Person.State.LEFT, "离校 离职 毕业 已毕业 退学 退休 注销 left graduated retired"),
}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


@dataclass
class Issue:
    field: str
    code: str
    params: dict = field(default_factory=dict)


@dataclass
class ParsedRow:
    row: int
    number: str = ""
    name: str = ""
    id_hash: str = ""
    id_last4: str = ""
    college: str = ""
    class_name: str = ""
    campus: str = ""
    phone: str = ""
    email: str = ""
    kind: str = ""
    state: str = ""
    valid_until: date | None = None
    digest: str = ""
    issues: list[Issue] = field(default_factory=list)
    target: object = None  # units.Target once the unit is resolved

    def problem(self, field_name: str, code: str, **params) -> None:
        self.issues.append(Issue(field_name, code, params))

    def has_issue(self, *fields: str) -> bool:
        return any(issue.field in fields for issue in self.issues)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def id_problem(text: str) -> str:
    """The reason code for an ID number `validate_id_number` refused."""
    if re.fullmatch(r"\d{17}[\dX]", text):
        if checksum_char(text[:17]) != text[17]:
            return RowProblem.ID_CHECK_DIGIT
        return RowProblem.ID_BIRTH_DATE
    if re.fullmatch(r"\d{16,17}|\d{19,}", text):
        return RowProblem.ID_LENGTH
    return RowProblem.ID_CHARACTERS


def parse_date(value) -> date | None:
    """A date cell, an Excel serial number, or text like 2026-07-31 / 2026年7月31日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if _is_number(value):
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()
    text = normalise_text(value).replace(" ", "")
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_row(row: int, cells: tuple, index: dict[str, int]) -> ParsedRow | None:
    """Normalise one data row; None for a blank row (spreadsheets end with many)."""

    def cell(name: str):
        position = index.get(name)
        if position is None or position >= len(cells):
            return None
        value = cells[position]
        return None if isinstance(value, str) and not value.strip() else value

    if all(cell(name) is None for name in index):
        return None
    parsed = ParsedRow(row=row)
    texts = []

    def text(name: str, *, required=False, normalise=fast_normalise_text) -> str:
        value = normalise(cell(name))
        texts.append(value)
        if required and not value:
            parsed.problem(name, RowProblem.MISSING)
        elif len(value) > MAX_LENGTH.get(name, 10**6):
            parsed.problem(name, RowProblem.TOO_LONG, max=MAX_LENGTH[name])
        return value

    raw_number = cell("number")
    number = text("number", required=True).replace(" ", "")
    if number and SCIENTIFIC_RE.fullmatch(number):
        parsed.problem("number", RowProblem.NUMBER_SCIENTIFIC)
    elif (_is_number(raw_number) and float(raw_number) % 1) or (
        number and not NUMBER_RE.fullmatch(number)
    ):
        parsed.problem("number", RowProblem.BAD_NUMBER)
    parsed.number = number if not parsed.has_issue("number") else ""

    parsed.name = text("name", required=True, normalise=fast_normalise_name)
    _parse_id(parsed, cell("id_number"), texts)
    parsed.college = text("college", required=True)
    parsed.class_name = text("class_name")
    parsed.campus = text("campus")

    phone_text = text("phone")
    if phone_text:
        try:
            parsed.phone = validate_phone(phone_text)
        except ValidationError:
            parsed.problem("phone", RowProblem.BAD_PHONE)
    email = text("email").replace(" ", "")
    if email:
        try:
            validate_email(email)
            parsed.email = email
        except ValidationError:
            parsed.problem("email", RowProblem.BAD_EMAIL)
    if kind_text := text("kind"):
        parsed.kind = KIND_VALUES.get(_key(kind_text), "")
        if not parsed.kind:
            parsed.problem("kind", RowProblem.UNKNOWN_KIND)
    if state_text := text("state"):
        parsed.state = STATE_VALUES.get(_key(state_text), "")
        if not parsed.state:
            parsed.problem("state", RowProblem.UNKNOWN_STATE)
    raw_date = cell("valid_until")
    texts.append(normalise_text(raw_date))
    if raw_date is not None:
        try:
            parsed.valid_until = parse_date(raw_date)
        except (ValueError, OverflowError):
            parsed.problem("valid_until", RowProblem.BAD_DATE)
    parsed.digest = hashlib.blake2b("\x1f".join(texts).encode(), digest_size=16).hexdigest()
    return parsed


def _parse_id(parsed: ParsedRow, raw, texts: list[str]) -> None:
    text = fast_normalise_text(raw).replace(" ", "").upper()
    # Only the keyed hash enters the digest: the digest is stored, the number never is.
    text_hash = hash_id_number(text) if text else ""
    texts.append(text_hash)
    if not text:
        parsed.problem("id_number", RowProblem.MISSING)
        return
    if (_is_number(raw) and abs(raw) >= EXACT_DIGITS) or SCIENTIFIC_RE.fullmatch(text):
        parsed.problem("id_number", RowProblem.ID_AS_NUMBER)
        return
    if _is_number(raw) and float(raw) % 1:
        parsed.problem("id_number", RowProblem.ID_CHARACTERS)
        return
    try:
        value = validate_id_number(text)
    except ValidationError:
        parsed.problem("id_number", id_problem(text))
        return
    parsed.id_hash = text_hash if value == text else hash_id_number(value)
    parsed.id_last4 = value[-4:]
