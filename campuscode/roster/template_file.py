"""The XLSX template offered on the upload page: the Chinese headers school systems use,
ID and number columns formatted as text so Excel keeps every digit."""

from django.utils.translation import gettext as _

from campuscode.core.spreadsheets import Sheet, xlsx_bytes

TEMPLATE_HEADERS = [
    ("学号/工号", 14, True),
    ("姓名", 10, False),
    ("身份证号", 22, True),
    ("学院/部门", 16, False),
    ("班级", 14, False),
    ("手机号", 14, True),
    ("邮箱", 24, False),
    ("人员类别", 10, False),
    ("校区", 10, False),
    ("状态", 8, False),
    ("有效期至", 12, False),
]


def template_workbook() -> bytes:
    names = [header for header, _w, _t in TEMPLATE_HEADERS]
    widths = [width for _h, width, _t in TEMPLATE_HEADERS]
    # Text columns: an 18-digit ID typed as a number loses its last digits in Excel.
    text = [position for position, (_h, _w, as_text) in enumerate(TEMPLATE_HEADERS) if as_text]
    notes = [
        _("Fill in the first sheet, one person per row; only the first sheet is read."),
        _("Required: 学号/工号, 姓名, 身份证号, 学院/部门. Students also need 班级."),
        _("人员类别: 学生, 教职工, 临时工 or 访客 (empty: 学生 when 班级 is filled, else 教职工)."),
        _("校区: only needed when two campuses have a college of the same name."),
        _("状态: 在校/在职, 停用 or 离校/离职. 有效期至: a date such as 2026-07-31 (visitors)."),
        _("Missing colleges, departments and classes are created; the preview lists them."),
        _("Importing the same file again changes nothing; a changed row updates that person."),
    ]
    return xlsx_bytes(
        [
            Sheet("名单", names, widths=widths, text_columns=text),
            Sheet(
                _("Notes"),
                [notes[0]],
                [[line] for line in notes[1:]],
                widths=[100],
                freeze_header=False,
            ),
        ]
    )
