"""Who has and has not checked in: scope, counts, filters, XLSX, audit."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from campuscode.audit.models import AuditEntry
from conftest import sign_in

from .conftest import check_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def classmates(tree, student, point, morning):
    late = tree.person("钱同学", tree.cs_2501)
    sick = tree.person("孙同学", tree.cs_2501)
    check_in(sign_in(Client(), student.user), point)
    check_in(sign_in(Client(), sick.user), point, {"temperature": "38.2"})
    return {"checked": student, "missing": late, "yellow": sick}


def _rows(page: str) -> dict[str, str]:
    import re

    return dict(re.findall(r'data-person="(\d+)" data-state="(\w+)"', page))


def test_an_adviser_sees_who_has_and_has_not_checked_in(client, adviser, classmates, other_student):
    sign_in(client, adviser)
    response = client.get("/checkins/lists/")
    assert response.status_code == 200
    rows = _rows(response.content.decode())
    assert rows == {
        str(classmates["checked"].pk): "checked",
        str(classmates["missing"].pk): "open",  # the window is still open at 08:00
        str(classmates["yellow"].pk): "checked",
    }
    total = response.context["roll"].total
    assert (total.expected, total.checked, total.missed, total.pending, total.yellow) == (
        3,
        2,
        0,
        1,
        1,
    )
    assert str(other_student.pk) not in rows  # another class


@pytest.mark.parametrize(
    ("show", "who"),
    [("missing", ["missing"]), ("yellow", ["yellow"]), ("checked", ["checked", "yellow"])],
)
def test_the_list_filters(client, adviser, classmates, show, who):
    sign_in(client, adviser)
    rows = _rows(client.get(f"/checkins/lists/?show={show}").content.decode())
    assert set(rows) == {str(classmates[k].pk) for k in who}


def test_a_department_admin_sees_counts_per_class(client, dept_admin, classmates, tree):
    tree.person("周同学", tree.cs_2502)
    sign_in(client, dept_admin)
    response = client.get("/checkins/lists/")
    counts = {c.unit.name: (c.expected, c.checked) for c in response.context["roll"].counts}
    assert counts["计科2501班"] == (3, 2) and counts["计科2502班"] == (1, 0)
    narrowed = client.get(f"/checkins/lists/?unit={tree.cs_2502.pk}")
    assert [r.person.name for r in narrowed.context["rows"]] == ["周同学"]


def test_a_unit_outside_the_scope_is_not_found(client, adviser, classmates, tree):
    sign_in(client, adviser)
    assert client.get(f"/checkins/lists/?unit={tree.en_2501.pk}").status_code == 404


def test_the_list_is_exported_to_xlsx_and_audited(client, adviser, classmates):
    sign_in(client, adviser)
    response = client.get("/checkins/lists/export.xlsx?show=all")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert numbers == {p.number for p in classmates.values()}
    assert AuditEntry.objects.filter(action="checkins.list.exported", actor=adviser).exists()


def test_viewing_the_list_is_audited(client, adviser, classmates):
    sign_in(client, adviser)
    client.get("/checkins/lists/")
    entry = AuditEntry.objects.get(action="checkins.list.viewed")
    assert set(entry.data["people"]) == {p.pk for p in classmates.values()}


@pytest.mark.parametrize("who", ["outsider", "sysadmin", "student"])
def test_people_without_a_health_role_get_403(client, request, who, classmates):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    sign_in(client, user)
    assert client.get("/checkins/lists/").status_code == 403
    assert client.get("/checkins/lists/export.xlsx").status_code == 403


def test_htmx_filters_swap_only_the_table(client, adviser, classmates):
    sign_in(client, adviser)
    page = client.get("/checkins/lists/?show=missing", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in page and "data-person" in page


def test_the_list_page_charts_the_last_14_days(client, adviser, classmates):
    """Today: 1 green and 1 yellow of the class's check-ins; every other day all missing."""
    from campuscode.checkins.selectors import trend

    response = sign_in(client, adviser).get("/checkins/lists/")
    today = response.context["day"]
    days = trend(user=adviser, end=today).days
    assert len(days) == 14 and days[-1].day == today
    assert (days[-1].green, days[-1].yellow, days[-1].red) == (1, 1, 0)
    assert all(d.checked == 0 and d.missed == d.expected for d in days[:-1])
    segments = sum(
        bool(v) for d in days for v in (d.green, d.yellow, d.red, d.excused, d.missed, d.pending)
    )
    svg = response.context["trend"]["svg"]
    assert svg.startswith("<svg") and svg.count("<rect") == segments
    assert 'class="chart"' in response.content.decode()


def test_the_chart_is_not_redrawn_on_filter_changes(client, adviser, classmates):
    response = sign_in(client, adviser).get("/checkins/lists/", headers={"HX-Request": "true"})
    assert "trend" not in response.context
