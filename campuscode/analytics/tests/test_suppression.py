"""Secondary suppression (R6.6): a figure hidden as "<N" cannot be worked out by
subtracting the figures shown from a total shown, in the tables nor in the XLSX."""

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from campuscode.analytics.models import Report
from campuscode.analytics.reports import send_reports
from campuscode.analytics.selectors import complement, complement_lines
from campuscode.analytics.tests.conftest import TODAY
from campuscode.notify.models import Notice
from conftest import sign_in

pytestmark = pytest.mark.django_db


def hidden(value) -> bool:
    return isinstance(value, str) and value.startswith("<")


def alone(cells) -> bool:
    """Exactly one hidden figure on a line whose total is known: total minus the rest."""
    return sum(map(hidden, cells)) == 1


def test_one_hidden_figure_on_a_line_takes_the_next_smallest_with_it():
    assert complement({"a": 2, "b": 9, "c": 6}, {"a"}) == {"a", "c"}
    assert complement({"a": 2, "b": 0, "c": 6}, {"a"}) == {"a", "c"}  # a zero protects nothing
    assert complement({"a": 2, "b": 0}, {"a"}) == {"a", "b"}  # unless it is all there is
    assert complement({"a": 2, "b": 3, "c": 6}, {"a", "b"}) == {"a", "b"}
    assert complement({"a": 2, "b": 3}, set()) == set()
    # Lines that cross: hiding on one line can leave a figure alone on the other.
    values = {"x": 1, "y": 7, "z": 8, "w": 9}
    assert complement_lines(values, {"x"}, [["x", "y"], ["y", "z", "w"]]) == {"x", "y", "z"}


def workbook(client, user, report) -> dict[str, list[tuple]]:
    response = sign_in(client, user).get(f"/analytics/reports/{report.pk}/export.xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return {ws.title: list(ws.iter_rows(min_row=2, values_only=True)) for ws in book.worksheets}


def test_no_hidden_figure_comes_back_by_subtraction_in_the_college_report(client, school, roles):
    """计算机学院 on 03-03: 计科2502班 (two students) is hidden; the college's own staff
    (five people, enough to show) are hidden with it, or the class's figures would be the
    college's total less the rest. The isolation count is hidden, and the advance reports
    with it (together they are the excused count the other tables show)."""
    tree = school.tree
    # Fevers on 03-04 afternoon for six people: that day's fever count may be shown, and
    # with it the week's; 03-03's single fever is hidden, so 03-04's must go too.
    for person in (*school.cs1[:1], *school.cs1[3:], *school.cs2):
        school.check_in(
            person, TODAY, "afternoon", temperature="38.2", symptoms=["fever"], colour="yellow"
        )
    send_reports(period="daily", day=date(2026, 3, 3))
    send_reports(period="weekly", day=date(2026, 3, 3))
    for period in ("daily", "weekly"):
        report = Report.objects.get(unit=tree.cs, period=period)
        sheets = workbook(client, roles["dept_admin"], report)
        units = {row[0]: row for row in sheets["按单位"]}
        assert hidden(units["计科2502班"][1]) and hidden(units["计算机学院"][1]), period
        assert units["计科2501班"][1] == 6
        for column in range(1, 5):  # people, checked, excused, missed: the totals are known
            assert not alone([row[column] for row in sheets["按单位"]]), (period, column)
        for column in range(1, 9):  # the days add up to the period
            assert not alone([row[column] for row in sheets["每日打卡"]]), (period, column)
        reasons = {row[0]: row[1] for row in sheets["未打卡原因"]}
        assert hidden(reasons["隔离或医学观察"]) and hidden(reasons["已报备（请假等）"])
        lines = [
            ["已报备（请假等）", "隔离或医学观察"],  # = excused
            ["手机打卡", "老师代登记", "补卡"],  # = checked
            list(reasons),  # = expected
        ]
        for line in lines:
            assert not alone([reasons[name] for name in line]), (period, line)
        heat = {row[0]: row[1:] for row in sheets["各单位每日打卡率"]}
        assert all(value == "—" for value in heat["计算机学院"])  # hidden with its row

    weekly = Report.objects.get(unit=tree.cs, period="weekly")
    notice = Notice.objects.get(user=roles["dept_admin"], data__report=weekly.pk)
    assert notice.data["fever"] == 7  # the week's fevers, shown
    fevers = {row[0]: row[3] for row in workbook(client, roles["dept_admin"], weekly)["体温与症状"]}
    assert hidden(fevers["2026-03-03"]) and hidden(fevers["2026-03-04"])
    assert not alone(fevers.values())

    page = sign_in(client, roles["dept_admin"]).get(f"/analytics/reports/{weekly.pk}/")
    html = page.content.decode()
    table = html.split('data-table="units"')[1].split("</table>")[0]
    own = table.split(f'data-unit="{tree.cs.pk}"')[1].split("</tr>")[0]
    assert re.findall(r"<td>([^<]*)</td>", own)[:3] == ["&lt;5"] * 3
    assert "其余最小的一个数字也一并隐藏" in html
    dashboard = sign_in(client, roles["dept_admin"]).get("/analytics/")
    assert "其余最小的一个数字也一并隐藏" in dashboard.content.decode()
