import csv
import io
import re

import openpyxl
import pytest
from django.urls import get_resolver

from campuscode.audit.models import AuditEntry
from campuscode.audit.services import log_action, verify_chain
from campuscode.people.models import Person, Role
from conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(tree):
    staff = tree.person("孙督导", tree.hr_office, kind=Person.Kind.STAFF, number="T0007")
    return tree.account("", (Role.SUPERVISION, tree.school), person=staff)


class FakeRequest:
    def __init__(self, user, ip):
        self.user, self.META = user, {"REMOTE_ADDR": ip}


def _shown(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-entry="(\d+)"', response.content.decode())]


def _seed(time_machine, adviser, sysadmin, student, other_student):
    """Entries on two days around midnight in Shanghai, from two addresses."""
    time_machine.move_to("2026-03-01 23:59 +0800", tick=False)
    a = log_action(
        action="people.profile.viewed",
        request=FakeRequest(adviser, "10.1.2.3"),
        subject=student,
    )
    time_machine.move_to("2026-03-02 00:01 +0800", tick=False)
    b = log_action(
        action="people.contact.revealed",
        request=FakeRequest(sysadmin, "192.168.0.9"),
        subject=other_student,
    )
    c = log_action(action="core.settings.changed", actor=sysadmin, data={"x": 1})
    time_machine.move_to("2026-03-05 10:00 +0800", tick=False)
    return a, b, c


def test_it_filters_by_who_whom_action_dates_and_address(
    auditor, client, time_machine, adviser, sysadmin, student, other_student
):
    a, b, c = _seed(time_machine, adviser, sysadmin, student, other_student)
    sign_in(client, auditor)

    def shown(**params):
        return set(_shown(client.get("/audit/", params))) - {
            e.pk for e in AuditEntry.objects.filter(action="audit.log.viewed")
        }

    assert shown() == {a.pk, b.pk, c.pk}
    assert shown(who="itadmin") == {b.pk, c.pk}
    assert shown(whom=student.number) == {a.pk}
    assert shown(whom="李娜") == {b.pk}
    assert shown(action="people.") == {a.pk, b.pk}
    assert shown(action="people.contact.revealed") == {b.pk}
    assert shown(start="2026-03-02") == {b.pk, c.pk}
    assert shown(end="2026-03-01") == {a.pk}
    assert shown(start="2026-03-01", end="2026-03-01") == {a.pk}
    assert shown(ip="10.1.") == {a.pk}
    assert shown(ip="192.168.0.9") == {b.pk}


def test_it_audits_viewing_the_log_with_its_filters(client, sysadmin, supervisor):
    sign_in(client, supervisor).get("/audit/", {"whom": "张", "start": "2026-03-01"})
    entry = AuditEntry.objects.get(action="audit.log.viewed")
    assert (entry.actor, entry.ip) == (supervisor, "127.0.0.1")
    assert entry.data["filters"] == {"whom": "张", "start": "2026-03-01"}


def test_it_pages_fifty_entries_at_a_time(auditor, client, sysadmin, student):
    for i in range(120):
        log_action(action="people.profile.viewed", actor=sysadmin, subject=student, data={"i": i})
    sign_in(client, auditor)
    first = _shown(client.get("/audit/"))
    third = _shown(client.get("/audit/", {"page": 3}))
    assert len(first) == 50 and len(third) == 21  # 120 + the first page's own entry
    assert first == sorted(first, reverse=True)


def test_it_answers_htmx_with_the_panel_only(auditor, client, sysadmin):
    page = sign_in(client, auditor).get("/audit/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="audit-panel"' in page and "<html" not in page


def test_it_is_read_only(auditor, client, sysadmin, student):
    entry = log_action(action="people.profile.viewed", actor=sysadmin, subject=student)
    sign_in(client, auditor)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/audit/").status_code == 405
        assert getattr(client, method)("/audit/export.csv").status_code == 405
        assert getattr(client, method)(f"/audit/{entry.pk}/").status_code == 405
    for path in (f"/audit/{entry.pk}/delete/", f"/audit/{entry.pk}/edit/"):
        assert client.post(path).status_code == 404
    # The whole of the app's routes: a list, an entry and two exports, all GET-only.
    routes = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", "") == "audit")
    assert {p.name for p in routes.url_patterns} == {"list", "entry", "export_csv", "export_xlsx"}
    AuditEntry.objects.get(pk=entry.pk)  # untouched
    assert verify_chain().ok


def test_it_exports_the_filtered_log_as_csv(auditor, client, tree, sysadmin, student):
    trap = tree.person("=cmd|x", tree.cs_2501, number="S9")
    log_action(action="people.profile.viewed", actor=sysadmin, subject=student)
    log_action(action="people.profile.viewed", actor=sysadmin, subject=trap)
    log_action(action="core.settings.changed", actor=sysadmin)
    response = sign_in(client, auditor).get("/audit/export.csv", {"action": "people."})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    body = rows[1:]
    # Readable columns first, the action's code and the raw data last (issue 10).
    assert [r[9] for r in body] == ["people.profile.viewed", "people.profile.viewed"]
    assert body[0][4].startswith("'=cmd|x，S*，") and body[1][4].startswith(f"{student.name}，")
    entry = AuditEntry.objects.get(action="audit.log.exported")
    assert entry.data == {"filters": {"action": "people."}, "format": "csv"}


def test_it_exports_the_log_as_xlsx(auditor, client, sysadmin, student):
    log_action(action="people.profile.viewed", actor=sysadmin, subject=student, data={"a": "乙"})
    response = sign_in(client, auditor).get("/audit/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert any(row[9] == "people.profile.viewed" and row[10] == '{"a": "乙"}' for row in rows)


def test_a_college_supervisor_sees_entries_about_the_college_only(
    client, tree, sysadmin, student, other_student
):
    mine = log_action(action="people.profile.viewed", actor=sysadmin, subject=student)
    log_action(action="people.profile.viewed", actor=sysadmin, subject=other_student)
    log_action(action="core.settings.changed", actor=sysadmin)
    college = tree.account("cs-supervisor", (Role.SUPERVISION, tree.cs))
    assert _shown(sign_in(client, college).get("/audit/")) == [mine.pk]


@pytest.mark.parametrize("path", ["/audit/", "/audit/export.csv", "/audit/export.xlsx"])
def test_it_refuses_roles_without_the_duty(client, adviser, outsider, student, path):
    for user in (adviser, outsider, student.user):
        assert sign_in(client, user).get(path).status_code == 403
    assert not AuditEntry.objects.exists()
