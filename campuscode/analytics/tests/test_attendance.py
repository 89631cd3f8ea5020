"""Class attendance on the analysis dashboard, in its export and in the reports, per role,
equal to a recount through the attendance engine (R6.3)."""

import io
import re
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.utils import timezone
from openpyxl import load_workbook

from campuscode.analytics.models import DailyAttendanceSummary, Report
from campuscode.analytics.reports import send_reports
from campuscode.analytics.summaries import refresh_summaries
from campuscode.attendance import engine
from campuscode.attendance.models import Mark, Method, Session, Status
from campuscode.core.rules import set_setting
from campuscode.people.models import Person, Role
from conftest import sign_in

from .attendance_data import make_attendance
from .conftest import FIRST, TODAY

pytestmark = pytest.mark.django_db
PAGE = "/analytics/?days=7&day=2026-03-04"


@pytest.fixture
def sessions(school, roles):
    made = make_attendance(school)
    refresh_summaries(since=FIRST, until=TODAY)
    return made


@pytest.fixture
def supervision(tree):
    person = tree.person("督导组", tree.school, kind=Person.Kind.STAFF, number="T0009")
    return tree.account("", (Role.SUPERVISION, tree.school), person=person)


def table(response, name: str) -> str:
    found = re.search(rf'data-table="{name}".*?</table>', response.content.decode(), re.S)
    return found.group(0) if found else ""


def rates(response, name: str) -> dict[str, str]:
    return dict(
        re.findall(
            r'data-(?:day|unit)="([^"]+)".*?<td data-rate>([^<]*)</td>', table(response, name), re.S
        )
    )


def units(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-unit="(\d+)"', table(response, "attendance-units"))}


def recount(first, last, now) -> dict:
    """(student's unit, day) → status counts, session by session through the engine."""
    found: dict = defaultdict(Counter)
    for session in Session.objects.filter(kind=Session.Kind.CLASS, cancelled_at__isnull=True):
        if session.ends_at > now or not first <= timezone.localdate(session.starts_at) <= last:
            continue
        marks = engine.current_marks(session)
        for person in engine.expected_people(session):
            mark = marks.get(person.pk)
            key = (person.org_unit_id, timezone.localdate(session.starts_at))
            found[key][mark.status if mark else "unmarked"] += 1
    return found


def summary_rows():
    return sorted(
        (
            {k: v for k, v in model_to_dict(row).items() if k not in ("id", "refreshed_at")}
            for row in DailyAttendanceSummary.objects.all()
        ),
        key=lambda row: (row["unit"], row["day"]),
    )


def test_the_summary_equals_a_recount_and_a_rerun_changes_nothing(sessions, capsys):
    raw = recount(FIRST, TODAY, timezone.now())
    stored = {(r.unit_id, r.day): r for r in DailyAttendanceSummary.objects.all()}
    assert set(stored) == set(raw)
    for key, counts in raw.items():
        row = stored[key]
        for status in (*Status.values, "unmarked"):
            assert getattr(row, status) == counts[status], (key, status)
        assert row.due == sum(counts.values())
    first = summary_rows()
    call_command("refresh-summaries", "--since=2026-03-02", "--until=2026-03-04")
    assert summary_rows() == first


def test_each_role_sees_its_own_scope(client, school, sessions, roles, supervision):
    tree = school.tree
    adviser = sign_in(client, roles["adviser"]).get(PAGE)
    assert adviser.status_code == 200
    assert units(adviser) == {tree.cs_2501.pk}
    dept = sign_in(client, roles["dept_admin"]).get(PAGE)
    assert units(dept) == {tree.cs_2501.pk, tree.cs_2502.pk}
    whole = sign_in(client, supervision).get(PAGE)
    assert units(whole) == {tree.main_campus.pk, tree.east_campus.pk}
    assert sign_in(client, roles["other_adviser"]).get(PAGE).status_code == 200
    assert units(client.get(PAGE)) == {tree.en_2501.pk}
    # The health office reads health figures school-wide, not class attendance.
    health = sign_in(client, roles["health"]).get(PAGE)
    assert health.status_code == 200
    assert 'data-panel="attendance' not in health.content.decode()
    for role in ("teacher", "gate", "sysadmin", "outsider"):
        assert sign_in(client, roles[role]).get(PAGE).status_code == 403


def test_the_rates_are_the_recount_and_small_groups_are_hidden(client, sessions, roles):
    adviser = sign_in(client, roles["adviser"]).get(PAGE)
    by_day = rates(adviser, "attendance")
    # Monday: 8 attended of 10 held (2 excused aside; s3 absent and unmarked); Tuesday: the
    # corrected mark counts present, the cancelled session not at all: 5 of 6.
    assert by_day == {"2026-03-02": "80.0%", "2026-03-03": "83.3%"}
    status = table(adviser, "attendance-status")
    assert re.search(r"<td>缺勤</td><td>2</td>", status)
    assert re.search(r"<td>未签到（按缺勤计）</td><td>1</td>", status)
    assert re.search(r"<td>请假</td><td>2</td>", status)
    assert re.search(r"<th data-due>18</th>", status)
    dept = sign_in(client, roles["dept_admin"]).get(PAGE)
    by_unit = rates(dept, "attendance-units")
    tree_2502 = str(sessions["lecture"].extra_units.get().pk)
    assert by_unit[tree_2502] == "—"  # two students: no figure
    assert "&lt;5" in table(dept, "attendance-units")
    set_setting(key="analytics_min_group", value=2)
    dept = sign_in(client, roles["dept_admin"]).get(PAGE)
    assert rates(dept, "attendance-units")[tree_2502] == "100.0%"


def test_the_export_holds_the_attendance_sheets(client, sessions, roles):
    response = sign_in(client, roles["adviser"]).get(f"/analytics/export.xlsx?days=7&day={TODAY}")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["每天的出勤"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"2026-03-02", "2026-03-03"}
    assert rows["2026-03-02"][1:3] == (6, 12)  # students, attendances due
    assert rows["2026-03-02"][-1] == "80.0%"
    per_status = {r[0]: r[1] for r in book["按状态的出勤"].iter_rows(min_row=2, values_only=True)}
    assert per_status["迟到"] == 1
    health = sign_in(client, roles["health"]).get(f"/analytics/export.xlsx?days=7&day={TODAY}")
    book = load_workbook(io.BytesIO(b"".join(health.streaming_content)))
    assert "每天的出勤" not in book.sheetnames


def test_a_report_keeps_the_attendance_it_was_made_with(client, sessions, roles):
    send_reports(period="daily", day=FIRST)
    report = Report.objects.get(unit=sessions["mon"].unit, period="daily", first_day=FIRST)
    # A correction afterwards changes the live figures, not the report's.
    s3 = sessions["mon"].marks.get(status=Status.ABSENT)
    Mark.objects.create(
        session=sessions["mon"],
        person=s3.person,
        status=Status.PRESENT,
        method=Method.OVERRIDE,
        happened_at=s3.happened_at,
        recorded_at=timezone.now(),
        supersedes=s3,
        reason="更正",
    )
    refresh_summaries(since=FIRST, until=FIRST)
    page = sign_in(client, roles["adviser"]).get(f"/analytics/reports/{report.pk}/")
    assert 'data-panel="attendance"' in page.content.decode()
    assert rates(page, "attendance-units") == {str(sessions["mon"].unit_id): "80.0%"}
    live = sign_in(client, roles["adviser"]).get(f"/analytics/?days=7&day={FIRST}")
    assert rates(live, "attendance") == {"2026-03-02": "90.0%"}
    export = sign_in(client, roles["adviser"]).get(f"/analytics/reports/{report.pk}/export.xlsx")
    book = load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    assert "每天的出勤" in book.sheetnames
    health_report = Report.objects.get(unit_id=sessions["mon"].unit.school_id, period="daily")
    page = sign_in(client, roles["health"]).get(f"/analytics/reports/{health_report.pk}/")
    assert 'data-panel="attendance' not in page.content.decode()


def test_sessions_not_over_are_not_counted_yet(sessions, time_machine):
    later = sessions["later"]
    assert not DailyAttendanceSummary.objects.filter(day=TODAY, unit=later.unit).exists()
    time_machine.move_to(later.ends_at + timedelta(minutes=1), tick=False)
    refresh_summaries(since=TODAY, until=TODAY)
    row = DailyAttendanceSummary.objects.get(day=TODAY, unit=later.unit)
    assert (row.due, row.unmarked) == (6, 6)


def test_the_academic_office_sees_class_attendance_only(client, school, sessions, tree):
    person = tree.person("教务处", tree.school, kind=Person.Kind.STAFF, number="T0011")
    office = tree.account("", (Role.ACADEMIC_OFFICE, tree.school), person=person)
    response = sign_in(client, office).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "课堂考勤分析" in html
    assert units(response) == {tree.main_campus.pk, tree.east_campus.pk}
    assert re.findall(r'data-panel="([^"]+)"', html) == [
        "attendance",
        "attendance_units",
        "attendance_status",
    ]
    export = client.get(f"/analytics/export.xlsx?days=7&day={TODAY}")
    book = load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    assert "每天的出勤" in book.sheetnames and "每日打卡" not in book.sheetnames
    assert client.get("/analytics/reports/").status_code == 403
