"""Who has and has not checked in: scope, counts, filters, XLSX, audit."""

import io
import re

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


@pytest.fixture
def big_school(tree, classmates):
    """More units with people than the list shows one by one (the rule lowered to 10):
    8 classes of the computer college, 4 of the language college, a clinic nurse."""
    from campuscode.core.rules import set_setting
    from campuscode.people.models import OrgUnit

    set_setting(key="checkin_list_unit_rows", value=10)
    for n in range(3, 9):
        klass = tree.unit(tree.cs, OrgUnit.Kind.CLASS, f"计科25{n:02d}班")
        tree.person(f"计{n}同学", klass, account=False)
    tree.person("英同学", tree.en_2501, account=False)
    for n in range(2, 5):
        klass = tree.unit(tree.lang, OrgUnit.Kind.CLASS, f"英语25{n:02d}班")
        tree.person(f"英{n}同学", klass, account=False)
    tree.person("医生", tree.clinic, kind="staff", account=False)
    return tree


def test_a_whole_school_list_shows_its_colleges_first(client, big_school):
    """The health office sees one row per college and office (campuses passed through),
    each the sum of its classes, each opening the college's own list of classes."""
    from campuscode.people.models import Role

    tree = big_school
    health = tree.account("health-school", (Role.HEALTH_OFFICE, tree.school))
    response = sign_in(client, health).get("/checkins/lists/")
    roll = response.context["roll"]
    assert roll.rolled and len(roll.counts) == 12
    shown = {c.unit.name: (c.expected, c.checked, c.below) for c in roll.shown}
    assert shown == {
        "计算机学院": (3 + 6, 2, True),
        "外国语学院": (1 + 3, 0, True),
        "校医院": (1, 0, False),
    }
    assert sum(c.expected for c in roll.shown) == roll.total.expected
    page = response.content.decode()
    assert f'href="?unit={tree.cs.pk}"' in page
    menu = re.search(r'<select id="f-unit".*?</select>', page, re.S).group(0)
    assert menu.count("<option") == 5  # all, and the 4 units one level down
    college = client.get(f"/checkins/lists/?unit={tree.cs.pk}")
    assert not college.context["roll"].rolled
    assert {c.unit.name for c in college.context["roll"].shown} == {
        "计科2501班",
        *(f"计科25{n:02d}班" for n in range(3, 9)),
    }
    menu = college.context["menu"]
    assert [u.name for u in menu["up"]] == ["主校区"]
    assert len(menu["below"]) == 8 and "计科2502班" in {u.name for u in menu["below"]}
    # The export stays complete: every person of the school, class by class.
    response = client.get("/checkins/lists/export.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    response.close()
    assert sheet.max_row - 1 == roll.total.expected


def test_an_htmx_change_of_unit_swaps_the_menu_and_the_chart(client, big_school):
    from campuscode.people.models import Role

    tree = big_school
    health = tree.account("health-school", (Role.HEALTH_OFFICE, tree.school))
    sign_in(client, health)
    moved = client.get(
        f"/checkins/lists/?unit={tree.lang.pk}",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/checkins/lists/",
    ).content.decode()
    assert 'id="unit-picker" hx-swap-oob="true"' in moved and 'id="trend"' in moved
    assert "英语2504班" in moved
    filtered = client.get(
        f"/checkins/lists/?unit={tree.lang.pk}&show=missing",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver/checkins/lists/?unit={tree.lang.pk}",
    ).content.decode()
    assert "hx-swap-oob" not in filtered and "data-person" in filtered
