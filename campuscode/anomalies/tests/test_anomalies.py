"""Anomaly cases (R6.4): detectors run from the command line, cases handled over HTTP."""

from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from campuscode.anomalies.models import AnomalyCase, AnomalyEvent, AnomalyKind, AnomalyState
from campuscode.audit.models import AuditEntry
from campuscode.checkins.models import Checkin, CheckinPoint, WindowNotice
from campuscode.followup.models import AdvanceReport
from campuscode.notify.models import Notice
from campuscode.people.models import Role
from conftest import sign_in

pytestmark = pytest.mark.django_db

THURSDAY_NIGHT = "2026-03-05 23:00 +0800"
MON, TUE, WED, THU = (date(2026, 3, d) for d in (2, 3, 4, 5))


@pytest.fixture
def point(tree):
    return CheckinPoint.objects.create(
        campus=tree.main_campus, building="一教", name="东门", kind="teaching"
    )


# What people type varies a little from day to day (the same value every day is a
# data-quality signal of its own, see test_quality.py).
READINGS = ("36.4", "36.6", "36.5", "36.7", "36.3", "36.5", "36.8")


def check_in(person, point, day, *, temperature=None, symptoms=()):
    temperature = temperature or READINGS[day.toordinal() % len(READINGS)]
    return Checkin.objects.create(
        person=person,
        point=point,
        # People check in at a different minute each day (a script keeps the second).
        at=timezone.make_aware(
            datetime.combine(day, datetime.min.time().replace(hour=8))
            + timedelta(seconds=day.toordinal() * 617 % 3600)
        ),
        day=day,
        period="morning",
        temperature=temperature,
        symptoms=list(symptoms),
        colour="green",
        reason="normal",
        via="screen",
        idempotency_key=f"a{person.pk}-{day}",
    )


def present_until(person, point, last: date, days: int = 30):
    for offset in range(days):
        check_in(person, point, last - timedelta(days=offset))


@pytest.fixture
def night(time_machine):
    time_machine.move_to(THURSDAY_NIGHT, tick=False)


def detect():
    call_command("detect_anomalies")


def missed_cases(person):
    return AnomalyCase.objects.filter(person=person, kind=AnomalyKind.MISSED_CHECKINS)


def test_it_opens_one_case_for_three_missed_school_days_for_the_adviser(
    tree, student, adviser, point, night
):
    present_until(student, point, MON)
    detect()
    case = missed_cases(student).get()
    assert (case.first_day, case.last_day) == (TUE, THU)
    assert case.detail["days"] == ["2026-03-03", "2026-03-04", "2026-03-05"]
    assert case.state == AnomalyState.ASSIGNED
    assert list(case.assigned_to.all()) == [adviser]
    assert (
        Notice.objects.filter(user=adviser, kind="anomaly_opened", data__case=case.pk).count() == 1
    )
    assert not Notice.objects.filter(user=student.user, kind="anomaly_opened").exists()
    # Running again opens nothing twice.
    detect()
    detect()
    assert missed_cases(student).count() == 1
    assert Notice.objects.filter(user=adviser, kind="anomaly_opened").count() == 1
    assert AuditEntry.objects.filter(action="anomalies.case.opened", subject=student).count() == 1


def test_it_opens_nothing_for_two_missed_days(tree, student, adviser, point, night):
    present_until(student, point, TUE)
    detect()
    assert not missed_cases(student).exists()


def test_a_holiday_in_between_is_no_school_day(tree, student, adviser, point, night, time_machine):
    present_until(student, point, MON)
    WindowNotice.objects.create(
        school=tree.school, title="放假", first_day=WED, last_day=WED, kind="none"
    )
    detect()  # Tue and Thu missed, Wed a holiday: two school days
    assert not missed_cases(student).exists()
    time_machine.move_to("2026-03-06 23:00 +0800", tick=False)
    detect()
    case = missed_cases(student).get()
    assert case.detail["days"] == ["2026-03-03", "2026-03-05", "2026-03-06"]


def test_an_approved_advance_report_excuses_a_day(tree, student, adviser, point, night):
    present_until(student, point, MON)
    AdvanceReport.objects.create(
        person=student,
        first_day=WED,
        last_day=WED,
        periods=["morning", "afternoon"],
        reason="回家",
        created_at=THURSDAY_NIGHT.replace(" +0800", "+08:00"),
        idempotency_key="r1",
        state="approved",
    )
    detect()
    assert not missed_cases(student).exists()


def test_a_person_registered_yesterday_is_no_case(tree, adviser, night):
    newcomer = tree.person("新同学", tree.cs_2501, created_at="2026-03-04 09:00+08:00")
    detect()
    assert not missed_cases(newcomer).exists()


def test_a_fever_opens_a_health_case_for_the_health_office(client, tree, student, point, night):
    doctor = tree.account("doctor", (Role.HEALTH_OFFICE, tree.school))
    present_until(student, point, WED)
    check_in(student, point, THU, temperature="38.2")
    detect()
    detect()
    case = AnomalyCase.objects.get(person=student, kind=AnomalyKind.HEALTH)
    assert list(case.assigned_to.all()) == [doctor]
    assert [e["reasons"] for e in case.detail["checkins"]] == [["fever"]]
    assert Notice.objects.filter(user=doctor, kind="anomaly_opened").count() == 1
    response = sign_in(client, doctor).get(f"/anomalies/{case.pk}/")
    assert "38.2" in response.content.decode()


def test_it_moves_a_case_on_with_a_reason_and_an_action(
    client, tree, student, adviser, point, night
):
    present_until(student, point, MON)
    detect()
    case = missed_cases(student).get()
    sign_in(client, adviser)
    url = f"/anomalies/{case.pk}/"
    # Verifying needs the reason found: refused, nothing changes.
    response = client.post(url, {"to_state": "verified", "note": "问过了"})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.state == AnomalyState.ASSIGNED
    # A step out of order is refused.
    response = client.post(url, {"to_state": "closed"})
    case.refresh_from_db()
    assert case.state == AnomalyState.ASSIGNED
    client.post(url, {"to_state": "verified", "reason": "phone", "note": "手机坏了"})
    client.post(url, {"to_state": "handled", "action": "makeup", "note": "已补签"})
    response = client.post(url, {"to_state": "closed", "note": ""})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == AnomalyState.CLOSED and case.closed_at is not None
    events = list(AnomalyEvent.objects.filter(case=case).values_list("state", "reason", "action"))
    assert events == [
        ("detected", "", ""),
        ("assigned", "", ""),
        ("verified", "phone", ""),
        ("handled", "", "makeup"),
        ("closed", "", ""),
    ]
    assert AuditEntry.objects.filter(action="anomalies.case.changed", actor=adviser).count() == 3
    page = client.get(url).content.decode()
    assert "手机坏了" in page
    # The evidence and the steps in plain Chinese.
    assert "连续 3 个上课日未打卡：3月3日、3月4日、3月5日。" in page
    assert "核实原因：手机损坏或丢失" in page and "处置措施：补卡" in page
    # A closed case, re-detected, opens nothing again.
    detect()
    assert missed_cases(student).count() == 1


def test_an_adviser_sees_only_their_class(client, tree, student, adviser, point, night):
    other = tree.person("刘洋", tree.cs_2502)
    present_until(student, point, MON)
    present_until(other, point, MON)
    detect()
    mine, theirs = missed_cases(student).get(), missed_cases(other).get()
    sign_in(client, adviser)
    listing = client.get("/anomalies/")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert student.number in text and other.number not in text
    assert client.get(f"/anomalies/{mine.pk}/").status_code == 200
    assert client.get(f"/anomalies/{theirs.pk}/").status_code == 404
    assert client.post(f"/anomalies/{theirs.pk}/", {"to_state": "verified"}).status_code == 404
    assert client.get("/anomalies/?kind=health").content.decode().count("data-case=") == 0
    assert client.get("/anomalies/?kind=bogus&state=x").status_code == 200


def test_an_outsider_is_refused(client, outsider, night):
    assert sign_in(client, outsider).get("/anomalies/").status_code == 403
