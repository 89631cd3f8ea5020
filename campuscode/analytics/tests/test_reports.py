"""Periodic reports: one per unit and period, each reader told once, the page and its
XLSX readable only inside the reader's scope (R6.3)."""

import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from campuscode.analytics.models import Report, ReportDelivery
from campuscode.analytics.reports import period_range, send_reports
from campuscode.audit.models import AuditEntry
from campuscode.notify.models import Notice
from conftest import sign_in

pytestmark = pytest.mark.django_db


def test_periods_are_the_day_the_week_and_the_month():
    wednesday = date(2026, 3, 4)
    assert period_range("daily", wednesday) == (wednesday, wednesday)
    assert period_range("weekly", wednesday) == (date(2026, 3, 2), date(2026, 3, 8))
    assert period_range("monthly", wednesday) == (date(2026, 3, 1), date(2026, 3, 31))
    assert period_range("monthly", date(2026, 2, 10)) == (date(2026, 2, 1), date(2026, 2, 28))


def test_a_daily_run_makes_one_report_per_unit_and_tells_each_reader_once(school, roles):
    result = send_reports(period="daily")  # yesterday: Tuesday 03-03
    units = {r.unit for r in result.reports}
    tree = school.tree
    assert units == {tree.cs_2501, tree.en_2501, tree.cs, tree.school}
    assert result.notified == 4  # two advisers, the department admin, the health office
    adviser_notice = Notice.objects.get(user=roles["adviser"], kind="analysis_report")
    assert adviser_notice.data["first"] == "2026-03-03"
    assert adviser_notice.data["rate"] == "80.0%"
    assert adviser_notice.url == f"/analytics/reports/{adviser_notice.data['report']}/"
    again = send_reports(period="daily")
    assert (again.created, again.notified) == (0, 0)
    assert Report.objects.count() == 4
    assert Notice.objects.filter(kind="analysis_report").count() == 4
    assert ReportDelivery.objects.count() == 4
    assert AuditEntry.objects.filter(action="analytics.reports.sent").count() == 1


def test_the_command_sends_a_weekly_report_for_a_given_date(school, roles, capsys):
    call_command("send-reports", "--period", "weekly", "--date", "2026-03-03")
    assert "weekly 2026-03-02 – 2026-03-08: 4 reports (4 new), 4 readers told" in (
        capsys.readouterr().out
    )
    call_command("send-reports", "--period", "weekly", "--date", "2026-03-05")
    assert "4 reports (0 new), 0 readers told" in capsys.readouterr().out


def test_a_report_is_read_inside_the_scope_only(client, school, roles):
    send_reports(period="daily", day=date(2026, 3, 3))
    tree = school.tree
    class_report = Report.objects.get(unit=tree.cs_2501)
    path = f"/analytics/reports/{class_report.pk}/"
    for role in ("adviser", "dept_admin", "health"):
        response = sign_in(client, roles[role]).get(path)
        assert response.status_code == 200, role
        assert "计科2501班" in response.content.decode()
    assert sign_in(client, roles["other_adviser"]).get(path).status_code == 404
    assert sign_in(client, roles["gate"]).get(path).status_code == 403
    assert (
        AuditEntry.objects.filter(action="analytics.report.viewed", data__report=class_report.pk)
        .values("actor")
        .distinct()
        .count()
        == 3
    )
    listed = sign_in(client, roles["adviser"]).get("/analytics/reports/").content.decode()
    assert set(map(int, re.findall(r'data-report="(\d+)"', listed))) == {class_report.pk}


def test_the_report_keeps_its_figures_and_exports_them(client, school, roles):
    send_reports(period="daily", day=date(2026, 3, 3))
    report = Report.objects.get(unit=school.tree.cs_2501)
    # A late check-in after the report was made does not change the report.
    school.check_in(school.cs1[2], date(2026, 3, 3), "morning", via="makeup")
    response = sign_in(client, roles["adviser"]).get(f"/analytics/reports/{report.pk}/export.xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    per_day = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert per_day[0][0] == "2026-03-03" and per_day[0][-1] == "80.0%"
    assert AuditEntry.objects.filter(action="analytics.report.exported").count() == 1


def test_the_demo_counts_the_history_and_delivers_a_few_reports(school, roles):
    from django.utils import timezone

    from campuscode.analytics import demo
    from campuscode.analytics.models import DailyUnitSummary

    lines = demo.load_demo(school=school.tree.school, now=timezone.now())
    assert "/analytics/" in lines[0]
    assert DailyUnitSummary.objects.filter(day=date(2026, 3, 3)).exists()
    periods = set(Report.objects.values_list("period", flat=True))
    assert periods == {"daily", "weekly", "monthly"}
    assert Notice.objects.filter(user=roles["adviser"], kind="analysis_report").exists()


def test_the_report_comes_as_a_pdf_in_chinese(client, school, roles):
    send_reports(period="daily", day=date(2026, 3, 3))
    report = Report.objects.get(unit=school.tree.cs_2501)
    path = f"/analytics/reports/{report.pk}/report.pdf"
    response = sign_in(client, roles["adviser"]).get(path)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert b"STSong-Light" in response.content
    assert AuditEntry.objects.filter(
        action="analytics.report.exported", data__format="pdf"
    ).exists()
    assert sign_in(client, roles["other_adviser"]).get(path).status_code == 404
