"""The casework engine: numbers, letters, frozen evidence, reminders and escalation."""

from datetime import date, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from campuscode.audit.models import AuditEntry
from campuscode.casework.deadlines import send_deadline_reminders
from campuscode.casework.documents import next_number
from campuscode.casework.evidence import evidence_of, freeze
from campuscode.casework.letters import Letter, pdf_response, render_letter
from campuscode.casework.models import EvidenceItem, ReminderSent, ReminderStage
from campuscode.casework.registry import (
    DeadlineKind,
    DocumentKind,
    OpenItem,
    register_deadlines,
    register_document,
    unit_heads,
    unregister_deadlines,
)
from campuscode.core.rules import set_setting
from campuscode.notify.models import Kind, Notice
from campuscode.people.models import Role

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))


def test_it_numbers_documents_per_school_kind_and_year(tree, monkeypatch):
    from campuscode.core import rules

    spec = rules.SettingSpec("casework_test_prefix", "校督整", "prefix")
    monkeypatch.setitem(rules.SPECS, spec.key, spec)
    register_document(DocumentKind(name="test.notice", prefix_setting=spec.key))
    register_document(DocumentKind(name="test.other", prefix_setting=spec.key))
    numbers = [
        next_number(school=tree.school, kind="test.notice", now=at("2026-03-01 09:00")).number
        for _ in range(3)
    ]
    assert numbers == ["校督整〔2026〕1号", "校督整〔2026〕2号", "校督整〔2026〕3号"]
    assert next_number(school=tree.school, kind="test.other", now=at("2026-03-01 09:00")).seq == 1
    set_setting(key=spec.key, value="校纪处")
    assert (
        next_number(school=tree.school, kind="test.notice", now=at("2027-01-02 09:00")).number
        == "校纪处〔2027〕1号"
    )


def test_it_renders_a_chinese_letter_as_a_pdf_download():
    pdf = render_letter(
        Letter(
            title="整改通知书",
            number="校督整〔2026〕3号",
            addressee="计算机学院：",
            paragraphs=["经督导检查，发现以下问题：<script>签到率不实。", "请于期限内整改。"],
            basis="依据《学校疫情防控管理规定》第七条。",
            signature="学校疫情防控督导组",
            date=date(2026, 3, 2),
            heading="测试大学",
        )
    )
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf
    response = pdf_response(pdf, filename="整改通知书.pdf", ascii_filename="notice.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="notice.pdf"')
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_freezes_a_record_with_its_hash_and_day(tree, student, outsider):
    item = freeze(
        actor=outsider,
        record=student,
        applies_on=date(2026, 3, 2),
        owner="supervision.finding:1",
        subject=student,
    )
    assert item.snapshot["name"] == "张小伟" and item.intact
    assert item.record_type == "people.person" and item.record_id == str(student.pk)
    assert list(evidence_of("supervision.finding:1")) == [item]
    assert AuditEntry.objects.filter(action="casework.evidence.frozen", subject=student).exists()
    # A later change of the record does not change the copy; a forged copy shows.
    student.name = "张大伟"
    student.save()
    EvidenceItem.objects.filter(pk=item.pk).update(snapshot={**item.snapshot, "name": "x"})
    assert not EvidenceItem.objects.get(pk=item.pk).intact
    with pytest.raises(ValueError):
        item.save()


@pytest.fixture
def items(tree):
    """A kind of item with a deadline, its items kept in a list the test changes."""
    open_now: list[OpenItem] = []
    register_deadlines(DeadlineKind(name="test.item", open_items=lambda now: list(open_now)))
    yield open_now
    unregister_deadlines("test.item")


def sent(stage=None):
    rows = ReminderSent.objects.all()
    return rows.filter(stage=stage).count() if stage else rows.count()


def test_it_reminds_and_escalates_once_each_with_the_time_machine(tree, items):
    worker = tree.account("worker", (Role.TEACHER, tree.cs))
    dean = tree.account("dean", (Role.DEPARTMENT_ADMIN, tree.cs))
    lead = tree.account("lead", (Role.SUPERVISION, tree.school))
    assert unit_heads(tree.cs_2501) == [dean]
    items.append(
        OpenItem(
            key="test.item:1",
            issued_at=at("2026-03-02 10:00"),
            deadline=at("2026-03-12 17:00"),
            text="整改通知书 校督整〔2026〕1号",
            url="/somewhere/",
            responsible=[worker],
            escalation=[unit_heads(tree.cs_2501), [lead]],
        )
    )
    run = send_deadline_reminders(now=at("2026-03-02 10:05"))
    assert run.sent == {ReminderStage.ISSUED: 1}
    assert send_deadline_reminders(now=at("2026-03-02 18:00")).total == 0  # a re-run: nothing
    assert send_deadline_reminders(now=at("2026-03-08 09:00")).total == 0
    assert send_deadline_reminders(now=at("2026-03-09 09:00")).sent == {ReminderStage.BEFORE: 1}
    assert send_deadline_reminders(now=at("2026-03-12 08:00")).sent == {ReminderStage.DUE: 1}
    assert send_deadline_reminders(now=at("2026-03-12 18:00")).total == 0  # overdue, not yet
    assert send_deadline_reminders(now=at("2026-03-13 09:00")).sent == {
        ReminderStage.ESCALATED_1: 1
    }
    assert Notice.objects.filter(user=dean, kind=Kind.DEADLINE_ESCALATED).count() == 1
    assert not Notice.objects.filter(user=lead).exists()
    assert send_deadline_reminders(now=at("2026-03-15 09:00")).sent == {
        ReminderStage.ESCALATED_2: 1
    }
    assert Notice.objects.filter(user=lead, kind=Kind.DEADLINE_ESCALATED).count() == 1
    assert Notice.objects.filter(user=worker, kind=Kind.DEADLINE_REMINDER).count() == 3
    assert "校督整〔2026〕1号" in Notice.objects.filter(user=lead).get().text
    assert AuditEntry.objects.filter(action="casework.deadline.escalated").count() == 2
    assert send_deadline_reminders(now=at("2026-03-20 09:00")).total == 0


def test_an_extension_rearms_the_reminders_and_a_closed_item_gets_none(tree, items):
    worker = tree.account("worker", (Role.TEACHER, tree.cs))
    item = OpenItem(
        key="test.item:2",
        issued_at=at("2026-03-02 10:00"),
        deadline=at("2026-03-04 17:00"),
        text="x",
        responsible=[worker],
    )
    items.append(item)
    # Issued two days before the deadline: no separate "days before" reminder.
    assert send_deadline_reminders(now=at("2026-03-02 10:00")).sent == {ReminderStage.ISSUED: 1}
    assert send_deadline_reminders(now=at("2026-03-03 10:00")).total == 0
    items[0] = OpenItem(**{**item.__dict__, "deadline": at("2026-03-20 17:00")})
    assert send_deadline_reminders(now=at("2026-03-17 10:00")).sent == {ReminderStage.BEFORE: 1}
    items.clear()  # done
    assert send_deadline_reminders(now=at("2026-03-20 10:00")).total == 0


def test_the_command_takes_a_time_and_is_idempotent(tree, items):
    worker = tree.account("worker", (Role.TEACHER, tree.cs))
    items.append(
        OpenItem(
            key="test.item:3",
            issued_at=at("2026-03-02 10:00"),
            deadline=at("2026-03-04 17:00"),
            text="x",
            responsible=[worker],
        )
    )
    out = StringIO()
    call_command("send-deadline-reminders", "--now", "2026-03-04T09:00+08:00", stdout=out)
    assert "1 open items, 1 reminders sent" in out.getvalue()
    call_command("send-deadline-reminders", "--now", "2026-03-04T09:00+08:00", stdout=out)
    assert sent() == 1
