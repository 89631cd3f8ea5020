"""The demo gives T1007 a real teaching day: today's sessions with one running, two weeks
of history with lateness and absences, and a 补签 waiting (issue 11)."""

import pytest

from campuscode.attendance import engine
from campuscode.attendance.models import Mark, MarkRequest, Session, Status
from campuscode.core import demo
from campuscode.core.rules import set_setting
from conftest import sign_in

pytestmark = pytest.mark.django_db


def test_the_demo_teacher_has_a_running_session_and_history(client):
    from django.contrib.auth.models import User
    from django.utils import timezone

    demo.load_demo()
    set_setting(key="session_require_second_factor", value=False)
    teacher = User.objects.get(person__number="T1007")
    now = timezone.now()
    running = Session.objects.get(
        owner=teacher,
        kind=Session.Kind.CLASS,
        starts_at__lte=now,
        ends_at__gt=now,
        cancelled_at__isnull=True,
    )
    assert 0 < engine.tally(running).attended < engine.tally(running).expected
    past = Mark.objects.filter(session__ends_at__lt=now)
    statuses = set(past.values_list("status", flat=True))
    assert {Status.PRESENT, Status.LATE, Status.ABSENT, Status.EXCUSED} <= statuses
    assert MarkRequest.objects.filter(state="pending", session__owner=teacher).exists()
    sign_in(client, teacher)
    page = client.get("/attendance/").content.decode()
    assert f"/attendance/sessions/{running.pk}/screen/" in page
    assert client.get(f"/attendance/sessions/{running.pk}/").status_code == 200
    # The analysis dashboard has class attendance to show, and the demo a run of absences
    # as an anomaly case for the class adviser (R6.3, R6.4).
    from campuscode.analytics.models import DailyAttendanceSummary
    from campuscode.anomalies.models import AnomalyCase

    assert DailyAttendanceSummary.objects.filter(due__gt=0).count() >= 5
    adviser = User.objects.get(person__number="T1001")
    case = AnomalyCase.objects.filter(kind="class_absences", assigned_to=adviser).first()
    assert case is not None
    assert len(case.detail["sessions"]) >= 3
    sign_in(client, adviser)
    dashboard = client.get("/analytics/?days=30").content.decode()
    assert 'data-panel="attendance"' in dashboard
    assert "%</td>" in dashboard.split('data-table="attendance"')[1].split("</table>")[0]
    assert "缺勤" in client.get(f"/anomalies/{case.pk}/").content.decode()
