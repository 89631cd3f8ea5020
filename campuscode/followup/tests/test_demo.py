"""The demo loader adds a few of each case on a school like the demo's."""

from datetime import datetime, timedelta

import pytest

from campuscode.checkins.models import Checkin, CheckinPoint
from campuscode.followup.demo import load_demo
from campuscode.followup.models import (
    AdvanceReport,
    FollowupCase,
    Isolation,
    MakeupRequest,
    ManualRegistration,
    VisitorApplication,
)
from campuscode.people.models import Person, Role

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-03-05T16:30:00+08:00")


def test_it_loads_a_few_of_each_case(tree, time_machine):
    time_machine.move_to(NOW, tick=False)
    tree.cs.name = "计算机学院"
    accounts = [
        ("T1001", Role.CLASS_ADVISER, tree.cs_2501),
        ("T1002", Role.DEPARTMENT_ADMIN, tree.cs),
        ("T1003", Role.HR, tree.school),
        ("T1004", Role.HEALTH_OFFICE, tree.school),
    ]
    for number, role, scope in accounts:
        staff = tree.person(f"职工{number}", tree.cs, kind=Person.Kind.STAFF, number=number)
        tree.account("", (role, scope), person=staff)
    students = [tree.person(f"学生{i}", tree.cs_2501) for i in range(10)]
    point = CheckinPoint.objects.create(campus=tree.main_campus, building="一教", name="大厅")
    for person in students[:6]:  # the others missed yesterday afternoon
        Checkin.objects.create(
            person=person, point=point, at=NOW - timedelta(days=1), day="2026-03-04",
            period="afternoon", temperature="36.5", colour="green", reason="normal",
            via="screen", idempotency_key="h",
        )  # fmt: skip
    Checkin.objects.create(
        person=students[2], point=point, at=NOW - timedelta(hours=7), day="2026-03-05",
        period="morning", temperature="38.1", symptoms=["fever"], colour="yellow",
        reason="temperature", via="screen", idempotency_key="f",
    )  # fmt: skip

    lines = load_demo(school=tree.school, now=NOW)

    assert AdvanceReport.objects.filter(state="pending").count() == 3
    assert AdvanceReport.objects.filter(state="approved").count() == 1
    assert AdvanceReport.objects.filter(state="rejected").count() == 1
    assert MakeupRequest.objects.filter(state="pending").count() == 2
    assert MakeupRequest.objects.filter(state="approved", checkin__via="makeup").count() == 1
    assert ManualRegistration.objects.count() == 6
    assert FollowupCase.objects.filter(person=students[2]).exists()
    assert Isolation.objects.filter(ended_at__isnull=True).count() == 2
    assert VisitorApplication.objects.filter(state="approved").count() == 3
    assert VisitorApplication.objects.filter(state="pending").count() == 1
    expired = VisitorApplication.objects.get(name="周家长").person
    assert not expired.is_valid_now()
    assert any("/followup/queue/" in line for line in lines)
