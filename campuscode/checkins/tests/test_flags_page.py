"""The reviewers' flags page (/checkins/flags/): evidence in plain words, filters, pages,
export, audit, scope; and the check-ins not written by the application (issue 9, case 10)."""

import io

import openpyxl
import pytest
from django.test import Client

from campuscode.audit.models import AuditEntry
from campuscode.checkins.models import Flag
from campuscode.people.models import Role
from conftest import sign_in

from .conftest import GOOD, check_in, point_path
from .test_honesty_cases import IPHONE_PRINT, phone
from .test_integrity import _raw_backdated_insert

pytestmark = pytest.mark.django_db

TODAY = "first=2026-03-02&last=2026-03-02"


@pytest.fixture
def shared(tree, student, point, morning):
    """The student and a roommate checked in on one phone, its cookies cleared between."""
    roommate = tree.person("赵同学", tree.cs_2501)
    for person in (student, roommate):
        check_in(sign_in(Client(), person.user), point, {"fp": IPHONE_PRINT}, **phone())
        morning.shift(40)
    return roommate


def zh(client, path):
    return client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_it_shows_each_flag_with_its_evidence_in_plain_chinese(
    client, student, shared, adviser, morning
):
    sign_in(client, adviser)
    response = zh(client, f"/checkins/flags/?{TODAY}")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-person="{student.pk}"' in page and 'data-reason="shared_device"' in page
    for words in ("网络地址：10.20.0.1", "iPhone · iOS 17.4", "屏幕 390×844", "赵同学", "无痕"):
        assert words in page, words
    entry = AuditEntry.objects.get(action="checkins.flags.viewed", actor=adviser)
    assert set(entry.data["people"]) == {student.pk, shared.pk}


def test_it_filters_by_reason_unit_date_and_explanation(
    client, student, shared, adviser, dept_admin, point, morning, tree
):
    late = tree.person("钱同学", tree.cs_2501)
    sign_in(client, late.user)
    client.post(point_path(point), {**GOOD, "key": "scripted"}, **phone(address="10.1.1.1"))
    sign_in(client, adviser)

    def people(query):
        rows = zh(client, f"/checkins/flags/?{TODAY}&{query}").context["rows"]
        return sorted((row.person.pk, row.reason) for row in rows)

    assert people("reason=not_opened") == [(late.pk, "not_opened")]
    assert len(people("reason=shared_device")) == 2
    sign_in(client, dept_admin)  # the college: its classes are units to filter by
    assert people(f"unit={tree.cs_2502.pk}") == []
    assert len(people(f"unit={tree.cs_2501.pk}")) == 3
    sign_in(client, adviser)
    assert people("first=2026-03-03&last=2026-03-09") == []
    flag = Flag.objects.get(reason="not_opened")
    client.post(f"/checkins/flags/{flag.pk}/explain/", {"explanation": "扫码失败，手动输入"})
    assert people("explained=yes") == [(late.pk, "not_opened")]
    assert (late.pk, "not_opened") not in people("explained=no")


def test_bad_filters_get_a_message_not_an_error(client, shared, adviser, morning):
    sign_in(client, adviser)
    response = zh(client, "/checkins/flags/?first=昨天&reason=nonsense&unit=99999&page=x")
    assert response.status_code == 400
    page = response.content.decode()
    assert "不是" in page and page.count("data-filter-error") == 3
    assert response.context["rows"]  # the default period is shown


def test_it_pages_the_flags(client, tree, point, morning, adviser):
    people = [tree.person(f"学生{i}", tree.cs_2501) for i in range(55)]
    for n, person in enumerate(people):  # each from their own phone and address, scripted
        sign_in(Client(), person.user).post(
            point_path(point), {**GOOD, "key": "k"}, REMOTE_ADDR=f"10.0.{n}.1"
        )
    sign_in(client, adviser)
    first = zh(client, f"/checkins/flags/?{TODAY}")
    second = zh(client, f"/checkins/flags/?{TODAY}&page=2")
    assert len(first.context["rows"]) == 50 and len(second.context["rows"]) == 5
    assert 'rel="next"' in first.content.decode()


def test_it_exports_the_flags_with_their_evidence(client, student, shared, adviser, morning):
    sign_in(client, adviser)
    response = client.get(f"/checkins/flags/export.xlsx?{TODAY}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.getvalue())).worksheets[0].values)
    assert len(rows) == 3
    mine = next(row for row in rows if row[0] == student.number)
    assert "10.20.0.1" in mine[5] and "iPhone" in mine[5]
    assert AuditEntry.objects.filter(action="checkins.flags.exported", actor=adviser).exists()


def test_it_shows_only_the_flags_in_the_readers_scope(
    client, student, shared, outsider, tree, morning
):
    assert sign_in(client, outsider).get(f"/checkins/flags/?{TODAY}").status_code == 403
    english = tree.person("英语老师", tree.lang, kind="staff", number="T0100")
    other = tree.account("", (Role.CLASS_ADVISER, tree.en_2501), person=english)
    response = sign_in(client, other).get(f"/checkins/flags/?{TODAY}")
    assert response.status_code == 200 and response.context["rows"] == []


def test_the_names_of_other_accounts_outside_the_scope_are_not_shown(
    client, student, tree, point, morning
):
    """A phone shared across classes: each adviser reads only their own student's name."""
    other = tree.person("外班同学", tree.cs_2502)
    for person in (student, other):
        check_in(sign_in(Client(), person.user), point, {"fp": IPHONE_PRINT}, **phone())
    adviser_person = tree.person("王老师", tree.cs, kind="staff", number="T0200")
    adviser = tree.account("", (Role.CLASS_ADVISER, tree.cs_2501), person=adviser_person)
    page = zh(sign_in(client, adviser), f"/checkins/flags/?{TODAY}").content.decode()
    assert student.name in page and "外班同学" not in page
    assert "另有 1 个账号不在您的范围内" in page


def test_rows_not_written_by_the_application_show_on_the_flags_page_and_in_the_lists(
    client, student, adviser, point, morning, tree
):
    classmate = tree.person("孙同学", tree.cs_2501)
    sign_in(client, student.user)
    check_in(client, point)
    check_in(sign_in(Client(), classmate.user), point, **phone(address="10.3.3.3"))
    # A row slipped into the database for a window missed three days ago.
    forged = _raw_backdated_insert(student, point.pk)
    sign_in(client, adviser)
    flags = zh(client, "/checkins/flags/?first=2026-02-27&last=2026-03-02&reason=tampered")
    assert [row.checkin.pk for row in flags.context["rows"]] == [forged]
    assert "非系统写入" in flags.content.decode()
    roll = client.get("/checkins/lists/?day=2026-02-27&period=morning&show=tampered")
    assert [row.person.pk for row in roll.context["rows"]] == [student.pk]
    today = client.get("/checkins/lists/?day=2026-03-02&period=morning&show=tampered")
    assert list(today.context["rows"]) == []


def test_the_menu_links_the_flags_page(client, adviser, student, morning):
    page = zh(sign_in(client, adviser), "/checkins/lists/").content.decode()
    assert 'href="/checkins/flags/"' in page
    page = zh(sign_in(client, student.user), "/checkins/").content.decode()
    assert 'href="/checkins/flags/"' not in page
