"""XLSX in and out: check-in points (bulk edit) and the who-has-checked-in list."""

from dataclasses import dataclass, field
from itertools import islice

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.checkins import tally
from campuscode.checkins.models import CheckinPoint, Period
from campuscode.core.spreadsheets import Sheet, UnreadableFile, open_table
from campuscode.people.models import OrgUnit
from campuscode.people.services import normalise_text

MAX_ROWS = 5000
# Header cells accepted per column, in Chinese or English.
POINT_COLUMNS = {
    "campus": {"校区", "campus"},
    "building": {"楼宇", "建筑", "building"},
    "name": {"名称", "点位", "name"},
    "kind": {"类型", "type", "kind"},
    "active": {"启用", "active", "in use"},
    "codes": {"扫码方式", "codes"},
    # Files exported before points chose their codes: 是 = screen, 否 = poster.
    "has_screen": {"有屏幕", "屏幕", "screen", "has screen"},
}
CODES = {
    "screen": "screen",
    "屏幕": "screen",
    "poster": "poster",
    "海报": "poster",
    "both": "both",
    "屏幕和海报": "both",
    "两者": "both",
}
CODES_LABEL = {"screen": "屏幕", "poster": "海报", "both": "屏幕和海报"}
YES = {"1", "y", "yes", "true", "是", "有", "启用", "✓"}
NO = {"0", "n", "no", "false", "否", "无", "停用", ""}


def points_sheet(points) -> Sheet:
    """The points as the bulk-edit file: the same columns the import reads."""
    rows = (
        [
            point.campus.name,
            point.building,
            point.name,
            point.kind,
            "是" if point.active else "否",
            CODES_LABEL[point.codes],
        ]
        for point in points
    )
    return Sheet(_("Check-in points"), ["校区", "楼宇", "名称", "类型", "启用", "扫码方式"], rows)


def roll_sheet(roll, roll_rows) -> Sheet:
    """Who has checked in for one window, one row a person."""
    headers = [
        _("Number"),
        _("Name"),
        _("Unit"),
        _("Checked in"),
        _("Time"),
        _("Point"),
        _("Temperature (°C)"),
        _("Status"),
        _("Symptoms"),
        _("Contact history"),
        _("Flags"),
    ]

    def rows():
        for row in roll_rows:
            person, checkin = row.person, row.checkin
            yield [
                person.number,
                person.name,
                person.org_unit.label,
                STATE_WORDS[row.state](),
                timezone.localtime(checkin.at).strftime("%Y-%m-%d %H:%M") if checkin else "",
                (checkin.point.name if checkin.point else checkin.get_via_display())
                if checkin
                else "",
                float(checkin.temperature) if checkin else "",
                str(checkin.get_colour_display()) if checkin else "",
                "、".join(checkin.symptom_labels) if checkin else "",
                str(checkin.get_contact_display()) if checkin else "",
                "; ".join(str(f.get_reason_display()) for f in row.open_flags),
            ]

    title = f"{roll.day} {Period(roll.period).label}"
    return Sheet(title, headers, rows())


STATE_WORDS = {
    tally.State.CHECKED: lambda: _("Yes"),
    tally.State.EXCUSED: lambda: _("Excused"),
    tally.State.MISSED: lambda: _("No"),
    tally.State.OPEN: lambda: _("Not yet (window open)"),
    tally.State.UPCOMING: lambda: _("Not yet (window not started)"),
}


def roll_summary_sheet(roll, trend) -> Sheet:
    """The counts of the list page: the window per unit and in all, then the 14 days."""
    headers = [
        _("Unit or day"),
        _("Expected"),
        _("Checked in"),
        _("Excused"),
        _("Missed"),
        _("Not yet due"),
        _("Yellow"),
        _("Red"),
        _("Check-in rate (%)"),
    ]

    def rate(checked, missed):
        return round(100 * checked / (checked + missed)) if checked + missed else ""

    def rows():
        for count in [*roll.counts, roll.total]:
            yield [
                count.unit.label if count is not roll.total else _("All"),
                count.expected,
                count.checked,
                count.excused,
                count.missed,
                count.pending,
                count.yellow,
                count.red,
                rate(count.checked, count.missed),
            ]
        yield []
        for day in trend.days:
            yield [
                day.day.isoformat(),
                day.expected,
                day.checked,
                day.excused,
                day.missed,
                day.pending,
                day.yellow,
                day.red,
                rate(day.checked, day.missed),
            ]
        yield [
            _("Last 14 days"),
            sum(d.expected for d in trend.days),
            trend.checked,
            sum(d.excused for d in trend.days),
            trend.missed,
            sum(d.pending for d in trend.days),
            sum(d.yellow for d in trend.days),
            sum(d.red for d in trend.days),
            "" if trend.rate is None else trend.rate,
        ]

    return Sheet(_("Counts"), headers, rows())


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def _yes_no(value, default: bool) -> bool | None:
    text = normalise_text(value).lower()
    if value is None:
        return default
    if text in YES:
        return True
    if text in NO:
        return False
    return None


def _kind(value) -> str | None:
    text = normalise_text(value)
    for code, label in CheckinPoint.Kind.choices:
        if text.lower() == code or text == str(label) or text == _(str(label)):
            return code
    chinese = {
        "校门": "entrance",
        "门": "entrance",
        "教学楼": "teaching",
        "办公楼": "office",
        "宿舍": "dormitory",
        "其他": "other",
    }
    return chinese.get(text)


def import_points(*, upload, school: OrgUnit, user) -> ImportResult:
    """Create or update points from a sheet; all or nothing, every error with its row."""
    result = ImportResult()
    if upload is None:
        result.errors.append(_("Choose an .xlsx file."))
        return result
    try:
        with open_table(upload) as table:
            rows = [cells for _number, cells in islice(table.rows, MAX_ROWS + 2)]
    except UnreadableFile:
        result.errors.append(_("The file is not an Excel workbook (.xlsx)."))
        return result
    if not rows:
        result.errors.append(_("The sheet is empty."))
        return result
    header = [normalise_text(cell).lower() for cell in rows[0]]
    columns = {}
    for key, names in POINT_COLUMNS.items():
        for index, cell in enumerate(header):
            if cell in {n.lower() for n in names}:
                columns[key] = index
    missing = [k for k in ("campus", "building", "name") if k not in columns]
    if missing:
        result.errors.append(_("Missing columns: %(cols)s") % {"cols": ", ".join(missing)})
        return result
    if len(rows) - 1 > MAX_ROWS:  # read one row past the limit to know
        result.errors.append(_("At most %(n)s rows at once.") % {"n": MAX_ROWS})
        return result
    campuses = {
        c.name: c
        for c in OrgUnit.objects.filter(kind=OrgUnit.Kind.CAMPUS, path__startswith=school.path)
    }
    parsed = []
    for number, row in enumerate(rows[1:], start=2):

        def cell(key, row=row):
            index = columns.get(key)
            return row[index] if index is not None and index < len(row) else None

        if all(normalise_text(v) == "" for v in row):
            continue
        campus = campuses.get(normalise_text(cell("campus")))
        building, name = normalise_text(cell("building")), normalise_text(cell("name"))
        kind = (
            _kind(cell("kind")) if "kind" in columns and normalise_text(cell("kind")) else "other"
        )
        active = _yes_no(cell("active"), True) if "active" in columns else True
        if "codes" in columns:
            codes = CODES.get(normalise_text(cell("codes")).lower() or "screen")
        elif "has_screen" in columns:
            screen = _yes_no(cell("has_screen"), True)
            codes = None if screen is None else ("screen" if screen else "poster")
        else:
            codes = "screen"
        problems = []
        if campus is None:
            problems.append(_("unknown campus"))
        if not building or not name:
            problems.append(_("building and name are required"))
        if kind is None:
            problems.append(_("unknown type"))
        if active is None or ("codes" not in columns and codes is None):
            problems.append(_("use 是/否 for yes/no columns"))
        elif codes is None:
            problems.append(_("codes: use 屏幕, 海报 or 屏幕和海报"))
        if problems:
            result.errors.append(
                _("Row %(row)s: %(problems)s") % {"row": number, "problems": "; ".join(problems)}
            )
            continue
        parsed.append((campus, building, name, kind, active, codes))
    if result.errors:
        return result
    with transaction.atomic():
        for campus, building, name, kind, active, codes in parsed:
            _point, created = CheckinPoint.objects.update_or_create(
                campus=campus,
                building=building,
                name=name,
                defaults={"kind": kind, "active": active, "codes": codes},
            )
            if created:
                result.created += 1
            else:
                result.updated += 1
    return result
