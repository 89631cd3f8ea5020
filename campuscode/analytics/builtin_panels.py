"""The health dashboard's own panels: check-in trend, unit × day heatmap, reasons for
missing, temperatures and symptoms (R6.3). Each gives its chart, the table of the same
numbers, and its sheet for the XLSX export; small groups hidden (selectors.Shown)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from campuscode.analytics import charts
from campuscode.analytics.panels import Panel, PanelScope, register
from campuscode.analytics.selectors import complement, complement_lines
from campuscode.checkins.models import Symptom
from campuscode.core.charts import Column, Segment, legend, stacked_columns
from campuscode.core.spreadsheets import Sheet
from campuscode.people.access import Cap

# --- Check-in trend ---------------------------------------------------------------------

TREND_PARTS = [
    ("on_phone", "green", gettext_lazy("Checked in")),
    ("manual", "#0891b2", gettext_lazy("Registered by staff")),
    ("makeup", "#7c3aed", gettext_lazy("Make-up")),
    ("excused", "blue", gettext_lazy("Excused")),
    ("missed", "grey", gettext_lazy("Missed")),
    ("pending", "light", gettext_lazy("Not yet due")),
]


def trend_context(scope: PanelScope) -> dict:
    board = scope.dashboard
    rows = board.day_rows
    labels = [f"{day:%d}" for day, _shown in rows]
    columns = []
    for day, shown in rows:
        figures = shown.figures
        segments = []
        if not shown.suppressed:
            segments = [
                Segment(
                    getattr(figures, name), colour, f"{day:%m-%d} {label}: {getattr(figures, name)}"
                )
                for name, colour, label in TREND_PARTS
            ]
        columns.append(Column(f"{day:%d}", segments))
    # One day (a daily report) needs no chart, only its table; past two weeks the columns
    # get too thin to read on a phone: the rate line and the table stay.
    drawn = len(rows) > 1
    return {
        "rate_svg": drawn
        and charts.line_chart(
            labels,
            [(str(_("Check-in rate")), "blue", [shown.rate_value for _d, shown in rows])],
            minimum=0,
            maximum=100,
            unit="%",
            caption=_("Check-in rate per day"),
        ),
        "columns_svg": drawn
        and len(rows) <= 14
        and stacked_columns(
            columns,
            maximum=max([s.figures.expected for _d, s in rows if not s.suppressed] + [1]),
            caption=_("Check-ins expected per day and how they came out"),
        ),
        "legend": drawn
        and len(rows) <= 14
        and legend([(colour, label) for _n, colour, label in TREND_PARTS]),
        "rows": rows,
    }


def trend_sheets(scope: PanelScope) -> list[Sheet]:
    return [
        Sheet(
            title=_("Check-ins per day"),
            headers=[
                _("Date"),
                pgettext("headcount", "People"),
                _("Expected"),
                _("Checked in"),
                _("Registered by staff"),
                _("Make-up"),
                _("Excused"),
                _("Missed"),
                _("Not yet due"),
                _("Check-in rate"),
            ],
            rows=[
                [
                    day.isoformat(),
                    s.people,
                    s.expected,
                    s.checked,
                    s.manual,
                    s.makeup,
                    s.excused,
                    s.missed,
                    s.pending,
                    s.rate,
                ]
                for day, s in scope.dashboard.day_rows
            ],
        )
    ]


# --- Heatmap: units × days ----------------------------------------------------------------


def heatmap_context(scope: PanelScope) -> dict:
    board = scope.dashboard
    days = board.days
    cells = []
    for row in board.rows:
        line = []
        for day in days:
            shown = board.cell(row, day)
            line.append((shown.rate_value, f"{row.label} {day:%m-%d}: {shown.rate}"))
        cells.append(line)
    return {
        "svg": charts.heatmap(
            [
                _("%(unit)s (own staff)") % {"unit": row.label}
                if row.own and len(board.rows) > 1
                else row.label
                for row in board.rows
            ],
            [f"{day:%d}" for day in days],
            cells,
            caption=_("Check-in rate per unit and day"),
        ),
        "legend": charts.band_legend(_("No figure or hidden")),
        "rows": board.unit_rows,
        "ranked": board.ranked,
    }


def heatmap_sheets(scope: PanelScope) -> list[Sheet]:
    board = scope.dashboard
    days = board.days
    headers = [_("Unit")] + ([_("Rank")] if board.ranked else []) + [f"{d:%m-%d}" for d in days]
    return [
        Sheet(
            title=_("Rate per unit and day"),
            headers=headers,
            rows=[
                [row.label]
                + ([row.rank or ""] if board.ranked else [])
                + [board.cell(row, day).rate for day in days]
                for row in board.rows
            ],
        ),
        Sheet(
            title=_("Per unit"),
            headers=[
                _("Unit"),
                pgettext("headcount", "People"),
                _("Checked in"),
                _("Excused"),
                _("Missed"),
                _("Check-in rate"),
            ],
            rows=[
                [
                    row.label,
                    s.people,
                    s.checked,
                    s.excused,
                    s.missed,
                    s.rate,
                ]
                for row, s in board.unit_rows
            ],
        ),
    ]


# --- Reasons for missing ----------------------------------------------------------------

REASONS = [
    ("on_phone", "green", gettext_lazy("On a phone")),
    ("manual", "#0891b2", gettext_lazy("Registered by staff")),
    ("makeup", "#7c3aed", gettext_lazy("Make-up check-in")),
    ("reported", "blue", gettext_lazy("Excused: advance report")),
    ("isolated", "red", gettext_lazy("Excused: isolation")),
    ("missed", "grey", gettext_lazy("Missed")),
    ("pending", "light", gettext_lazy("Not yet due")),
]


# Lines of REASONS whose totals other tables show (selectors.complement): the excused
# (the trend and unit tables) are the advance reports and the isolations; the checked, the
# three ways of checking in; the expected, all of them.
REASON_LINES = [
    ["reported", "isolated"],
    ["on_phone", "manual", "makeup"],
    [name for name, _colour, _label in REASONS],
]


def reasons_context(scope: PanelScope) -> dict:
    shown = scope.dashboard.shown_total
    figures = shown.figures
    values = {name: getattr(figures, name) for name, _colour, _label in REASONS}
    small = {name for name in values if not isinstance(getattr(shown, name), int)}
    hidden = complement_lines(values, small, REASON_LINES)
    items = []
    for name, colour, label in REASONS:
        value = shown.hidden_text if name in hidden else getattr(shown, name)
        drawn = value if isinstance(value, int) else 0
        items.append((str(label), drawn, colour, value))
    expected = figures.expected or 1
    table = [
        (label, value, f"{100 * value / expected:.1f}%" if isinstance(value, int) else "—")
        for label, _drawn, _colour, value in items
    ]
    return {
        "svg": charts.bars(items, caption=_("How the expected check-ins came out")),
        "rows": table,
        "expected": shown.expected,
    }


def reasons_sheets(scope: PanelScope) -> list[Sheet]:
    context = reasons_context(scope)
    return [
        Sheet(
            title=_("Reasons"),
            headers=[_("Outcome"), _("Check-ins"), _("Share of expected")],
            rows=[list(row) for row in context["rows"]],
        )
    ]


# --- Temperatures and symptoms ------------------------------------------------------------


def health_counts(scope: PanelScope) -> list[tuple]:
    """(day, shown, fever, with symptoms, [each symptom]) per day. The days of the fever
    column add up to the period's count of fevers, which the report's notice shows when it
    may: then a day hidden alone in the column hides the next smallest day too
    (selectors.complement). No total of the other columns is shown anywhere."""
    board = scope.dashboard
    rows = board.day_rows
    columns = [
        # Keys apart from the symptom codes (one of which is "fever").
        (":fever", lambda s: s.fever, lambda f: f.fever, board.shown_total.fever),
        (":symptomatic", lambda s: s.symptomatic, lambda f: f.symptomatic, None),
        *[
            (code, lambda s, c=code: s.symptom(c), lambda f, c=code: f.symptoms.get(c, 0), None)
            for code in Symptom.values
        ],
    ]
    cells: dict[str, dict] = {}
    for name, shown_of, raw_of, total in columns:
        shown = {day: shown_of(s) for day, s in rows}
        hidden = {day for day, value in shown.items() if not isinstance(value, int)}
        if isinstance(total, int):
            hidden = complement({day: raw_of(s.figures) for day, s in rows}, hidden)
        cells[name] = {day: (s.hidden_text if day in hidden else shown[day]) for day, s in rows}
    return [
        (
            day,
            s,
            cells[":fever"][day],
            cells[":symptomatic"][day],
            [cells[code][day] for code in Symptom.values],
        )
        for day, s in rows
    ]


def health_context(scope: PanelScope) -> dict:
    rows = scope.dashboard.day_rows
    averages = [None if s.suppressed else s.figures.average_temperature for _day, s in rows]
    return {
        "temperature_svg": len(rows) > 1
        and charts.line_chart(
            [f"{day:%d}" for day, _s in rows],
            [(str(_("Average temperature")), "red", averages)],
            minimum=35.5,
            maximum=37.5,
            unit="°",
            caption=_("Average temperature per day"),
        ),
        "symptoms": [label for _code, label in Symptom.choices],
        "rows": health_counts(scope),
    }


def health_sheets(scope: PanelScope) -> list[Sheet]:
    symptoms = list(Symptom.choices)
    return [
        Sheet(
            title=_("Temperatures and symptoms"),
            headers=[
                _("Date"),
                _("Check-ins"),
                _("Average temperature (°C)"),
                _("Fever"),
                _("With symptoms"),
                *[str(label) for _code, label in symptoms],
            ],
            rows=[
                [
                    day.isoformat(),
                    s.temp_count,
                    s.average_temperature,
                    fever,
                    symptomatic,
                    *each,
                ]
                for day, s, fever, symptomatic, each in health_counts(scope)
            ],
        )
    ]


def register_all() -> None:
    register(
        Panel(
            "trend",
            gettext_lazy("Check-in rate"),
            Cap.VIEW_HEALTH,
            "analytics/panel_trend.html",
            trend_context,
            trend_sheets,
            order=10,
        )
    )
    register(
        Panel(
            "heatmap",
            gettext_lazy("Units and days"),
            Cap.VIEW_HEALTH,
            "analytics/panel_heatmap.html",
            heatmap_context,
            heatmap_sheets,
            order=20,
        )
    )
    register(
        Panel(
            "reasons",
            gettext_lazy("Reasons for not checking in"),
            Cap.VIEW_HEALTH,
            "analytics/panel_reasons.html",
            reasons_context,
            reasons_sheets,
            order=30,
        )
    )
    # order 40 is kept for class attendance (see panels.py)
    register(
        Panel(
            "health",
            gettext_lazy("Temperatures and symptoms"),
            Cap.VIEW_HEALTH,
            "analytics/panel_health.html",
            health_context,
            health_sheets,
            order=50,
        )
    )
