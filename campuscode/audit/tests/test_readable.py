"""The audit log for its readers: every action has a label, shown with who (name, role),
whom (name, masked number), filters and rows, on the page, in the exports, and the raw
data on the entry's own page (issue 10)."""

import ast
import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from campuscode.audit.actions import AREAS, AuditAction
from campuscode.audit.models import AuditEntry
from campuscode.audit.services import log_action
from campuscode.people.models import Person, Role
from conftest import sign_in

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [
    path
    for folder in ("campuscode", "config")
    for path in (ROOT / folder).rglob("*.py")
    if "tests" not in path.parts and "migrations" not in path.parts
]
# Dotted strings shaped like an action that are not one (signal ids, rate-limit groups).
NOT_ACTIONS = {
    "followup.cases.checkin",  # dispatch_uid
    "followup.cases.manual_status",  # dispatch_uid
    "accounts.claim.failures",  # rate-limit group
    "accounts.claim.sends",  # rate-limit group
}
ACTION_SHAPE = re.compile(rf"^({'|'.join(AREAS)})\.[a-z_]+\.[a-z_]+$")


def _action_arguments():
    """(file, line, node) for every `action=` argument of every log_action call."""
    for path in SOURCES:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            name = getattr(node, "func", None)
            name = getattr(name, "id", None) or getattr(name, "attr", None)
            if isinstance(node, ast.Call) and name == "log_action":
                for keyword in node.keywords:
                    if keyword.arg == "action":
                        yield path.relative_to(ROOT), keyword.value.lineno, keyword.value


def _values(node) -> list[str]:
    """The strings an expression can evaluate to: a literal, or either side of `a if c
    else b` (a name or a lookup is left to the next test)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _values(node.body) + _values(node.orelse)
    return []


def test_every_action_written_in_the_code_has_a_readable_label():
    labelled = set(AuditAction.values)
    literals, missing, computed = set(), [], []
    for path, line, value in _action_arguments():
        if isinstance(value, ast.JoinedStr):
            computed.append(f"{path}:{line}")  # an f-string action cannot be checked
        for literal in _values(value):
            literals.add(literal)
            if literal not in labelled:
                missing.append(f"{path}:{line} {literal}")
    assert not computed, computed
    assert not missing, missing
    assert {"people.contact.revealed", "gates.alert.resolved"} <= literals


def test_every_action_shaped_string_in_the_code_has_a_label():
    """Actions passed through a helper (`_audit_search(request, "gates.events.viewed")`)
    or kept in a dict are caught here."""
    missing = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and ACTION_SHAPE.match(node.value)
                and node.value not in NOT_ACTIONS
                and node.value not in AuditAction.values
            ):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    assert not missing, missing


def test_every_label_is_translated_into_chinese():
    labels = [*AuditAction.labels, *AREAS.values()]
    with translation.override("en"):
        english = [str(label) for label in labels]
    with translation.override("zh-hans"):
        untranslated = [en for en, label in zip(english, labels, strict=True) if str(label) == en]
    assert not untranslated, untranslated


@pytest.fixture
def supervisor(tree):
    staff = tree.person("孙立新", tree.hr_office, kind=Person.Kind.STAFF, number="T0007")
    return tree.account("", (Role.SUPERVISION, tree.school), person=staff)


@pytest.fixture
def seeded(tree, adviser, student):
    student.phone = "13812345678"
    student.save()
    adviser_person = Person.objects.get(user=adviser)
    entry = log_action(
        action="gates.events.viewed",
        actor=adviser,
        client_ip="10.0.0.7",
        subject=student,
        data={"filters": {"place_id": 3, "refused_only": True}, "rows": 12},
    )
    return entry, adviser_person


@pytest.mark.django_db
def test_the_list_shows_who_did_what_to_whom_in_plain_chinese(client, supervisor, seeded, student):
    entry, adviser_person = seeded
    page = sign_in(client, supervisor).get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    row = html.split(f'data-entry="{entry.pk}"')[1].split("</tr>")[0]
    assert "查询通行记录" in row  # the label, not gates.events.viewed as text
    assert ">gates.events.viewed<" not in row
    assert f"{adviser_person.name}（班主任）" in row
    assert student.name in row and "138****5678" in row
    assert student.number not in row.replace(f'data-entry="{entry.pk}"', "")
    assert "场所：3" in row and "仅看未通过：是" in row
    assert ">12<" in row
    assert f'href="/audit/{entry.pk}/"' in row


@pytest.mark.django_db
def test_it_filters_by_a_readable_action_from_a_grouped_list(client, supervisor, seeded):
    entry, _ = seeded
    other = log_action(action="core.settings.changed", actor=supervisor, data={})
    html = sign_in(client, supervisor).get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = html.content.decode()
    select = html.split('name="action"')[1].split("</select>")[0]
    assert '<optgroup label="门禁">' in select
    assert '<option value="gates.events.viewed">查询通行记录</option>' in select
    assert '<option value="gates.">门禁（全部操作）</option>' in select
    shown = client.get("/audit/", {"action": "gates.events.viewed"}).content.decode()
    assert f'data-entry="{entry.pk}"' in shown and f'data-entry="{other.pk}"' not in shown
    shown = client.get("/audit/", {"action": "gates."}).content.decode()
    assert f'data-entry="{entry.pk}"' in shown and f'data-entry="{other.pk}"' not in shown
    bad = client.get("/audit/", {"action": "no.such.thing"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


@pytest.mark.django_db
def test_the_exports_carry_the_same_readable_columns(client, supervisor, seeded, student):
    entry, adviser_person = seeded
    sign_in(client, supervisor)
    response = client.get("/audit/export.csv", HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    header, body = rows[0], rows[1:]
    assert header[:8] == [
        "时间",
        "操作人",
        "角色",
        "操作",
        "涉及人员",
        "筛选条件",
        "行数",
        "IP 地址",
    ]
    row = next(r for r in body if r[8] == str(entry.pk))
    assert row[1:7] == [
        adviser_person.name,
        "班主任",
        "查询通行记录",
        f"{student.name}，{student.number[:4]}{'*' * (len(student.number) - 6)}"
        f"{student.number[-2:]}，138****5678",
        "场所：3；仅看未通过：是",
        "12",
    ]
    assert row[9] == "gates.events.viewed"  # the code, for the auditor's own tools
    xlsx = client.get("/audit/export.xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    xlsx.close()
    sheet = book.worksheets[0]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0][3] == "操作"
    assert any(r[3] == "查询通行记录" and r[8] == entry.pk for r in values[1:])


@pytest.mark.django_db
def test_the_entry_page_keeps_the_raw_data_for_the_auditor_and_is_audited(
    client, tree, seeded, student
):
    entry, _ = seeded
    auditor = tree.account("auditor", (Role.AUDITOR, tree.school))
    page = sign_in(client, auditor).get(f"/audit/{entry.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert "查询通行记录" in html and "gates.events.viewed" in html
    assert "&quot;refused_only&quot;: true" in html and "&quot;rows&quot;: 12" in html
    read = AuditEntry.objects.get(action="audit.entry.viewed")
    assert (read.actor, read.subject, read.data) == (auditor, student, {"entry": entry.pk})


@pytest.mark.django_db
def test_the_entry_page_is_for_audit_readers_within_their_scope(
    client, tree, seeded, adviser, outsider
):
    entry, _ = seeded
    assert sign_in(client, adviser).get(f"/audit/{entry.pk}/").status_code == 403
    elsewhere = tree.account("east", (Role.AUDITOR, tree.east_campus))
    assert sign_in(client, elsewhere).get(f"/audit/{entry.pk}/").status_code == 404
    assert not AuditEntry.objects.filter(action="audit.entry.viewed").exists()
