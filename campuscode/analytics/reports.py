"""Daily, weekly and monthly reports per unit (R6.3), delivered through notify.

Every unit a health-reading role was granted over (a class for its adviser, a college for
its department admin, the school for the health office) gets one report per period, kept
with the figures it was built from (so it reads the same later), and each holder of the
role there is told once: in the app (the page, with its XLSX and PDF downloads), by e-mail
or text as they chose, and the unit's WeCom/DingTalk group robot when one is set up (the
words and the link). An e-mail carries the XLSX and the PDF, made when it is sent, for
that reader, through the access layer (`report_attachments`, notify.attachments). Running
a period twice sends nothing new.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.analytics.models import Report, ReportDelivery, ReportPeriod
from campuscode.analytics.panels import PanelScope, panels_for
from campuscode.analytics.selectors import (
    SUMMED,
    Dashboard,
    Figures,
    UnitRow,
    figures_for,
    range_total,
    reportable_units,
    secondary_note,
)
from campuscode.analytics.summaries import refresh_summaries
from campuscode.core.spreadsheets import XLSX_TYPE, Sheet, xlsx_bytes
from campuscode.people.access import Cap, covers_unit
from campuscode.people.models import OrgUnit


def default_day(period: str, today: date) -> date:
    """A day inside the last complete period before `today`."""
    if period == ReportPeriod.DAILY:
        return today - timedelta(days=1)
    if period == ReportPeriod.WEEKLY:
        return today - timedelta(days=7)
    return today.replace(day=1) - timedelta(days=1)


def period_range(period: str, day: date) -> tuple[date, date]:
    """The period containing `day`: the day, its week (Monday to Sunday) or its month."""
    if period == ReportPeriod.DAILY:
        return day, day
    if period == ReportPeriod.WEEKLY:
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _figures_data(figures: Figures) -> dict:
    return {
        **{name: getattr(figures, name) for name in SUMMED},
        "symptoms": dict(figures.symptoms),
    }


def _figures_of(data: dict) -> Figures:
    figures = Figures(**{name: data.get(name, 0) for name in SUMMED})
    figures.symptoms = Counter(data.get("symptoms", {}))
    return figures


def snapshot(unit: OrgUnit, first: date, last: date) -> dict:
    from campuscode.analytics.panels import PANELS

    board = figures_for(unit, first, last)
    scope = PanelScope(None, unit, first, last)
    return {
        # Panels with figures of their own (class attendance): kept as they are today.
        "panels": {key: panel.snapshot(scope) for key, panel in PANELS.items() if panel.snapshot},
        "unit": unit.name,
        "min_group": board.min_group,
        "ranked": board.ranked,
        "rows": [
            {
                "pk": row.unit.pk,
                "name": row.unit.name,
                "own": row.own,
                "rank": row.rank,
                "days": {day.isoformat(): _figures_data(f) for day, f in row.by_day.items()},
            }
            for row in board.rows
        ],
    }


def dashboard_of(report: Report) -> Dashboard:
    """The report's figures as a Dashboard, for the same panels as the live page."""
    data = report.data
    days = [
        report.first_day + timedelta(days=n)
        for n in range((report.last_day - report.first_day).days + 1)
    ]
    rows, by_day = [], {day: Figures() for day in days}
    for row in data.get("rows", []):
        per_day = {day: _figures_of(row["days"].get(day.isoformat(), {})) for day in days}
        row_total = range_total(per_day.values())
        for day, figures in per_day.items():
            by_day[day].add(figures)
        unit = OrgUnit(pk=row["pk"], name=row["name"])
        rows.append(UnitRow(unit, row["own"], per_day, row_total, row.get("rank")))
    return Dashboard(
        report.unit,
        report.first_day,
        report.last_day,
        rows,
        by_day,
        range_total(by_day.values()),
        int(data.get("min_group", 5)),
        bool(data.get("ranked")),
        report.created_at,
    )


def scope_of(report: Report, user) -> PanelScope:
    scope = PanelScope(
        user, report.unit, report.first_day, report.last_day, report.data.get("panels", {})
    )
    scope.__dict__["dashboard"] = dashboard_of(report)  # the stored figures, not today's
    return scope


# The panels a report shows (the live dashboard has more).
REPORT_PANELS = {
    "trend",
    "heatmap",
    "reasons",
    "health",
    *("attendance", "attendance_units", "attendance_status"),  # attendance/analysis.py
}


def report_sheets(report: Report, user) -> list[Sheet]:
    """The report's sheets as `user` may read them (the panels their scope reaches)."""
    scope = scope_of(report, user)
    return [
        sheet
        for panel in panels_for(user, report.unit)
        if panel.key in REPORT_PANELS and panel.sheets
        for sheet in panel.sheets(scope)
    ]


def report_filename(report: Report, extension: str) -> str:
    names = {
        "xlsx": _("Report %(unit)s %(first)s–%(last)s.xlsx"),
        "pdf": _("Report %(unit)s %(first)s–%(last)s.pdf"),
    }
    return names[extension] % {
        "unit": report.unit.name,
        "first": report.first_day,
        "last": report.last_day,
    }


def report_pdf(report: Report, user) -> bytes:
    from campuscode.analytics.pdf import pdf_bytes

    title = _("%(period)s report: %(unit)s") % {
        "period": report.get_period_display(),
        "unit": report.unit.label,
    }
    min_group = dashboard_of(report).min_group
    lines = [
        _("%(first)s to %(last)s, made %(at)s from the figures of that time.")
        % {
            "first": report.first_day,
            "last": report.last_day,
            "at": timezone.localtime(report.created_at).strftime("%Y-%m-%d %H:%M"),
        },
        _("Figures about fewer than %(n)s people are shown as <%(n)s.") % {"n": min_group},
        secondary_note(),
    ]
    return pdf_bytes(title=title, lines=lines, sheets=report_sheets(report, user))


def report_attachments(*, user, args: dict, delivery_id: int) -> list:
    """notify.attachments' builder for ANALYSIS_REPORT: the report's XLSX and PDF, made now
    for `user` through the access layer. Nothing when the report is gone or the reader no
    longer reads health figures of its unit (the e-mail still has the words and link)."""
    from campuscode.audit.services import log_action
    from campuscode.notify.attachments import Attachment

    report = Report.objects.select_related("unit").filter(pk=args.get("report")).first()
    if (
        report is None
        or user is None
        or not user.is_active
        or not covers_unit(user, Cap.VIEW_HEALTH, report.unit)
    ):
        return []
    files = [
        Attachment(
            report_filename(report, "xlsx"), xlsx_bytes(report_sheets(report, user)), XLSX_TYPE
        ),
        Attachment(report_filename(report, "pdf"), report_pdf(report, user), "application/pdf"),
    ]
    log_action(
        action="analytics.report.emailed",
        data={
            "report": report.pk,
            "unit": report.unit_id,
            "reader": user.pk,
            "delivery": delivery_id,
            "formats": ["xlsx", "pdf"],
        },
    )
    return files


def notice_data(report: Report) -> dict:
    """What a notification says: the unit, the period and the headline figures (hidden
    like on the page when the group is small)."""
    board = dashboard_of(report)
    shown = board.shown_total
    return {
        "report": report.pk,
        "unit": report.unit.name,
        "period": report.period,
        "first": report.first_day.isoformat(),
        "last": report.last_day.isoformat(),
        "rate": shown.rate,
        "missed": shown.missed,
        "excused": shown.excused,
        "fever": shown.fever,
    }


@dataclass
class SendResult:
    period: str
    first: date
    last: date
    reports: list[Report] = field(default_factory=list)
    created: int = 0
    notified: int = 0


def send_reports(
    *, period: str, day: date | None = None, now: datetime | None = None, refresh: bool = True
) -> SendResult:
    """Build the `period` reports of the period containing `day` (default: the last
    complete one) for every reportable unit and tell their readers; idempotent per unit,
    period and reader."""
    from campuscode.audit.services import log_action
    from campuscode.notify.models import Channel, Kind
    from campuscode.notify.services import notify

    now = now or timezone.now()
    day = day or default_day(period, timezone.localdate(now))
    first, last = period_range(period, day)
    result = SendResult(period, first, last)
    if refresh:  # the summaries as of now (a late make-up or approval changes past days)
        refresh_summaries(since=first, until=min(last, timezone.localdate(now)), now=now)
    for unit, readers in reportable_units():
        with transaction.atomic():
            report, created = Report.objects.get_or_create(
                unit=unit,
                period=period,
                first_day=first,
                defaults={"last_day": last, "data": snapshot(unit, first, last), "created_at": now},
            )
            result.reports.append(report)
            result.created += created
            url = reverse("analytics:report", args=[report.pk])
            # The outside messages carry the link; a robot's group reads it there.
            data = {**notice_data(report), "link": settings.SITE_URL + url}
            for user in readers:
                _delivery, new = ReportDelivery.objects.get_or_create(
                    report=report, user=user, defaults={"at": now}
                )
                if new:
                    notify(
                        user=user,
                        kind=Kind.ANALYSIS_REPORT,
                        data=data,
                        url=url,
                        now=now,
                        attach={"report": report.pk},
                    )
                    result.notified += 1
            if created:
                notify(
                    unit=unit,
                    kind=Kind.ANALYSIS_REPORT,
                    data=data,
                    url=url,
                    channels=[Channel.WECOM, Channel.DINGTALK],
                    now=now,
                )
    if result.created or result.notified:
        log_action(
            action="analytics.reports.sent",
            data={
                "period": period,
                "first": first.isoformat(),
                "last": last.isoformat(),
                "reports": result.created,
                "notified": result.notified,
            },
        )
    return result
