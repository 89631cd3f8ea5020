from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campuscode.checkins.models import Checkin, CheckinPoint
from campuscode.people.models import Person, Role

TZ = ZoneInfo("Asia/Shanghai")
NOW = "2026-03-04 13:00 +0800"  # Wednesday: the morning window has closed, the afternoon is open
FIRST, TODAY = date(2026, 3, 2), date(2026, 3, 4)


class School:
    """测试大学 with check-ins from Monday 03-02 to Wednesday 03-04 13:00.

    计科2501班: six students. s1 has a fever on 03-03 morning (38.1, fever + cough); s2 is
    isolated from 03-02 on; s3 never checks in; s4 is registered by staff on 03-02
    afternoon; s5 and s6 check in every window. 计科2502班: two students (a small group),
    both check in. 英语2501班: five students, all check in on 03-02 only."""

    def __init__(self, tree):
        from campuscode.followup.models import Isolation

        self.tree = tree
        self.point = CheckinPoint.objects.create(
            campus=tree.main_campus, building="一教", name="东门", kind="teaching"
        )
        self.cs1 = [tree.person(f"计一{n}", tree.cs_2501, account=False) for n in range(1, 7)]
        self.cs2 = [tree.person(f"计二{n}", tree.cs_2502, account=False) for n in range(1, 3)]
        self.en = [tree.person(f"英{n}", tree.en_2501, account=False) for n in range(1, 6)]
        s1, s2, _s3, s4, s5, s6 = self.cs1
        for day in (FIRST, FIRST + timedelta(days=1)):
            for period in ("morning", "afternoon"):
                for person in (s5, s6, *self.cs2):
                    self.check_in(person, day, period)
                if not (day == FIRST and period == "afternoon"):
                    self.check_in(s4, day, period)
                fever = day == FIRST + timedelta(days=1) and period == "morning"
                self.check_in(
                    s1,
                    day,
                    period,
                    temperature="38.1" if fever else "36.6",
                    symptoms=["fever", "cough"] if fever else [],
                    colour="yellow" if fever else "green",
                )
        self.check_in(s4, FIRST, "afternoon", via="manual")
        for person in self.en:
            self.check_in(person, FIRST, "morning")
            self.check_in(person, FIRST, "afternoon")
        for person in (s1, s4, s5, s6, *self.cs2):
            self.check_in(person, TODAY, "morning")
        Isolation.objects.create(
            person=s2,
            kind=Isolation.Kind.OBSERVATION,
            place="宿舍",
            reason="密接",
            starts_on=FIRST,
            ends_on=FIRST + timedelta(days=13),
            created_at=timezone.now(),
        )

    def check_in(
        self, person, day, period, *, temperature="36.5", symptoms=(), colour="green", via="screen"
    ):
        hour = 8 if period == "morning" else 12
        return Checkin.objects.create(
            person=person,
            point=self.point,
            at=datetime(day.year, day.month, day.day, hour, 30, tzinfo=TZ),
            day=day,
            period=period,
            temperature=temperature,
            symptoms=list(symptoms),
            colour=colour,
            reason="normal",
            via=via,
            idempotency_key=f"{person.pk}-{day}-{period}",
        )


@pytest.fixture
def school(tree, time_machine) -> School:
    time_machine.move_to(NOW, tick=False)
    return School(tree)


def staff(tree, name, number, role, scope):
    person = tree.person(name, tree.cs, kind=Person.Kind.STAFF, number=number)
    return tree.account("", (role, scope), person=person)


@pytest.fixture
def roles(tree):
    """One account per role that matters here (staff people of their own, outside the
    classes counted above, except the college's own staff)."""
    security = tree.unit(tree.main_campus, "office", "保卫处")
    gate_person = tree.person("刘保安", security, kind=Person.Kind.STAFF, number="T0006")
    return {
        "adviser": staff(tree, "王老师", "T0001", Role.CLASS_ADVISER, tree.cs_2501),
        "other_adviser": staff(tree, "马老师", "T0010", Role.CLASS_ADVISER, tree.en_2501),
        "dept_admin": staff(tree, "李海燕", "T0003", Role.DEPARTMENT_ADMIN, tree.cs),
        "health": staff(tree, "陈医生", "T0005", Role.HEALTH_OFFICE, tree.school),
        "teacher": staff(tree, "周老师", "T0002", Role.TEACHER, tree.cs),
        "gate": tree.account("", (Role.GATE_STAFF, tree.school), person=gate_person),
        "sysadmin": tree.account("itadmin", (Role.SYSTEM_ADMIN, tree.school)),
        "outsider": tree.account("outsider"),
    }
