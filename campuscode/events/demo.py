"""Demo events (R2.5): T1007 also organises the college's events. A past mandatory
lecture (closed, with early leavers, no-shows and absences waiting for the adviser), a
talk running now with two door scanners and the event's code, and an upcoming
volunteer day whose registrations need approval."""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from campuscode.accounts.forms import person_username
from campuscode.attendance import engine
from campuscode.attendance.models import Direction, Method
from campuscode.events import services
from campuscode.events.models import CheckPoint, Event, EventSession, Registration
from campuscode.people.models import OrgUnit, Person, Role, RoleAssignment

ORGANISER = "T1007"


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return timezone.localtime(day).replace(hour=hour, minute=minute, second=0, microsecond=0)


def _sign(sitting, person, *, at, direction=Direction.IN, point, user, method=Method.DOOR_SCANNER):
    try:
        return engine.record_mark(
            sitting.session,
            person,
            method=method,
            actor=user,
            client_ip=None,
            now=at,
            happened_at=at,
            direction=direction,
            point=str(point.pk),
            device=f"door:{point.pk}",
            check_expected=False,
        )
    except engine.MarkRefused:
        return None


@transaction.atomic
def load_demo(*, school: OrgUnit, now: datetime) -> list[str]:
    rng = random.Random(11)
    units = {u.name: u for u in OrgUnit.objects.filter(path__startswith=school.path)}
    college = units["计算机学院"]
    user = User.objects.get(username=person_username(school=school, number=ORGANISER))
    RoleAssignment.objects.get_or_create(user=user, role=Role.EVENT_ORGANISER, org_unit=college)
    S = services.SittingTimes

    # 1. Two days ago: a mandatory lecture for two classes, signed in and out at the door.
    past_day = now - timedelta(days=2)
    past = services.save_event(
        actor=user,
        client_ip=None,
        organiser_unit=college,
        fields={
            "title": "新生入学教育讲座",
            "description": "学籍管理、学术诚信与安全教育。须签到、签退，停留满 60 分钟计 2 学时。",
            "place": "一教报告厅",
            "audience": Event.Audience.UNITS,
            "capacity": None,
            "registration_open": False,
            "needs_approval": False,
            "mandatory": True,
            "min_stay_minutes": 60,
            "hours": Decimal("2"),
        },
        units=[units["计科2501班"], units["计科2502班"]],
        sittings=[S(_at(past_day, 14), _at(past_day, 16))],
        points=[("正门", CheckPoint.Kind.BOTH)],
    )
    sitting = past.sittings.get()
    door = past.points.get()
    invited = list(
        Person.objects.filter(org_unit__in=[units["计科2501班"], units["计科2502班"]]).order_by(
            "number"
        )
    )
    start = sitting.session.starts_at
    for person in invited:
        roll = rng.random()
        if roll < 0.08:
            continue  # a no-show: an absence for the adviser to review
        arrived = (
            start - timedelta(minutes=rng.randint(0, 9)) + timedelta(minutes=rng.randint(0, 3))
        )
        _sign(sitting, person, at=arrived, point=door, user=user)
        if roll < 0.16:
            continue  # forgot to sign out: no hours
        left = (
            start + timedelta(minutes=rng.randint(25, 55))
            if roll < 0.24
            else sitting.session.ends_at + timedelta(minutes=rng.randint(0, 8))
        )
        _sign(sitting, person, at=left, direction=Direction.OUT, point=door, user=user)
    services.close_sitting(sitting=sitting, now=sitting.session.ends_at + timedelta(hours=1))

    # 2. Running now: a talk open to everyone, with registration, two doors and the code.
    talk = services.save_event(
        actor=user,
        client_ip=None,
        organiser_unit=college,
        fields={
            "title": "人工智能前沿讲座",
            "description": "邀请校外专家介绍大模型的最新进展。欢迎全校师生报名参加。",
            "place": "图书馆学术报告厅",
            "audience": Event.Audience.EVERYONE,
            "capacity": 200,
            "registration_open": True,
            "needs_approval": False,
            "mandatory": False,
            "min_stay_minutes": 45,
            "hours": Decimal("1.5"),
        },
        units=[],
        sittings=[S(now - timedelta(minutes=25), now + timedelta(minutes=95))],
        points=[("东门", CheckPoint.Kind.ENTRY), ("西门", CheckPoint.Kind.BOTH)],
    )
    sitting = talk.sittings.get()
    east, west = list(talk.points.order_by("pk"))
    students = list(Person.objects.filter(school=school, kind="student").order_by("?")[:60])
    demo_student = Person.objects.get(school=school, number="20250101")
    for person in [*students[:45], demo_student]:
        Registration.objects.get_or_create(
            event=talk,
            person=person,
            defaults={
                "state": Registration.State.APPROVED,
                "source": Registration.Source.SELF,
                "created_at": now - timedelta(days=rng.randint(1, 5)),
                "created_by": person.user,
            },
        )
    for n, person in enumerate(students[:32]):
        at = sitting.session.starts_at - timedelta(minutes=8) + timedelta(seconds=40 * n)
        _sign(sitting, person, at=min(at, now), point=east if n % 3 else west, user=user)
    for person in students[45:48]:
        services.sign_in_walk_in(
            sitting=sitting, point=west, person=person, actor=user, client_ip=None, now=now
        )

    # 3. In three days: a volunteer day, registrations approved by the organiser.
    later = now + timedelta(days=3)
    volunteer = services.save_event(
        actor=user,
        client_ip=None,
        organiser_unit=college,
        fields={
            "title": "社区科普志愿服务",
            "description": "两天的社区科普志愿活动，每天计 3 学时。报名需组织者审核。",
            "place": "学院楼前集合",
            "audience": Event.Audience.UNITS,
            "capacity": 20,
            "registration_open": True,
            "needs_approval": True,
            "mandatory": False,
            "min_stay_minutes": 120,
            "hours": Decimal("3"),
        },
        units=[college],
        sittings=[
            S(_at(later, 9), _at(later, 12)),
            S(_at(later + timedelta(days=1), 9), _at(later + timedelta(days=1), 12)),
        ],
        points=[("集合点", CheckPoint.Kind.BOTH)],
    )
    for person in students[48:54]:
        if person.org_unit.path.startswith(college.path):
            Registration.objects.get_or_create(
                event=volunteer,
                person=person,
                defaults={
                    "state": Registration.State.PENDING,
                    "source": Registration.Source.SELF,
                    "created_at": now - timedelta(hours=rng.randint(1, 30)),
                    "created_by": person.user,
                },
            )
    running = EventSession.objects.get(event=talk)
    return [
        f"Events: {ORGANISER} organises the college's events at /events/ "
        f"(door scanner: /events/points/{east.pk}/door/, event code on a screen: "
        f"/events/sittings/{running.pk}/screen/); 20250101 sees theirs at /events/mine/; "
        "T1001 reviews absences from the mandatory lecture at /events/reviews/"
    ]
