"""Reminders through the casework engine (R8.2): the person hears of their statement window
(a right: never escalated), the committee of its review deadline, escalated to the deciding
office when overdue. Time moved with the time machine; re-runs send nothing twice."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from campuscode.casework.deadlines import send_deadline_reminders
from campuscode.notify.models import Notice

from .helpers import report_from_anomaly, step

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def _reminders(user, kind="deadline_reminder"):
    return Notice.objects.filter(user=user, kind=kind).count()


def test_the_person_is_reminded_of_the_statement_window_until_they_answer(
    client, time_machine, student, adviser, office, anomaly
):
    time_machine.move_to("2026-03-09 09:00 +0800", tick=False)
    case = report_from_anomaly(client, adviser, anomaly)
    step(client, office, case, "notice")
    send_deadline_reminders(now=at("2026-03-09 10:00"))
    send_deadline_reminders(now=at("2026-03-09 11:00"))
    assert _reminders(student.user) == 1  # at issue, once
    send_deadline_reminders(now=at("2026-03-11 10:00"))  # three days before the 14th
    assert _reminders(student.user) == 2
    send_deadline_reminders(now=at("2026-03-16 10:00"))  # on and after the deadline day
    assert _reminders(student.user) == 3
    assert _reminders(office, "deadline_escalated") == 0  # a right is not escalated


def test_an_overdue_review_is_escalated_to_the_deciding_office(
    client, time_machine, student, adviser, office, committee, anomaly
):
    time_machine.move_to("2026-03-09 09:00 +0800", tick=False)
    case = report_from_anomaly(client, adviser, anomaly)
    step(client, office, case, "notice")
    step(client, student.user, case, "statement", waive="on")
    step(client, office, case, "decide", step="criticism", reasons="理由")
    step(client, student.user, case, "appeal", text="申诉")
    send_deadline_reminders(now=at("2026-03-09 12:00"))
    assert _reminders(committee) == 1
    assert _reminders(student.user) == 0  # answered: no statement reminder
    send_deadline_reminders(now=at("2026-03-31 12:00"))  # due 30 March, +1 day
    assert _reminders(office, "deadline_escalated") == 1
    send_deadline_reminders(now=at("2026-03-31 13:00"))
    assert _reminders(office, "deadline_escalated") == 1
