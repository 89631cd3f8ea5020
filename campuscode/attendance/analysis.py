"""Class attendance on the analysis dashboard and in the periodic reports (R6.3).

Three panels join the dashboard's registry (analytics/panels.py) from AttendanceConfig:
the attendance rate per day, units × days, and the marks by status. Each reads the
DailyAttendanceSummary rows of the unit's subtree (analytics/summaries.py rebuilds them
from attendance.tally), is shown only to readers whose VIEW_ATTENDANCE scope covers the
unit (an adviser: their class; a department admin: their department; the supervision
group: the school), and hides a group smaller than the school's `analytics_min_group`.
Units are never ranked here: they are listed in their usual order.
"""

from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from campuscode.analytics import charts
from campuscode.analytics.models import ATTENDANCE_COUNTS, DailyAttendanceSummary
from campuscode.analytics.panels import Panel, PanelScope, register
from campuscode.core.charts import Column, Segment, legend, stacked_columns
from campuscode.core.rules import get_setting
from campuscode.core.spreadsheets import Sheet
from campuscode.people.access import Cap
from campuscode.people.models import OrgUnit

SUMMED = tuple(name for name in ATTENDANCE_COUNTS if name != "people")


@dataclass
class Figures:
    """Summed DailyAttendanceSummary rows: one unit or a subtree, one day or a range."""

    people: int = 0
    due: int = 0
    present: int = 0
    late: int = 0
    left_early: int = 0
    absent: int = 0
    excused: int = 0
    unmarked: int = 0

    def add(self, other: "Figures | dict") -> None:
        get = other.get if isinstance(other, dict) else lambda name: getattr(other, name)
        for name in SUMMED:
            setattr(self, name, getattr(self, name) + (get(name) or 0))

    @property
    def attended(self) -> int:
        return self.present + self.late + self.left_early

    @property
    def missed(self) -> int:
        """Absent, unmarked included (the reports' rule)."""
        return self.absent + self.unmarked

    @property
    def rate(self) -> float | None:
        """Per cent of the sessions held that were attended, excused ones left out (the
        attendance reports' rate)."""
        held = self.due - self.excused
        return 100 * self.attended / held if held > 0 else None

    def data(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def range_total(days) -> "Figures":
    """Days of one group added up; `people` is the most on any one day (its size)."""
    total = Figures()
    for figures in days:
        total.add(figures)
        total.people = max(total.people, figures.people)
    return total


class Shown:
    """Figures as a reader may see them: a group under the school's minimum is hidden."""

    def __init__(self, figures: Figures, min_group: int):
        self.figures = figures
        self.hidden_text = f"<{min_group}"
        self.suppressed = 0 < figures.people < min_group

    def __getattr__(self, name: str):
        value = getattr(self.__dict__["figures"], name)
        return self.hidden_text if self.suppressed else value

    @property
    def rate(self) -> str:
        rate = self.figures.rate
        return "—" if self.suppressed or rate is None else f"{rate:.1f}%"

    @property
    def rate_value(self) -> float | None:
        return None if self.suppressed else self.figures.rate


@dataclass
class UnitRow:
    unit: OrgUnit
    own: bool  # the selected unit's own students (not a unit under it)
    by_day: dict[date, Figures]
    total: Figures

    @property
    def label(self) -> str:
        return str(self.unit.name)


@dataclass
class Board:
    unit: OrgUnit
    first: date
    last: date
    rows: list[UnitRow]
    by_day: dict[date, Figures]
    min_group: int
    refreshed_at: datetime | None = None
    total: Figures = field(init=False)

    def __post_init__(self):
        self.total = range_total(self.by_day.values())

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def shown(self, figures: Figures) -> Shown:
        return Shown(figures, self.min_group)

    @property
    def day_rows(self) -> list[tuple[date, Shown]]:
        return [(day, self.shown(self.by_day[day])) for day in self.days]

    @property
    def unit_rows(self) -> list[tuple[UnitRow, Shown]]:
        return [(row, self.shown(row.total)) for row in self.rows]

    @property
    def shown_total(self) -> Shown:
        return self.shown(self.total)

    def data(self) -> dict:
        """JSON for a report (the figures as they were when it was made)."""
        return {
            "min_group": self.min_group,
            "rows": [
                {
                    "pk": row.unit.pk,
                    "name": row.unit.name,
                    "own": row.own,
                    "days": {
                        day.isoformat(): figures.data()
                        for day, figures in row.by_day.items()
                        if figures.due
                    },
                }
                for row in self.rows
            ],
        }


def _assemble(unit, first, last, by_unit: dict, names: dict, min_group: int, at=None) -> Board:
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    rows, by_day = [], {day: Figures() for day in days}
    for pk, (label, own) in names.items():
        if pk not in by_unit:
            continue
        per_day = {day: by_unit[pk].get(day, Figures()) for day in days}
        for day, figures in per_day.items():
            by_day[day].add(figures)
            by_day[day].people += figures.people
        shown_unit = unit if own else OrgUnit(pk=pk, name=label)
        rows.append(UnitRow(shown_unit, own, per_day, range_total(per_day.values())))
    return Board(unit, first, last, rows, by_day, min_group, at)


def board_for(unit: OrgUnit, first: date, last: date) -> Board:
    """Class attendance of `unit`'s subtree from `first` to `last`, by day and by the units
    right under it (no scope check: the dashboard checks VIEW_ATTENDANCE over `unit`)."""
    children = list(OrgUnit.objects.filter(parent=unit).order_by("path"))
    # Why the subtree's ids and a fold in Python rather than a join on the units' paths
    # grouped in SQL: with the table's statistics stale after a rebuild, PostgreSQL nests
    # a path LIKE per row (6 s for the whole school of 50,000, bench/attendance_scale.py);
    # a summary row is one unit's day, so there are only units × days rows to add up.
    group_of = {}
    for pk, path in OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", "path"):
        group_of[pk] = next((c.pk for c in children if path.startswith(c.path)), unit.pk)
    rows = DailyAttendanceSummary.objects.filter(
        school_id=unit.school_id, day__gte=first, day__lte=last
    )
    if unit.parent_id is not None:
        rows = rows.filter(unit_id__in=list(group_of))
    by_unit: dict[int, dict[date, Figures]] = {}
    at = None
    for found in rows.values("unit_id", "day", "refreshed_at", *ATTENDANCE_COUNTS).order_by():
        group = group_of.get(found["unit_id"])
        if group is None:
            continue
        figures = by_unit.setdefault(group, {}).setdefault(found["day"], Figures())
        figures.add(found)
        figures.people += found["people"]
        at = max(at, found["refreshed_at"]) if at else found["refreshed_at"]
    names = {unit.pk: (unit.name, True), **{c.pk: (c.name, False) for c in children}}
    min_group = int(get_setting("analytics_min_group", unit.school_id))
    return _assemble(unit, first, last, by_unit, names, min_group, at)


def board_from(data: dict, unit: OrgUnit, first: date, last: date) -> Board:
    """A report's stored figures (Board.data) as a Board."""
    by_unit, names = {}, {}
    for row in data.get("rows", []):
        names[row["pk"]] = (row["name"], row["own"])
        by_unit[row["pk"]] = {
            date.fromisoformat(day): Figures(**{n: v.get(n, 0) for n in ATTENDANCE_COUNTS})
            for day, v in row["days"].items()
        }
    return _assemble(unit, first, last, by_unit, names, int(data.get("min_group", 5)))


def board_of(scope: PanelScope) -> Board:
    """The scope's attendance figures, once per page: a report's stored ones, else live."""
    if "attendance" not in scope.__dict__:
        if scope.stored is not None:
            stored = scope.stored.get("attendance", {})
            board = board_from(stored, scope.unit, scope.first, scope.last)
        else:
            board = board_for(scope.unit, scope.first, scope.last)
        scope.__dict__["attendance"] = board
    return scope.__dict__["attendance"]


# --- Rate per day -------------------------------------------------------------------------

PARTS = [
    ("present", "green", pgettext_lazy("attendance", "Present")),
    ("late", "yellow", pgettext_lazy("attendance", "Late")),
    ("left_early", "#fb923c", pgettext_lazy("attendance", "Left early")),
    ("absent", "red", pgettext_lazy("attendance", "Absent")),
    ("unmarked", "grey", gettext_lazy("Not marked (counted as absent)")),
    ("excused", "blue", pgettext_lazy("attendance", "Excused")),
]


def trend_context(scope: PanelScope) -> dict:
    board = board_of(scope)
    rows = board.day_rows
    drawn = len(rows) > 1
    columns = [
        Column(
            f"{day:%d}",
            []
            if shown.suppressed
            else [
                Segment(
                    getattr(shown.figures, name),
                    colour,
                    f"{day:%m-%d} {label}: {getattr(shown.figures, name)}",
                )
                for name, colour, label in PARTS
            ],
        )
        for day, shown in rows
    ]
    return {
        "rate_svg": drawn
        and charts.line_chart(
            [f"{day:%d}" for day, _s in rows],
            [(str(_("Attendance rate")), "green", [s.rate_value for _d, s in rows])],
            minimum=0,
            maximum=100,
            unit="%",
            caption=_("Class attendance rate per day"),
        ),
        # Past two weeks the columns get too thin on a phone: the line and table stay.
        "columns_svg": drawn
        and len(rows) <= 14
        and stacked_columns(
            columns,
            maximum=max([s.figures.due for _d, s in rows if not s.suppressed] + [1]),
            caption=_("Attendances due per day and how they came out"),
        ),
        "legend": drawn
        and len(rows) <= 14
        and legend([(colour, label) for _n, colour, label in PARTS]),
        # Days without classes (weekends, holidays) stay out of the table.
        "rows": [(day, shown) for day, shown in rows if shown.figures.due],
    }


def trend_sheets(scope: PanelScope) -> list[Sheet]:
    return [
        Sheet(
            title=_("Attendance per day"),
            headers=[
                _("Date"),
                _("Students"),
                _("Attendances due"),
                *[str(label) for _n, _c, label in PARTS],
                _("Attendance rate"),
            ],
            rows=[
                [
                    day.isoformat(),
                    s.people,
                    s.due,
                    *[getattr(s, name) for name, _c, _l in PARTS],
                    s.rate,
                ]
                for day, s in board_of(scope).day_rows
                if s.figures.due
            ],
        )
    ]


# --- Units × days --------------------------------------------------------------------------


def units_context(scope: PanelScope) -> dict:
    board = board_of(scope)
    days = board.days
    labels = [
        _("%(unit)s (own students)") % {"unit": row.label}
        if row.own and len(board.rows) > 1
        else row.label
        for row in board.rows
    ]
    cells = [
        [
            (
                (shown := board.shown(row.by_day[day])).rate_value,
                f"{row.label} {day:%m-%d}: {shown.rate}",
            )
            for day in days
        ]
        for row in board.rows
    ]
    return {
        "svg": board.rows
        and charts.heatmap(
            labels,
            [f"{day:%d}" for day in days],
            cells,
            caption=_("Class attendance rate per unit and day"),
        ),
        "legend": charts.band_legend(_("No classes, or hidden")),
        "rows": board.unit_rows,
        "days": board.days,
    }


def units_sheets(scope: PanelScope) -> list[Sheet]:
    board = board_of(scope)
    days = board.days
    return [
        Sheet(
            title=_("Attendance per unit and day"),
            headers=[_("Unit"), *[f"{d:%m-%d}" for d in days]],
            rows=[
                [row.label, *[board.shown(row.by_day[day]).rate for day in days]]
                for row in board.rows
            ],
        ),
        Sheet(
            title=_("Attendance per unit"),
            headers=[
                _("Unit"),
                _("Students"),
                _("Attendances due"),
                _("Attended"),
                _("Absent or not marked"),
                pgettext_lazy("attendance", "Excused"),
                _("Attendance rate"),
            ],
            rows=[
                [row.label, s.people, s.due, s.attended, s.missed, s.excused, s.rate]
                for row, s in board.unit_rows
            ],
        ),
    ]


# --- By status --------------------------------------------------------------------------


def status_context(scope: PanelScope) -> dict:
    shown = board_of(scope).shown_total
    due = shown.figures.due or 1
    items, table = [], []
    for name, colour, label in PARTS:
        value = getattr(shown, name)
        items.append((str(label), value if isinstance(value, int) else 0, colour, value))
        share = f"{100 * value / due:.1f}%" if isinstance(value, int) else "—"
        table.append((str(label), value, share))
    return {
        "svg": charts.bars(items, caption=_("How the attendances due came out")),
        "rows": table,
        "due": shown.due,
    }


def status_sheets(scope: PanelScope) -> list[Sheet]:
    return [
        Sheet(
            title=_("Attendance by status"),
            headers=[_("Status"), _("Attendances"), _("Share of due")],
            rows=[list(row) for row in status_context(scope)["rows"]],
        )
    ]


def register_all() -> None:
    # Order 40: after the check-in panels, before temperatures (see builtin_panels).
    register(
        Panel(
            "attendance",
            gettext_lazy("Class attendance rate"),
            Cap.VIEW_ATTENDANCE,
            "attendance/analysis_trend.html",
            trend_context,
            trend_sheets,
            order=40,
            snapshot=lambda scope: board_of(scope).data(),
        )
    )
    register(
        Panel(
            "attendance_units",
            gettext_lazy("Class attendance per unit"),
            Cap.VIEW_ATTENDANCE,
            "attendance/analysis_units.html",
            units_context,
            units_sheets,
            order=41,
        )
    )
    register(
        Panel(
            "attendance_status",
            gettext_lazy("Class attendance by status"),
            Cap.VIEW_ATTENDANCE,
            "attendance/analysis_status.html",
            status_context,
            status_sheets,
            order=42,
        )
    )
