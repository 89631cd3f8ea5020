"""Supervision (R7) through HTTP: plans, the recorded draw, headcounts, notices, scope."""

import io
from datetime import date, datetime

import openpyxl
import pytest
from django.utils import timezone

from campuscode.audit.models import AuditEntry
from campuscode.casework.deadlines import send_deadline_reminders
from campuscode.casework.evidence import evidence_of
from campuscode.casework.models import ReminderStage
from campuscode.checkins.models import Checkin, CheckinPoint
from campuscode.notify.models import Kind
from campuscode.notify.models import Notice as InAppNotice
from campuscode.people.models import Person, Role
from campuscode.supervision.draw import draw_from
from campuscode.supervision.models import (
    EventKind,
    Finding,
    Notice,
    NoticeState,
    PlanKind,
    Severity,
    SpotDraw,
)
from campuscode.supervision.services import draw_inputs, issue_notice, record_finding
from conftest import sign_in

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))


@pytest.fixture
def group(tree):
    """The group lead (school-wide) and three members, one of them from 计算机学院."""
    lead = tree.account("lead", (Role.SUPERVISION, tree.school))
    members = []
    for n, unit in enumerate([tree.cs, tree.clinic, tree.hr_office]):
        person = tree.person(f"督导{n}", unit, kind=Person.Kind.STAFF, number=f"S{n}")
        members.append(tree.account("", (Role.SUPERVISION, tree.school), person=person))
    return lead, members


@pytest.fixture
def cs_dean(tree):
    return tree.account("csdean", (Role.DEPARTMENT_ADMIN, tree.cs))


@pytest.fixture
def lang_dean(tree):
    return tree.account("langdean", (Role.DEPARTMENT_ADMIN, tree.lang))


def make_plan(client, tree, group, kind=PlanKind.SPOT, scope=None):
    lead, members = group
    scope = scope or [tree.cs_2501, tree.cs_2502]
    response = sign_in(client, lead).post(
        "/supervision/plans/new/",
        {
            "kind": kind,
            "title": "三月抽查",
            "scope": [u.pk for u in scope],
            "checklist": "签到记录与实到人数一致\n海报张贴",
            "pool": [m.pk for m in members],
            "starts_at": "2026-03-02T08:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return int(response["Location"].rstrip("/").split("/")[-1])


def test_the_draw_is_recorded_reproducible_and_honours_recusal(client, tree, group):
    _lead, members = group
    pk = make_plan(client, tree, group)
    response = client.post(
        f"/supervision/plans/{pk}/", {"draw": "1", "units_count": 1, "inspectors_count": 2}
    )
    assert response.status_code == 302
    draw = SpotDraw.objects.get(plan_id=pk)
    # The member from 计算机学院 never checks a class of that college.
    assert members[0].pk in draw.recused and members[0].pk not in draw.inspectors
    assert len(draw.inspectors) == 2
    entry = AuditEntry.objects.get(action="supervision.draw.made")
    assert entry.data["seed"] == draw.seed and entry.data["units"] == draw.units
    again = draw_from(
        seed=entry.data["seed"],
        units=[tuple(u) for u in entry.data["inputs"]["units"]],
        pool=[tuple(p) for p in entry.data["inputs"]["pool"]],
        units_count=1,
        inspectors_count=2,
    )
    assert (again.units, again.inspectors, again.recused) == (
        draw.units,
        draw.inspectors,
        draw.recused,
    )
    # Final: no second draw.
    client.post(f"/supervision/plans/{pk}/", {"draw": "1", "units_count": 2, "inspectors_count": 2})
    assert SpotDraw.objects.filter(plan_id=pk).count() == 1
    page = client.get(f"/supervision/plans/{pk}/").content.decode()
    assert draw.seed in page


def test_too_few_inspectors_after_recusal_is_refused(client, tree, group):
    pk = make_plan(client, tree, group, scope=[tree.cs])
    from campuscode.supervision.models import InspectionPlan

    plan = InspectionPlan.objects.get(pk=pk)
    plan.pool.set(group[1][:2])  # one from 计算机学院: one left
    response = client.post(
        f"/supervision/plans/{pk}/", {"draw": "1", "units_count": 1, "inspectors_count": 2}
    )
    assert response.status_code == 400 and not SpotDraw.objects.exists()
    assert draw_inputs(plan)["units"] == [(tree.cs.pk, tree.cs.path)]


def test_a_headcount_below_the_records_becomes_a_finding_naming_people_to_the_group_only(
    client, tree, group, cs_dean
):
    point = CheckinPoint.objects.create(campus=tree.main_campus, building="一教", name="东门")
    people = [tree.person(f"学生{i}", tree.cs_2501) for i in range(5)]
    for person in people:
        Checkin.objects.create(
            person=person,
            point=point,
            at=at("2026-03-02 08:00"),
            day=date(2026, 3, 2),
            period="morning",
            temperature="36.5",
            colour="green",
            reason="normal",
            via="screen",
            idempotency_key=f"k{person.pk}",
        )
    pk = make_plan(client, tree, group, kind=PlanKind.ONSITE, scope=[tree.cs_2501])
    present = "\n".join(p.number for p in people[:3])
    response = client.post(
        f"/supervision/plans/{pk}/",
        {
            "headcount": "1",
            "unit": tree.cs_2501.pk,
            "day": "2026-03-02",
            "period": "morning",
            "counted": 3,
            "present": present,
        },
    )
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert "5" in finding.description and "3" in finding.description
    [evidence] = evidence_of(finding)
    assert evidence.intact and evidence.snapshot["not_present"] == [p.number for p in people[3:]]
    assert evidence.applies_on == date(2026, 3, 2)
    notice = issue_notice(actor=group[0], finding=finding)
    group_page = client.get(f"/supervision/notices/{notice.pk}/").content.decode()
    assert people[4].number in group_page
    dean_page = sign_in(client, cs_dean).get(f"/supervision/notices/{notice.pk}/")
    assert dean_page.status_code == 200 and people[4].number not in dean_page.content.decode()


def test_the_notice_workflow_from_issue_to_closure(client, tree, group, cs_dean):
    lead, _members = group
    client = sign_in(client, lead)
    response = client.post(
        "/supervision/findings/new/",
        {
            "unit": tree.cs.pk,
            "severity": Severity.MAJOR,
            "criterion": "签到点海报缺失",
            "description": "一教东门无海报",
            "applies_on": "2026-03-02",
            "issue": "on",
        },
    )
    notice = Notice.objects.get()
    assert response["Location"] == f"/supervision/notices/{notice.pk}/"
    assert notice.number.startswith("校督整〔") and notice.number.endswith("〕1号")
    pdf = client.get(f"/supervision/notices/{notice.pk}/letter.pdf")
    assert pdf.content.startswith(b"%PDF") and pdf["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in pdf["Content-Disposition"]

    dean = sign_in(client.__class__(), cs_dean)
    url = f"/supervision/notices/{notice.pk}/"
    # The group cannot answer for the department, nor the department verify itself.
    assert sign_in(client, lead).post(url, {"step": EventKind.ACKNOWLEDGED}).status_code == 400
    assert dean.post(url, {"step": EventKind.ACKNOWLEDGED}).status_code == 302
    refused = dean.post(
        url, {"step": EventKind.EXTENSION_REQUESTED, "text": "设备采购中", "until": "2026-01-01"}
    )
    assert refused.status_code == 400
    dean.post(
        url, {"step": EventKind.EXTENSION_REQUESTED, "text": "设备采购中", "until": "2099-01-05"}
    )
    assert Notice.objects.get().state == NoticeState.EXTENSION_REQUESTED
    client.post(url, {"step": EventKind.EXTENSION_GRANTED})
    notice.refresh_from_db()
    assert notice.state == NoticeState.ACKNOWLEDGED
    assert timezone.localdate(notice.deadline) == date(2099, 1, 5)
    dean.post(url, {"step": EventKind.REPORTED, "text": "已张贴海报，附照片"})
    client.post(url, {"step": EventKind.REOPENED, "text": "照片不清晰"})
    assert Notice.objects.get().state == NoticeState.REOPENED
    dean.post(url, {"step": EventKind.REPORTED, "text": "重新拍照"})
    client.post(url, {"step": EventKind.CLOSED})
    notice.refresh_from_db()
    assert notice.state == NoticeState.CLOSED and notice.closed_at
    assert [e.kind for e in notice.events.all()] == [
        "issued",
        "acknowledged",
        "ext_requested",
        "ext_granted",
        "reported",
        "reopened",
        "reported",
        "closed",
    ]


def test_the_remediator_cannot_verify_their_own_work(client, tree, group):
    lead, _members = group
    both = tree.account("both", (Role.SUPERVISION, tree.school), (Role.DEPARTMENT_ADMIN, tree.cs))
    finding = record_finding(
        actor=lead,
        school=tree.school,
        unit=tree.cs,
        severity="minor",
        criterion="c",
        description="d",
        applies_on=date(2026, 3, 2),
    )
    notice = issue_notice(actor=lead, finding=finding)
    c = sign_in(client, both)
    url = f"/supervision/notices/{notice.pk}/"
    c.post(url, {"step": EventKind.ACKNOWLEDGED})
    c.post(url, {"step": EventKind.REPORTED, "text": "done"})
    assert c.post(url, {"step": EventKind.CLOSED}).status_code == 400
    assert Notice.objects.get().state == NoticeState.SUBMITTED


def test_a_department_sees_only_its_own_notices(client, tree, group, cs_dean, lang_dean, outsider):
    lead, _members = group
    notices = {}
    for unit in (tree.cs, tree.lang):
        finding = record_finding(
            actor=lead,
            school=tree.school,
            unit=unit,
            severity="minor",
            criterion=f"问题-{unit.name}",
            description="d",
            applies_on=date(2026, 3, 2),
        )
        notices[unit.pk] = issue_notice(actor=lead, finding=finding)
    cs, lang = notices[tree.cs.pk], notices[tree.lang.pk]
    c = sign_in(client, cs_dean)
    home = c.get("/supervision/").content.decode()
    assert cs.number in home and lang.number not in home
    assert c.get(f"/supervision/notices/{lang.pk}/").status_code == 404
    assert c.get(f"/supervision/notices/{lang.pk}/letter.pdf").status_code == 404
    assert c.get("/supervision/plans/new/").status_code == 403
    book = openpyxl.load_workbook(io.BytesIO(c.get("/supervision/ledger.xlsx").getvalue()))
    numbers = [row[0] for row in book.worksheets[-2].iter_rows(min_row=2, values_only=True)]
    assert numbers == [cs.number]
    assert sign_in(client, outsider).get("/supervision/").status_code == 403
    assert AuditEntry.objects.filter(action="supervision.ledger.exported").exists()
    lead_book = openpyxl.load_workbook(
        io.BytesIO(sign_in(client, lead).get("/supervision/ledger.xlsx").getvalue())
    )
    assert len(lead_book.worksheets) == 4


def test_reminders_and_escalation_of_a_notice_with_the_time_machine(tree, group, cs_dean):
    lead, _members = group
    finding = record_finding(
        actor=lead,
        school=tree.school,
        unit=tree.cs_2501,
        severity=Severity.MAJOR,
        criterion="c",
        description="d",
        applies_on=date(2026, 3, 2),
    )
    notice = issue_notice(actor=lead, finding=finding, now=at("2026-03-02 10:00"))
    assert timezone.localtime(notice.deadline) == at("2026-03-09 17:00")  # major: 7 days
    assert send_deadline_reminders(now=at("2026-03-02 10:05")).sent == {ReminderStage.ISSUED: 1}
    assert InAppNotice.objects.filter(user=cs_dean, kind=Kind.DEADLINE_REMINDER).count() == 1
    assert send_deadline_reminders(now=at("2026-03-06 09:00")).sent == {ReminderStage.BEFORE: 1}
    assert send_deadline_reminders(now=at("2026-03-09 09:00")).sent == {ReminderStage.DUE: 1}
    assert send_deadline_reminders(now=at("2026-03-10 09:00")).sent == {
        ReminderStage.ESCALATED_1: 1
    }
    assert send_deadline_reminders(now=at("2026-03-12 09:00")).sent == {
        ReminderStage.ESCALATED_2: 1
    }
    # The group lead is the member appointed school-wide: all of them here.
    assert InAppNotice.objects.filter(user=lead, kind=Kind.DEADLINE_ESCALATED).count() == 1
    assert send_deadline_reminders(now=at("2026-03-12 10:00")).total == 0
    # A closed notice is reminded of no more.
    Notice.objects.filter(pk=notice.pk).update(state=NoticeState.CLOSED)
    assert send_deadline_reminders(now=at("2026-03-20 09:00")).items == 0


def test_the_demo_has_a_drawn_check_a_notice_in_rectification_and_one_escalated(client):
    from campuscode.casework.models import ReminderSent
    from campuscode.core import demo

    demo.load_demo()
    draw = SpotDraw.objects.get()
    assert draw.seed == "demo-2026" and len(draw.inspectors) == 2
    states = set(Notice.objects.values_list("state", flat=True))
    assert states == {NoticeState.SUBMITTED, NoticeState.ISSUED}
    assert ReminderSent.objects.filter(stage=ReminderStage.ESCALATED_2).exists()
    lead = Person.objects.get(number="T1006").user
    assert sign_in(client, lead).get("/supervision/").status_code == 200
