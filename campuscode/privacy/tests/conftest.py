import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from campuscode.checkins.models import Checkin, CheckinPoint
from campuscode.gates.models import GateEvent, Place
from campuscode.gates.services import register_gate
from campuscode.people.models import Person, Role

TZ = ZoneInfo("Asia/Shanghai")
NOW = "2026-09-01 03:30 +0800"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def point(tree):
    return CheckinPoint.objects.create(
        campus=tree.main_campus, building="第一教学楼", name="一教东门", kind="teaching"
    )


@pytest.fixture
def gate(tree):
    place = Place.objects.create(campus=tree.main_campus, name="南门", kind=Place.Kind.CAMPUS_GATE)
    return register_gate(place=place, name="南门闸机1")[0]


@pytest.fixture
def dept_admin(tree):
    staff = tree.person("李海燕", tree.cs, kind=Person.Kind.STAFF, number="T0002")
    return tree.account("", (Role.DEPARTMENT_ADMIN, tree.cs), person=staff)


@pytest.fixture
def security_admin(tree):
    user = tree.account("secadmin", (Role.SECURITY_ADMIN, tree.school))
    user.email = "security@example.edu.cn"
    user.save(update_fields=["email"])
    return user


def checkin(person, point, when: str, **extra) -> Checkin:
    moment = at(when)
    values = {
        "person": person,
        "point": point,
        "at": moment,
        "day": moment.date(),
        "period": "morning" if moment.hour < 12 else "afternoon",
        "temperature": Decimal("36.5"),
        "colour": "green",
        "reason": "normal",
        "via": "screen",
        "idempotency_key": uuid.uuid4().hex,
        **extra,
    }
    return Checkin.objects.create(**values)


def gate_event(person, gate, when: str) -> GateEvent:
    return GateEvent.objects.create(
        gate=gate,
        place=gate.place,
        direction="in",
        person=person,
        at=at(when),
        allowed=True,
        reason="ok",
        colour="green",
        token_fp="abcdef0123456789",
        nonce=uuid.uuid4().hex,
    )
