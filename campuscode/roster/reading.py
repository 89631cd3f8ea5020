"""Reading a roster file row by row, XLSX or CSV (the file itself is opened by
campuscode.core.spreadsheets, which turns every unreadable file into UnreadableFile).

The header row is found among the first rows by the names school information systems
export (学号, 姓名, 身份证号 …) or their English equivalents.
"""

import re
import unicodedata
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from campuscode.core.spreadsheets import Table, UnreadableFile, open_table

__all__ = ["Table", "UnreadableFile", "field_for_header", "open_table", "read_header"]

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
