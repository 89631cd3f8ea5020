"""Thin views over the selectors: parse the filters, check the scope, audit, render."""

from datetime import timedelta

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.analytics import charts, reports
from campuscode.analytics.forms import DashboardForm, GateForm
from campuscode.analytics.models import Report
from campuscode.analytics.panels import PanelScope, panels_for
from campuscode.analytics.selectors import gate_traffic_for, scope_units
from campuscode.audit.services import log_action
from campuscode.core.charts import Column, Segment, legend, stacked_columns
from campuscode.core.net import client_ip
from campuscode.core.paging import page_of
from campuscode.core.spreadsheets import Sheet, stamp, xlsx_response
from campuscode.people.access import Cap, covers_unit, has_capability, requires, units_under


def _dashboard_capability(user) -> str:
    """Whose dashboard: health readers' (check-ins, and class attendance where they also
    read it), else an attendance reader's, such as the academic office (its panels only:
    panels_for checks each panel's own capability)."""
    return Cap.VIEW_HEALTH if has_capability(user, Cap.VIEW_HEALTH) else Cap.VIEW_ATTENDANCE


def _dashboard_scope(request):
    today = timezone.localdate()
    capability = _dashboard_capability(request.user)
    form = DashboardForm(
        request.GET or None,
        user=request.user,
        capability=capability,
        initial={"day": today, "days": 14},
    )
    unit = day = None
    days = 14
    if form.is_valid():
        unit, day, days = (
            form.cleaned_data["unit"],
            form.cleaned_data["day"],
            form.cleaned_data["days"],
        )
    board_unit = unit or (scope_units(request.user, capability) or [None])[0]
    if board_unit is None:
        raise Http404
    day = day or timezone.localdate()
    scope = PanelScope(request.user, board_unit, day - timedelta(days=days - 1), day)
    return form, scope


def _audit(request, action: str, scope: PanelScope) -> None:
    log_action(
        action=action,
        actor=request.user,
        client_ip=client_ip(request),
        data={
            "unit": scope.unit.pk,
            "first": scope.first.isoformat(),
            "last": scope.last.isoformat(),
        },
    )


@requires(Cap.VIEW_HEALTH, Cap.VIEW_ATTENDANCE)
def dashboard(request):
    form, scope = _dashboard_scope(request)
    panels = [
        {"panel": panel, "context": panel.context(scope)}
        for panel in panels_for(request.user, scope.unit)
    ]
    _audit(request, "analytics.dashboard.viewed", scope)
    health = has_capability(request.user, Cap.VIEW_HEALTH)
    return render(
        request,
        "analytics/dashboard.html",
        {
            "form": form,
            "scope": scope,
            "board": scope.dashboard,
            "panels": panels,
            "health": health,
        },
    )


@requires(Cap.VIEW_HEALTH, Cap.VIEW_ATTENDANCE)
def dashboard_export(request):
    _form, scope = _dashboard_scope(request)
    sheets = [
        sheet
        for panel in panels_for(request.user, scope.unit)
        if panel.sheets
        for sheet in panel.sheets(scope)
    ]
    _audit(request, "analytics.dashboard.exported", scope)
    return xlsx_response(
        filename=_("Analysis %(unit)s %(first)s–%(last)s.xlsx")
        % {"unit": scope.unit.name, "first": scope.first, "last": scope.last},
        ascii_filename=f"analysis-{scope.unit.pk}-{stamp()}.xlsx",
        sheets=sheets,
    )


# --- Gates ----------------------------------------------------------------------------------


def _gate_traffic(request):
    form = GateForm(
        request.GET or None, user=request.user, initial={"day": timezone.localdate(), "days": 1}
    )
    place = day = None
    days = 1
    if form.is_valid():
        place, day, days = (
            form.cleaned_data["place"],
            form.cleaned_data["day"],
            form.cleaned_data["days"],
        )
    return form, gate_traffic_for(request.user, day=day, days=days, place=place)


@requires(Cap.VIEW_GATES)
def gates(request):
    form, traffic = _gate_traffic(request)
    parts = [
        ("entries", "green", _("%(hour)s:00 entries: %(n)s")),
        ("exits", "blue", _("%(hour)s:00 exits: %(n)s")),
        ("refused", "red", _("%(hour)s:00 refused: %(n)s")),
    ]
    columns = [
        Column(
            f"{hour}",
            [
                Segment(counts[name], colour, text % {"hour": f"{hour:02d}", "n": counts[name]})
                for name, colour, text in parts
            ],
        )
        for hour, counts in traffic.by_hour.items()
    ]
    largest = max([sum(c.values()) for c in traffic.by_hour.values()] + [1])
    place_rows = []
    for place in traffic.places:
        counts = traffic.by_place[place.pk]
        hours = [
            (hour, sum(traffic.by_place_hour.get((place.pk, hour), {}).values()))
            for hour in range(24)
        ]
        busiest = max(hours, key=lambda pair: pair[1])
        place_rows.append((place, counts, busiest if busiest[1] else None))
    heat = [
        [
            (
                None if not (n := sum(traffic.by_place_hour.get((p.pk, h), {}).values())) else n,
                f"{p.name} {h:02d}:00: {n}",
            )
            for h in range(24)
        ]
        for p in traffic.places
    ]
    log_action(
        action="analytics.gates.viewed",
        actor=request.user,
        client_ip=client_ip(request),
        data={"first": traffic.first.isoformat(), "last": traffic.last.isoformat()},
    )
    return render(
        request,
        "analytics/gates.html",
        {
            "form": form,
            "traffic": traffic,
            "svg": stacked_columns(
                columns, maximum=largest, caption=_("Passages per hour of the day")
            ),
            "legend": legend(
                [("green", _("Entries")), ("blue", _("Exits")), ("red", _("Refused"))]
            ),
            "heat_svg": charts.volume_map(
                [p.name for p in traffic.places],
                [f"{h}" for h in range(24)],
                heat,
                caption=_("Passages per place and hour"),
            ),
            "place_rows": place_rows,
            "hour_rows": sorted(traffic.by_hour.items()),
        },
    )


@requires(Cap.VIEW_GATES)
def gates_export(request):
    _form, traffic = _gate_traffic(request)
    headers = [_("Place"), _("Campus"), _("Hour"), _("Entries"), _("Exits"), _("Refused")]
    rows = [
        [p.name, p.campus.name, f"{h:02d}:00", c["entries"], c["exits"], c["refused"]]
        for p in traffic.places
        for h in range(24)
        if (c := traffic.by_place_hour.get((p.pk, h)))
    ]
    log_action(
        action="analytics.gates.exported",
        actor=request.user,
        client_ip=client_ip(request),
        data={"first": traffic.first.isoformat(), "last": traffic.last.isoformat()},
    )
    return xlsx_response(
        filename=_("Gate traffic %(first)s–%(last)s.xlsx")
        % {"first": traffic.first, "last": traffic.last},
        ascii_filename=f"gate-traffic-{stamp()}.xlsx",
        sheets=[Sheet(title=_("Passages per place and hour"), headers=headers, rows=rows)],
    )


# --- Reports --------------------------------------------------------------------------------


def _visible_reports(user):
    return Report.objects.filter(unit__in=units_under(user, Cap.VIEW_HEALTH)).select_related(
        "unit", "unit__parent"
    )


@requires(Cap.VIEW_HEALTH)
def report_list(request):
    page = page_of(
        request, _visible_reports(request.user).order_by("-first_day", "period", "unit__path")
    )
    log_action(
        action="analytics.reports.viewed",
        actor=request.user,
        client_ip=client_ip(request),
        data={"page": page.number, "reports": [r.pk for r in page.object_list]},
    )
    return render(request, "analytics/reports.html", {"page": page})


def _report(request, pk: int) -> Report:
    report = Report.objects.select_related("unit").filter(pk=pk).first()
    if report is None or not covers_unit(request.user, Cap.VIEW_HEALTH, report.unit):
        raise Http404
    return report


@requires(Cap.VIEW_HEALTH)
def report_detail(request, pk: int):
    report = _report(request, pk)
    scope = reports.scope_of(report, request.user)
    panels = [
        {"panel": panel, "context": panel.context(scope)}
        for panel in panels_for(request.user, report.unit)
        if panel.key in reports.REPORT_PANELS
    ]
    log_action(
        action="analytics.report.viewed",
        actor=request.user,
        client_ip=client_ip(request),
        data={"report": report.pk, "unit": report.unit_id},
    )
    return render(
        request,
        "analytics/report.html",
        {"report": report, "scope": scope, "board": scope.dashboard, "panels": panels},
    )


@requires(Cap.VIEW_HEALTH)
def report_pdf(request, pk: int):
    from campuscode.core.spreadsheets import content_disposition

    report = _report(request, pk)
    body = reports.report_pdf(report, request.user)
    log_action(
        action="analytics.report.exported",
        actor=request.user,
        client_ip=client_ip(request),
        data={"report": report.pk, "unit": report.unit_id, "format": "pdf"},
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(
        reports.report_filename(report, "pdf"), f"report-{report.pk}.pdf"
    )
    response["Cache-Control"] = "no-store"
    return response


@requires(Cap.VIEW_HEALTH)
def report_export(request, pk: int):
    report = _report(request, pk)
    sheets = reports.report_sheets(report, request.user)
    log_action(
        action="analytics.report.exported",
        actor=request.user,
        client_ip=client_ip(request),
        data={"report": report.pk, "unit": report.unit_id},
    )
    return xlsx_response(
        filename=reports.report_filename(report, "xlsx"),
        ascii_filename=f"report-{report.pk}.xlsx",
        sheets=sheets,
    )
