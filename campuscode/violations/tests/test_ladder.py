"""The ladder advises, people decide (R8.2): the proposal from the person's history within
the look-back, the school's range, similar past decisions, a deviation with its reason,
fines a school setting, the epidemic-control referral a flag, not a step."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from campuscode.audit.models import AuditEntry
from campuscode.core.rules import set_setting
from campuscode.violations import ladder
from campuscode.violations.models import Decision, State, Step, ViolationCase
from campuscode.violations.services import Refusal
from conftest import sign_in

from .helpers import report_from_anomaly, step

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def _past(person, *, step, vtype="missed", decided, state=State.CLOSED, deviation=""):
    """A decided case from the person's history."""
    at = datetime.fromisoformat(decided).replace(tzinfo=TZ)
    case = ViolationCase.objects.create(
        school_id=person.school_id,
        person=person,
        unit=person.org_unit,
        vtype=vtype,
        source="report",
        facts="历史记录",
        opened_at=at,
        notified_at=at,
        statement_due=at,
        decided_at=at,
        step=step,
        state=state,
        closed_at=at,
        departed=bool(deviation),
    )
    Decision.objects.create(
        case=case,
        step=step,
        proposed_step=step,
        range_low="criticism",
        range_high="warning",
        deviation_reason=deviation,
        reasons="历史",
        basis="历史",
        decided_at=at,
    )
    return case


def _ready_case(client, time_machine, adviser, office, student, anomaly):
    time_machine.move_to("2026-03-09 09:00 +0800", tick=False)
    case = report_from_anomaly(client, adviser, anomaly)
    step(client, office, case, "notice")
    step(client, student.user, case, "statement", waive="on")
    return ViolationCase.objects.get(pk=case.pk)


def test_a_first_missed_checkin_proposes_criticism_whatever_the_range(
    client, time_machine, student, adviser, office, anomaly
):
    set_setting(key="violation_missed_lowest", value="warning")
    set_setting(key="violation_missed_highest", value="demerit")
    case = _ready_case(client, time_machine, adviser, office, student, anomaly)
    proposal = ladder.propose(case)
    assert (proposal.step, proposal.low, proposal.high) == ("criticism", "warning", "demerit")
    page = sign_in(client, office).get(f"/violations/{case.pk}/")
    assert 'data-proposed="criticism"' in page.content.decode()
    # Nothing is decided by itself: no decision until a person makes one.
    assert not case.decisions.exists() and case.step == ""


def test_it_proposes_the_next_step_from_history_within_the_look_back(
    client, time_machine, student, adviser, office, anomaly
):
    case = _ready_case(client, time_machine, adviser, office, student, anomaly)
    _past(student, step="warning", decided="2025-06-01 10:00")
    assert ladder.propose(case).step == "warning"  # the top of the default range
    set_setting(key="violation_missed_highest", value="demerit")
    proposal = ladder.propose(case)
    assert proposal.step == "serious_warning"
    assert [p.step for p in proposal.priors] == ["warning"]
    # Older than the look-back (12 months by default): a clean slate.
    set_setting(key="violation_lookback_months", value=6)
    assert ladder.propose(case).step == "criticism"


def test_it_caps_the_proposal_at_the_schools_range(
    client, time_machine, student, adviser, office, anomaly
):
    case = _ready_case(client, time_machine, adviser, office, student, anomaly)
    _past(student, step="demerit", vtype="borrowed", decided="2026-01-05 10:00")
    assert ladder.propose(case).step == "warning"  # missed check-ins stop at warning by default


def test_a_deviation_needs_a_reason_and_is_recorded(
    client, time_machine, student, adviser, office, anomaly, other_student
):
    _past(other_student, step="criticism", decided="2026-02-01 10:00")
    _past(other_student, step="warning", decided="2026-02-02 10:00", deviation="情节较重")
    case = _ready_case(client, time_machine, adviser, office, student, anomaly)
    proposal = ladder.propose(case)
    assert proposal.similar == [("criticism", 1), ("warning", 1)]
    assert proposal.similar_deviations == 1

    response = step(client, office, case, "decide", step="warning", reasons="故意不打卡")
    assert response.status_code == 400
    assert [str(m) for m in response.context["messages"]][-1] == str(Refusal.DEVIATION_REASON.label)
    assert not case.decisions.exists()

    response = step(
        client,
        office,
        case,
        "decide",
        step="warning",
        reasons="故意不打卡",
        deviation_reason="本人承认故意逃避打卡，且拒绝补卡。",
    )
    assert response.status_code == 302
    decision = case.decisions.get()
    assert (decision.step, decision.proposed_step) == ("warning", "criticism")
    assert decision.deviation_reason == "本人承认故意逃避打卡，且拒绝补卡。"
    entry = AuditEntry.objects.get(action="violations.case.decided")
    assert entry.data["deviates"] is True and entry.data["proposed"] == "criticism"
    page = sign_in(client, office).get(f"/violations/{case.pk}/").content.decode()
    assert "本人承认故意逃避打卡" in page


def test_fines_are_off_for_students_unless_the_school_allows_them(
    client, time_machine, student, adviser, office, anomaly
):
    case = _ready_case(client, time_machine, adviser, office, student, anomaly)
    fine = {"step": "fine", "reasons": "罚款", "deviation_reason": "学校规定", "fine_yuan": 50}
    response = step(client, office, case, "decide", **fine)
    assert [str(m) for m in response.context["messages"]][-1] == str(Refusal.FINE_OFF.label)
    set_setting(key="violation_fines_students", value=True)
    assert step(client, office, case, "decide", **fine).status_code == 302
    assert case.decisions.get().fine_yuan == 50


def test_the_epidemic_risk_referral_is_a_flag_not_a_step(
    client, time_machine, student, adviser, office, anomaly
):
    case = _ready_case(client, time_machine, adviser, office, student, anomaly)
    step(client, office, case, "decide", step="criticism", reasons="理由", epidemic_referral="on")
    case.refresh_from_db()
    assert case.epidemic_referral and case.step == Step.CRITICISM
    assert "epidemic" not in Step.values


def test_the_consistency_view_counts_decisions_by_type_unit_and_step(
    client, tree, student, other_student, office, committee, teacher
):
    _past(student, step="criticism", decided="2026-02-01 10:00")
    _past(other_student, step="warning", decided="2026-02-02 10:00", deviation="情节较重")
    response = sign_in(client, office).get("/violations/consistency/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "计算机学院" in body and "外国语学院" in body
    assert student.name not in body and other_student.name not in body  # counts, no names
    assert AuditEntry.objects.filter(action="violations.consistency.viewed", actor=office).exists()
    assert sign_in(client, teacher).get("/violations/consistency/").status_code == 403
