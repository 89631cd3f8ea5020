"""Due process through HTTP (R8.2): evidence frozen → notice → statement and self-review
→ decision with reasons and a numbered letter → appeal → review (extendable once) →
outcome; terms lifted on schedule; retention. Deadlines moved with the time machine."""

from datetime import date

import pytest
from django.core.management import call_command
from django.utils import timezone

from campuscode.audit.models import AuditEntry
from campuscode.casework.evidence import digest
from campuscode.casework.models import EvidenceItem
from campuscode.core.rules import set_setting
from campuscode.notify.models import Notice
from campuscode.violations.models import CaseEvent, Decision, State, Step, ViolationCase
from campuscode.violations.services import Refusal
from conftest import sign_in

from .helpers import report_from_anomaly, step

pytestmark = pytest.mark.django_db

MONDAY = "2026-03-09 09:00 +0800"


def _refusal(response) -> str:
    return [str(m) for m in response.context["messages"]][-1]


def test_it_runs_a_case_from_evidence_to_a_reviewed_appeal(
    client, time_machine, student, adviser, office, committee, anomaly
):
    time_machine.move_to(MONDAY, tick=False)
    case = report_from_anomaly(client, adviser, anomaly)
    assert (case.state, case.vtype, case.person) == (State.OPEN, "missed", student)
    items = list(EvidenceItem.objects.filter(owner=case.owner_ref).order_by("id"))
    assert [i.record_type for i in items] == [
        "anomalies.anomalycase",
        "anomalies.anomalyevent",
        "violations.report",
    ]
    assert all(i.sha256 == digest(i.snapshot) for i in items)
    assert items[0].applies_on == date(2026, 3, 2)  # the day the evidence is about
    assert Notice.objects.filter(user=office, kind="violation_opened").count() == 1
    # Before the notice the person does not see the case yet.
    assert sign_in(client, student.user).get(f"/violations/{case.pk}/").status_code == 404

    assert step(client, office, case, "notice").status_code == 302
    case.refresh_from_db()
    assert case.state == State.NOTIFIED
    assert timezone.localtime(case.statement_due).date() == date(2026, 3, 14)
    assert Notice.objects.filter(user=student.user, kind="violation_notice").count() == 1

    # Nobody decides while the person may still answer.
    response = step(client, office, case, "decide", step="criticism", reasons="事实清楚")
    assert response.status_code == 400
    assert _refusal(response) == str(Refusal.WINDOW_OPEN.label)
    assert not Decision.objects.exists()

    page = sign_in(client, student.user).get(f"/violations/{case.pk}/")
    assert page.status_code == 200
    assert "statement-form" in page.content.decode()
    response = step(
        client,
        student.user,
        case,
        "statement",
        statement="那几天手机坏了，没能打卡。",
        self_review="我没有及时向辅导员报备，今后一定按时打卡。",
    )
    assert response.status_code == 302
    assert list(case.events.values_list("kind", flat=True)) == [
        "opened",
        "notified",
        "statement",
        "self_review",
    ]

    time_machine.move_to("2026-03-10 10:00 +0800", tick=False)
    response = step(
        client, office, case, "decide", step="criticism", reasons="初次未打卡，批评教育。"
    )
    assert response.status_code == 302
    case.refresh_from_db()
    decision = case.decisions.get()
    assert (case.state, case.step, decision.proposed_step) == (
        State.DECIDED,
        "criticism",
        "criticism",
    )
    assert decision.number == "校处字〔2026〕1号"
    assert timezone.localtime(case.appeal_due).date() == date(2026, 3, 20)

    pdf = sign_in(client, student.user).get(f"/violations/{case.pk}/letter.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in pdf["Content-Disposition"]

    time_machine.move_to("2026-03-12 10:00 +0800", tick=False)
    response = step(client, student.user, case, "appeal", text="我已经补交了检讨，请求从轻。")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.APPEALED
    # 15 working days after Thursday 12 March, weekends left out.
    assert timezone.localtime(case.review_due).date() == date(2026, 4, 2)
    assert Notice.objects.filter(user=committee, kind="violation_appealed").count() == 1

    assert step(client, committee, case, "extend", reason="需要补充调查").status_code == 302
    case.refresh_from_db()
    assert case.review_extended
    assert timezone.localtime(case.review_due).date() == date(2026, 4, 23)
    response = step(client, committee, case, "extend", reason="再延一次")
    assert response.status_code == 400  # extendable once (the form is gone; the service says so)

    # The deciding office does not review its own decision.
    response = step(client, office, case, "review", outcome="revoked", reasons="撤销")
    assert response.status_code == 400
    response = step(client, committee, case, "review", outcome="upheld", reasons="原决定适当。")
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.step) == (State.CLOSED, "criticism")
    review = case.decisions.last()
    assert (review.kind, review.outcome, review.number) == (
        "review",
        "upheld",
        "校申复字〔2026〕1号",
    )
    assert Notice.objects.filter(user=student.user, kind="violation_reviewed").count() == 1
    actions = set(AuditEntry.objects.filter(subject=student).values_list("action", flat=True))
    assert {
        "violations.case.opened",
        "violations.case.notified",
        "violations.statement.given",
        "violations.case.decided",
        "violations.letter.downloaded",
        "violations.case.appealed",
        "violations.review.extended",
        "violations.case.reviewed",
        "violations.case.viewed",
        "casework.evidence.frozen",
    } <= actions


def _notified(client, time_machine, adviser, office, anomaly):
    time_machine.move_to(MONDAY, tick=False)
    case = report_from_anomaly(client, adviser, anomaly)
    step(client, office, case, "notice")
    case.refresh_from_db()
    return case


def test_it_closes_the_windows_on_their_deadlines(
    client, time_machine, student, adviser, office, anomaly
):
    case = _notified(client, time_machine, adviser, office, anomaly)
    time_machine.move_to("2026-03-15 00:00:30 +0800", tick=False)  # the window closed at midnight
    response = step(client, student.user, case, "statement", statement="晚了")
    assert response.status_code == 400
    assert not case.events.filter(kind="statement").exists()
    # Once the window has passed, the office may decide without a statement.
    response = step(client, office, case, "decide", step="criticism", reasons="未陈述申辩。")
    assert response.status_code == 302
    time_machine.move_to("2026-03-26 00:00:30 +0800", tick=False)  # appeal due 25 March
    response = step(client, student.user, case, "appeal", text="申诉")
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.state == State.DECIDED


def test_it_lifts_a_sanction_when_its_term_ends_and_retires_the_case(
    client, time_machine, student, adviser, office, anomaly
):
    case = _notified(client, time_machine, adviser, office, anomaly)
    step(client, student.user, case, "statement", waive="on")
    time_machine.move_to("2026-03-10 10:00 +0800", tick=False)
    response = step(
        client,
        office,
        case,
        "decide",
        step="warning",
        reasons="连续三天未打卡且拒不补卡。",
        deviation_reason="经核实系故意不打卡，情节较重。",
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.sanction_from, case.sanction_until) == (date(2026, 3, 10), date(2026, 9, 10))

    time_machine.move_to("2026-03-21 00:20 +0800", tick=False)
    call_command("lift-sanctions")
    case.refresh_from_db()
    assert case.state == State.IN_FORCE
    call_command("lift-sanctions")  # idempotent
    assert case.events.filter(kind="final").count() == 1

    time_machine.move_to("2026-09-10 00:20 +0800", tick=False)
    call_command("lift-sanctions")
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.lifted_at is not None
    assert Notice.objects.filter(user=student.user, kind="violation_lifted").count() == 1
    assert sign_in(client, student.user).get("/violations/mine/").context["rows"] == [case]

    set_setting(key="violation_retention_months", value=6)
    time_machine.move_to("2027-03-11 00:20 +0800", tick=False)
    call_command("lift-sanctions")
    case.refresh_from_db()
    assert case.archived_at is not None
    assert CaseEvent.objects.filter(case=case, kind="archived").count() == 1
    assert sign_in(client, student.user).get("/violations/mine/").context["rows"] == []


def test_it_suspends_a_sanction_under_appeal_and_restarts_the_term_on_review(
    client, time_machine, student, adviser, office, committee, anomaly
):
    case = _notified(client, time_machine, adviser, office, anomaly)
    step(client, student.user, case, "statement", statement="我不同意。")
    step(
        client,
        office,
        case,
        "decide",
        step="warning",
        reasons="理由",
        deviation_reason="情节较重",
        suspend_on_appeal="on",
    )
    time_machine.move_to("2026-03-11 10:00 +0800", tick=False)
    step(client, student.user, case, "appeal", text="处分过重")
    case.refresh_from_db()
    assert case.execution_suspended
    time_machine.move_to("2026-09-20 10:00 +0800", tick=False)
    call_command("lift-sanctions")  # suspended: not lifted though its first term is over
    case.refresh_from_db()
    assert case.state == State.APPEALED
    time_machine.move_to("2026-03-20 10:00 +0800", tick=False)
    response = step(
        client,
        committee,
        case,
        "review",
        outcome="changed",
        step="criticism",
        reasons="改为批评教育",
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.step, case.execution_suspended) == (
        State.CLOSED,
        Step.CRITICISM,
        False,
    )
    assert case.sanction_from is None


def test_a_statement_comes_only_from_the_person(client, time_machine, adviser, office, anomaly):
    case = _notified(client, time_machine, adviser, office, anomaly)
    response = step(client, adviser, case, "statement", statement="代写")
    assert response.status_code == 400
    assert not ViolationCase.objects.get(pk=case.pk).events.filter(kind="statement").exists()
