"""The low check-in rate detector (R6.4): over a rolling window of days, the share of the
check-ins due that were done, with holidays, approved reports and isolation left out."""

from datetime import date

import pytest
from django.core.management import call_command

from campuscode.anomalies.models import AnomalyCase, AnomalyKind, AnomalyState
from campuscode.anomalies.tests.data import check_in, days_back
from campuscode.checkins.models import WindowNotice
from campuscode.core.rules import set_setting
from campuscode.followup.models import AdvanceReport, Isolation
from campuscode.notify.models import Notice

pytestmark = pytest.mark.django_db

THU = date(2026, 3, 5)
FORTNIGHT = days_back(THU, 14)  # 2/20 … 3/5, the default rate window
BEFORE = days_back(date(2026, 2, 19), 8)  # checked in fully before it


def full_days(person, point, days=BEFORE):
    for day in days:
        check_in(person, point, day)
        check_in(person, point, day, period="afternoon")


@pytest.fixture(autouse=True)
def night(time_machine):
    time_machine.move_to("2026-03-05 23:00 +0800", tick=False)


def detect():
    call_command("detect_anomalies")


def low_rate(person):
    return AnomalyCase.objects.filter(person=person, kind=AnomalyKind.LOW_RATE)


def test_mornings_only_for_two_weeks_opens_one_case_for_the_adviser(tree, student, adviser, point):
    full_days(student, point)
    for day in FORTNIGHT:
        check_in(student, point, day)  # never in the afternoon
    detect()
    case = low_rate(student).get()
    assert (case.detail["done"], case.detail["due"], case.detail["rate"]) == (14, 28, 50)
    assert case.state == AnomalyState.ASSIGNED and list(case.assigned_to.all()) == [adviser]
    assert len(case.detail["missed"]) == 14 and case.detail["missed"][0] == [
        "2026-02-20",
        "afternoon",
    ]
    # A check-in every day: no run of missed days, and nothing else.
    assert list(AnomalyCase.objects.filter(person=student).values_list("kind", flat=True)) == [
        AnomalyKind.LOW_RATE
    ]
    detect()
    detect()
    assert low_rate(student).count() == 1
    assert Notice.objects.filter(user=adviser, data__kind="low_rate").count() == 1


def test_a_few_missed_windows_are_no_case(tree, student, adviser, point):
    full_days(student, point)
    for n, day in enumerate(FORTNIGHT):
        check_in(student, point, day)
        if n % 5:  # four afternoons missed of 14: 86 %
            check_in(student, point, day, period="afternoon")
    detect()
    assert not low_rate(student).exists()


def test_the_threshold_is_the_schools(tree, student, adviser, point):
    for day in FORTNIGHT:
        check_in(student, point, day)
    set_setting(key="anomaly_rate_percent", value=50, school=tree.school)
    detect()  # exactly 50 % is not below 50 %
    assert not low_rate(student).exists()


def test_holidays_are_no_check_ins_due(tree, student, adviser, point):
    holiday = FORTNIGHT[:10]
    WindowNotice.objects.create(
        school=tree.school,
        title="寒假",
        first_day=holiday[0],
        last_day=holiday[-1],
        kind="none",
    )
    full_days(student, point, BEFORE + FORTNIGHT[10:])
    detect()
    assert not AnomalyCase.objects.filter(person=student).exists()


def test_approved_advance_reports_and_isolation_are_excused(tree, student, adviser, point):
    roommate = tree.person("赵同学", tree.cs_2501)
    for person in (student, roommate):
        full_days(person, point)
        for day in FORTNIGHT:
            check_in(person, point, day)
    AdvanceReport.objects.create(
        person=student,
        first_day=FORTNIGHT[0],
        last_day=THU,
        periods=["afternoon"],
        reason="下午在实习单位",
        created_at="2026-02-19 09:00+08:00",
        idempotency_key="r1",
        state="approved",
    )
    Isolation.objects.create(
        person=roommate,
        kind="observation",
        place="家中",
        reason="密接",
        starts_on=FORTNIGHT[0],
        ends_on=THU,
        created_at="2026-02-19 09:00+08:00",
    )
    detect()
    assert not low_rate(student).exists() and not low_rate(roommate).exists()


def test_too_few_check_ins_due_is_no_case(tree, adviser, point):
    newcomer = tree.person("新同学", tree.cs_2501, created_at="2026-03-03 09:00+08:00")
    check_in(newcomer, point, THU)  # 1 of 6 due: too few to judge a rate
    detect()
    assert not low_rate(newcomer).exists()


def test_a_run_of_missed_days_is_left_to_its_own_case(tree, student, adviser, point):
    for day in FORTNIGHT[:7]:
        check_in(student, point, day)
    detect()  # a week without any check-in: one case, not two
    kinds = set(AnomalyCase.objects.filter(person=student).values_list("kind", flat=True))
    assert kinds == {AnomalyKind.MISSED_CHECKINS}


def test_a_closed_case_opens_again_only_for_a_new_window(
    client, tree, student, adviser, point, time_machine
):
    full_days(student, point)
    for day in FORTNIGHT:
        check_in(student, point, day)
    detect()
    case = low_rate(student).get()
    from campuscode.anomalies.services import advance

    for step, extra in (
        ("verified", {"reason": "forgot"}),
        ("handled", {"action": "talk"}),
        ("closed", {}),
    ):
        assert advance(case=case, actor=adviser, to_state=step, **extra).ok
    # The next night: the window still holds the old misses, so nothing new.
    time_machine.move_to("2026-03-06 23:00 +0800", tick=False)
    check_in(student, point, date(2026, 3, 6))
    detect()
    assert low_rate(student).count() == 1
    # Two more weeks of mornings only, after the case: a new case.
    for day in days_back(date(2026, 3, 20), 14):
        check_in(student, point, day)
    time_machine.move_to("2026-03-20 23:00 +0800", tick=False)
    detect()
    assert low_rate(student).count() == 2
    assert low_rate(student).filter(state=AnomalyState.ASSIGNED).get().first_day > THU
