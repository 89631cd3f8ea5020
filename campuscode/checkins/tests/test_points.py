"""Points: the kiosk screen, posters, the admin page and XLSX bulk edit, notices, campuses."""

import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from campuscode.checkins.models import CampusAssignment, CheckinPoint, WindowNotice
from campuscode.checkins.tokens import check_point_token
from conftest import sign_in

from .conftest import enrol

pytestmark = pytest.mark.django_db


def _url_in(page: str) -> str:
    return re.search(r'data-url="([^"]+)"', page).group(1)


def test_the_kiosk_shows_a_fresh_point_url_and_rotates_it(client, point, morning):
    enrol(client, point)
    page = client.get(f"/checkins/kiosk/{point.pk}/").content.decode()
    url = _url_in(page)
    assert url.startswith(f"http://testserver/checkins/p/{point.pk}/") and "<svg" in page
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert check_point_token(point.pk, token, poster_version=1).result == "ok"
    morning.shift(20)
    panel = client.get(f"/checkins/kiosk/{point.pk}/panel/").content.decode()
    assert _url_in(panel) != url and "kiosk-count" in panel


def test_the_kiosk_counts_todays_checkins(client, student, point, morning):
    from .conftest import check_in

    check_in(sign_in(client, student.user), point)
    client.logout()
    enrol(client, point)
    panel = client.get(f"/checkins/kiosk/{point.pk}/panel/")
    assert panel.context["count"] == 1


def test_a_poster_carries_a_static_code_for_the_admin(client, point, sysadmin, adviser):
    point.codes = "both"
    point.save()
    sign_in(client, sysadmin)
    page = client.get(f"/checkins/points/{point.pk}/poster/").content.decode()
    assert f"/checkins/p/{point.pk}/p1." in _url_in(page)
    sign_in(client, adviser)
    assert client.get(f"/checkins/points/{point.pk}/poster/").status_code == 403


def test_the_admin_adds_and_edits_points(client, sysadmin, tree):
    sign_in(client, sysadmin)
    response = client.post(
        "/checkins/points/",
        {
            "campus": tree.east_campus.pk,
            "building": "3号宿舍楼",
            "name": "宿舍大厅",
            "kind": "dormitory",
            "active": "on",
            "codes": "poster",
        },
    )
    assert response.status_code == 302
    point = CheckinPoint.objects.get()
    assert (point.campus, point.kind, point.active, point.codes) == (
        tree.east_campus,
        "dormitory",
        True,
        "poster",
    )
    client.post(f"/checkins/points/{point.pk}/", {"withdraw_posters": "1"})
    point.refresh_from_db()
    assert point.poster_version == 2


def test_points_are_bulk_edited_with_xlsx(client, sysadmin, point, tree):
    sign_in(client, sysadmin)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["校区", "楼宇", "名称", "类型", "启用", "有屏幕"])
    sheet.append(["主校区", "第一教学楼", "一教东门", "教学楼", "否", "是"])  # update
    sheet.append(["东校区", "东门", "东校区东门", "校门", "是", "否"])  # new
    handle = io.BytesIO()
    workbook.save(handle)
    handle.seek(0)
    handle.name = "points.xlsx"
    assert client.post("/checkins/points/import/", {"file": handle}).status_code == 302
    point.refresh_from_db()
    assert point.active is False
    assert CheckinPoint.objects.get(name="东校区东门").kind == "entrance"
    export = client.get("/checkins/points/export.xlsx")
    rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.values)
    assert len(rows) == 3


def test_a_bad_sheet_changes_nothing_and_names_the_rows(client, sysadmin, tree):
    sign_in(client, sysadmin)
    workbook = Workbook()
    workbook.active.append(["校区", "楼宇", "名称", "类型"])
    workbook.active.append(["主校区", "一教", "东门", "教学楼"])
    workbook.active.append(["火星校区", "一教", "西门", "飞船"])
    handle = io.BytesIO()
    workbook.save(handle)
    handle.seek(0)
    handle.name = "p.xlsx"
    response = client.post("/checkins/points/import/", {"file": handle})
    assert response.status_code == 400 and not CheckinPoint.objects.exists()
    assert any("3" in e for e in response.context["import_errors"])


def test_only_the_admin_manages_points(client, adviser, outsider):
    for user in (adviser, outsider):
        sign_in(client, user)
        assert client.get("/checkins/points/").status_code == 403


def test_the_admin_publishes_a_date_notice(client, sysadmin, student, tree):
    sign_in(client, sysadmin)
    response = client.post(
        "/checkins/notices/",
        {
            "title": "期末考试",
            "first_day": "2026-06-20",
            "last_day": "2026-06-22",
            "kind": "times",
            "morning": "6:30-7:30",
            "afternoon": "",
        },
    )
    assert response.status_code == 302
    notice = WindowNotice.objects.get()
    assert (notice.morning, notice.afternoon, notice.school) == ("06:30-07:30", "", tree.school)
    bad = client.post(
        "/checkins/notices/",
        {
            "title": "x",
            "first_day": "2026-06-20",
            "last_day": "2026-06-19",
            "kind": "times",
            "morning": "9:00-8:00",
        },
    )
    assert bad.status_code == 400
    sign_in(client, student.user)
    assert "期末考试" in client.get("/checkins/notices/").content.decode()
    assert client.post("/checkins/notices/", {"title": "x"}).status_code == 403


def test_extra_campuses_are_managed_by_people_admins(client, sysadmin, adviser, tree):
    sign_in(client, sysadmin)
    client.post("/checkins/campuses/", {"number": "T0001", "campus": tree.east_campus.pk})
    assignment = CampusAssignment.objects.get()
    assert (assignment.person, assignment.campus) == (adviser.person, tree.east_campus)
    sign_in(client, adviser)
    assert client.get("/checkins/campuses/").status_code == 403
