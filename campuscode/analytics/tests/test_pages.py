"""The dashboards through HTTP, per role: each sees its own scope only, small groups are
hidden, rankings are off unless the school turns them on, and the exports match (R6.3)."""

import io
import re

import pytest
from openpyxl import load_workbook

from campuscode.analytics.summaries import refresh_summaries
from campuscode.audit.models import AuditEntry
from campuscode.core.rules import set_setting
from conftest import sign_in

from .conftest import FIRST, TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(school, roles):
    refresh_summaries(since=FIRST, until=TODAY)
    return school


def units_listed(response) -> set[int]:
    table = re.search(r'data-table="units".*?</table>', response.content.decode(), re.S)
    return {int(pk) for pk in re.findall(r'data-unit="(\d+)"', table.group(0))}


def rates(response, table: str) -> dict[str, str]:
    html = re.search(rf'data-table="{table}".*?</table>', response.content.decode(), re.S).group(0)
    return dict(re.findall(r'data-(?:day|unit)="([^"]+)".*?<td data-rate>([^<]*)</td>', html, re.S))


def test_each_role_sees_its_own_scope(client, counted, roles):
    tree = counted.tree
    adviser = sign_in(client, roles["adviser"]).get("/analytics/?days=7&day=2026-03-04")
    assert adviser.status_code == 200
    assert units_listed(adviser) == {tree.cs_2501.pk}
    dept = sign_in(client, roles["dept_admin"]).get("/analytics/?days=7&day=2026-03-04")
    # The college's classes and its own staff (the accounts of this test sit in the college).
    assert units_listed(dept) == {tree.cs.pk, tree.cs_2501.pk, tree.cs_2502.pk}
    health = sign_in(client, roles["health"]).get("/analytics/?days=7&day=2026-03-04")
    assert units_listed(health) == {tree.main_campus.pk, tree.east_campus.pk}
    main = sign_in(client, roles["health"]).get(f"/analytics/?unit={tree.main_campus.pk}")
    assert units_listed(main) == {tree.cs.pk, tree.main_campus.pk} or units_listed(main) >= {
        tree.cs.pk
    }
    for role in ("teacher", "gate", "sysadmin", "outsider"):
        assert sign_in(client, roles[role]).get("/analytics/").status_code == 403


def test_a_unit_outside_the_scope_is_refused_and_the_own_scope_shown(client, counted, roles):
    tree = counted.tree
    response = sign_in(client, roles["adviser"]).get(f"/analytics/?unit={tree.en_2501.pk}")
    assert response.status_code == 200
    assert units_listed(response) == {tree.cs_2501.pk}
    assert "英语2501班" not in re.sub(
        r"<select.*?</select>", "", response.content.decode(), flags=re.S
    )


def test_it_shows_the_class_rates_and_audits_the_view(client, counted, roles):
    response = sign_in(client, roles["adviser"]).get("/analytics/?days=7&day=2026-03-04")
    by_day = rates(response, "trend")
    # Monday: 8 of 10 due done (2 excused aside); Tuesday: 8 of 10; today: 4 of 5 so far.
    assert by_day["2026-03-02"] == "80.0%"
    assert by_day["2026-03-03"] == "80.0%"
    assert by_day["2026-03-04"] == "80.0%"
    assert by_day["2026-02-26"] == "—"  # nothing counted that day
    entry = AuditEntry.objects.get(action="analytics.dashboard.viewed", actor=roles["adviser"])
    assert entry.data["unit"] == counted.tree.cs_2501.pk


def test_small_groups_and_small_sensitive_counts_are_hidden(client, counted, roles):
    tree = counted.tree
    response = sign_in(client, roles["dept_admin"]).get("/analytics/?days=7&day=2026-03-04")
    by_unit = rates(response, "units")
    assert by_unit[str(tree.cs_2502.pk)] == "—"  # two students: no figure
    assert by_unit[str(tree.cs_2501.pk)] != "—"
    html = response.content.decode()
    assert "&lt;5" in html
    # One fever in a class of six: "<5", never "1".
    fever = re.findall(r"<td data-fever>([^<]*)</td>", html)
    assert "1" not in fever and "&lt;5" in fever
    # One person isolated all week: 6 excused windows, still one person.
    reasons = re.search(r'data-table="reasons".*?</table>', html, re.S).group(0)
    assert re.search(r"<td>隔离或医学观察</td><td>&lt;5</td>", reasons)
    set_setting(key="analytics_min_group", value=2)
    response = sign_in(client, roles["dept_admin"]).get("/analytics/?days=7&day=2026-03-04")
    assert rates(response, "units")[str(tree.cs_2502.pk)] == "100.0%"


def test_rankings_are_off_by_default_and_on_when_the_school_wants(client, counted, roles):
    response = sign_in(client, roles["dept_admin"]).get("/analytics/?days=7&day=2026-03-04")
    assert 'data-col="rank"' not in response.content.decode()
    set_setting(key="analytics_rank_units", value=True)
    response = sign_in(client, roles["dept_admin"]).get("/analytics/?days=7&day=2026-03-04")
    assert 'data-col="rank"' in response.content.decode()


def test_the_export_holds_the_same_figures(client, counted, roles):
    response = sign_in(client, roles["adviser"]).get("/analytics/export.xlsx?days=7&day=2026-03-04")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    per_day = book.worksheets[0]
    rows = {row[0]: row for row in per_day.iter_rows(min_row=2, values_only=True)}
    assert rows["2026-03-02"][-1] == "80.0%"
    assert rows["2026-03-02"][2] == 12  # expected check-ins
    health = book.worksheets[-1]  # temperatures and symptoms
    tuesday = next(r for r in health.iter_rows(min_row=2, values_only=True) if r[0] == "2026-03-03")
    assert tuesday[3] == "<5"  # fever
    assert AuditEntry.objects.filter(action="analytics.dashboard.exported").count() == 1


def test_the_gate_traffic_is_for_gate_roles(client, counted, roles):
    from campuscode.gates.models import GateEvent, Place
    from campuscode.gates.services import register_gate

    place = Place.objects.create(campus=counted.tree.main_campus, name="南门", kind="campus_gate")
    gate, _token = register_gate(place=place, name="南门1")
    for n in range(3):
        GateEvent.objects.create(
            gate=gate,
            place=place,
            direction="in",
            at=f"2026-03-04 07:{10 + n}:00+08:00",
            allowed=True,
            reason="ok",
            nonce=f"n{n}",
        )
    refresh_summaries(since=TODAY, until=TODAY)
    response = sign_in(client, roles["gate"]).get("/analytics/gates/")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'data-hour="7"><td>07:00</td><td>3</td>', html)
    assert sign_in(client, roles["adviser"]).get("/analytics/gates/").status_code == 403
    export = sign_in(client, roles["gate"]).get("/analytics/gates/export.xlsx")
    book = load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    assert list(book.worksheets[0].iter_rows(min_row=2, values_only=True)) == [
        ("南门", "主校区", "07:00", 3, 0, 0)
    ]
