"""The case flow beside the detectors: reminders before and after the deadline, a
follow-up case or a referral as the handling, contact answers as health data, and a
detector another app registers."""

from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from campuscode.anomalies import registry
from campuscode.anomalies.detectors import Hit
from campuscode.anomalies.models import AnomalyCase, AnomalyEvent, AnomalyKind, AnomalyState
from campuscode.anomalies.tests.data import check_in, days_back
from campuscode.followup.models import FollowupCase
from campuscode.notify.models import Notice
from campuscode.people.access import Cap
from campuscode.people.models import Role
from conftest import sign_in

pytestmark = pytest.mark.django_db

THU = date(2026, 3, 5)


@pytest.fixture
def night(time_machine):
    time_machine.move_to("2026-03-05 23:00 +0800", tick=False)


def detect():
    call_command("detect_anomalies")


def remind():
    call_command("remind_anomalies")


@pytest.fixture
def doctor(tree):
    return tree.account("doctor", (Role.HEALTH_OFFICE, tree.school))


def fever_case(student, point):
    for day in days_back(THU, 4)[:-1]:
        check_in(student, point, day)
    check_in(student, point, THU, temperature="38.3")
    detect()
    return AnomalyCase.objects.get(person=student, kind=AnomalyKind.HEALTH)


def reminders(user):
    return Notice.objects.filter(user=user, kind="anomaly_reminder")


def test_it_reminds_the_assignees_once_a_day_near_and_past_the_deadline(
    tree, student, doctor, point, night, time_machine
):
    case = fever_case(student, point)  # due in 3 days (the school's default)
    assert case.deadline == timezone.make_aware(datetime(2026, 3, 8, 23, 0))
    remind()
    assert not reminders(doctor).exists()  # more than 24 hours left
    time_machine.move_to("2026-03-08 08:00 +0800", tick=False)
    remind()
    remind()
    assert reminders(doctor).count() == 1
    assert reminders(doctor).get().data["overdue"] is False
    time_machine.move_to("2026-03-09 08:00 +0800", tick=False)
    remind()
    assert reminders(doctor).count() == 2
    assert reminders(doctor).latest("created_at").data["overdue"] is True
    # A closed case is no longer reminded of.
    from campuscode.anomalies.services import advance

    for step, extra in (
        ("verified", {"reason": "illness"}),
        ("handled", {"action": "referral", "note": "转校医院门诊"}),
        ("closed", {}),
    ):
        assert advance(case=case, actor=doctor, to_state=step, **extra).ok
    time_machine.move_to("2026-03-10 08:00 +0800", tick=False)
    remind()
    assert reminders(doctor).count() == 2


def test_the_case_page_shows_an_overdue_case(client, tree, student, doctor, point, night):
    case = fever_case(student, point)
    AnomalyCase.objects.filter(pk=case.pk).update(deadline="2026-03-05 22:00+08:00")
    page = sign_in(client, doctor).get(f"/anomalies/{case.pk}/").content.decode()
    assert "data-overdue" in page and "已逾期" in page


def test_handling_with_a_follow_up_case_hands_the_person_to_the_health_office(
    client, tree, student, doctor, point, night
):
    case = fever_case(student, point)
    FollowupCase.objects.all().delete()  # the fever opened one already; start afresh
    url = f"/anomalies/{case.pk}/"
    sign_in(client, doctor)
    client.post(url, {"to_state": "verified", "reason": "confirmed", "note": "38.3，咳嗽"})
    client.post(url, {"to_state": "handled", "action": "followup", "note": ""})
    followup = FollowupCase.objects.get(person=student)
    assert followup.detail["anomaly_case"] == case.pk
    event = AnomalyEvent.objects.get(case=case, state=AnomalyState.HANDLED)
    assert event.followup_case == followup
    page = client.get(url).content.decode()
    assert f"/followup/cases/{followup.pk}/" in page


def test_a_referral_needs_a_note_saying_to_whom(client, tree, student, doctor, point, night):
    case = fever_case(student, point)
    url = f"/anomalies/{case.pk}/"
    sign_in(client, doctor)
    client.post(url, {"to_state": "verified", "reason": "illness"})
    response = client.post(url, {"to_state": "handled", "action": "referral", "note": " "})
    assert response.status_code == 400
    assert "请写明核实到的情况，或转介给了谁。" in response.content.decode()
    case.refresh_from_db()
    assert case.state == AnomalyState.VERIFIED
    client.post(url, {"to_state": "handled", "action": "referral", "note": "市第一医院发热门诊"})
    case.refresh_from_db()
    assert case.state == AnomalyState.HANDLED


def test_a_recent_contact_is_abnormal_health_data_an_old_one_is_not(
    tree, student, other_student, doctor, point, night
):
    check_in(
        student,
        point,
        THU,
        contact="suspected",
        contact_at=timezone.make_aware(datetime(2026, 3, 3, 18, 0)),
    )
    check_in(
        other_student,
        point,
        THU,
        contact="confirmed",
        contact_at=timezone.make_aware(datetime(2026, 2, 1, 18, 0)),  # beyond 14 days
    )
    detect()
    case = AnomalyCase.objects.get(person=student, kind=AnomalyKind.HEALTH)
    assert case.detail["checkins"][0]["reasons"] == ["contact"]
    assert list(case.assigned_to.all()) == [doctor]
    assert not AnomalyCase.objects.filter(person=other_student, kind=AnomalyKind.HEALTH).exists()


def test_another_app_registers_a_detector(
    client, tree, student, adviser, point, night, monkeypatch
):
    """What the attendance app does after the merge (ANOMALY-registry.md)."""

    def detect_absences(*, school_id, now):
        days = [date(2026, 3, 3), date(2026, 3, 4)]
        return [Hit(student.pk, "class_absences", days, {"lessons": ["高数", "英语"]})]

    monkeypatch.setitem(
        registry._detectors,
        "class_absences",
        registry.Detector(
            kind="class_absences",
            label="Consecutive class absences",  # the attendance app translates its own
            detect=detect_absences,
            duty=Cap.APPROVE_REQUESTS,
            evidence=lambda case: ["、".join(case.detail["lessons"])],
        ),
    )
    detect()
    detect()
    case = AnomalyCase.objects.get(person=student, kind="class_absences")
    assert list(case.assigned_to.all()) == [adviser]
    sign_in(client, adviser)
    assert "高数、英语" in client.get(f"/anomalies/{case.pk}/").content.decode()
    listing = client.get("/anomalies/?kind=class_absences").content.decode()
    assert listing.count("data-case=") == 1


@pytest.mark.parametrize("command", ["detect-anomalies", "remind-anomalies"])
def test_the_commands_are_found_as_an_admin_types_them(command):
    """`campuscode detect-anomalies`: the CLI turns dashes into underscores."""
    import subprocess
    import sys
    from pathlib import Path

    result = subprocess.run(
        [sys.executable, "-m", "config.cli", command, "--help"],
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "safe to re-run" in result.stdout


def test_the_reminder_command_reports_what_it_sent(tree, student, doctor, point, night, capsys):
    case = fever_case(student, point)
    AnomalyCase.objects.filter(pk=case.pk).update(deadline=timezone.now() + timedelta(hours=2))
    remind()
    assert "1 reminders sent" in capsys.readouterr().out
