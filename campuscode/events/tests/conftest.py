"""Event fixtures: an organiser of 计算机学院, one in 外国语学院, and a two-hour talk on
Monday 2 March 2026 for 计科2501班 with a door that takes both directions."""

import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from campuscode.codes.tokens import Colour, issue_token
from campuscode.events import services
from campuscode.events.models import CheckPoint, Event
from campuscode.people.models import Person, Role

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def code_for(person, now=None) -> str:
    return issue_token(person=person, colour=Colour.GREEN, now=now)


@pytest.fixture
def organiser(tree):
    staff = tree.person("活动老师", tree.cs, kind=Person.Kind.STAFF, number="T0300")
    return tree.account("", (Role.EVENT_ORGANISER, tree.cs), person=staff)


@pytest.fixture
def other_organiser(tree):
    staff = tree.person("外院老师", tree.lang, kind=Person.Kind.STAFF, number="T0301")
    return tree.account("", (Role.EVENT_ORGANISER, tree.lang), person=staff)


@pytest.fixture
def klass(tree):
    return [tree.person(name, tree.cs_2501) for name in ("张一", "王二", "李三", "赵四")]


def make_event(
    organiser,
    unit,
    *,
    units=(),
    starts="2026-03-02 14:00",
    ends="2026-03-02 16:00",
    points=(("正门", CheckPoint.Kind.BOTH),),
    **fields,
):
    defaults = {
        "title": "学术讲座",
        "description": "",
        "place": "一教报告厅",
        "audience": Event.Audience.UNITS,
        "capacity": None,
        "registration_open": False,
        "needs_approval": False,
        "mandatory": False,
        "min_stay_minutes": 0,
        "hours": Decimal("2"),
    }
    defaults.update(fields)
    return services.save_event(
        actor=organiser,
        client_ip="127.0.0.1",
        organiser_unit=unit,
        fields=defaults,
        units=list(units),
        sittings=[services.SittingTimes(at(starts), at(ends))],
        points=list(points),
    )


@pytest.fixture
def talk(tree, organiser, klass):
    return make_event(organiser, tree.cs, units=[tree.cs_2501], min_stay_minutes=60)


@pytest.fixture
def door_point(talk):
    return talk.points.get()


def scan(client, point, token, direction="in", nonce=None):
    return client.post(
        f"/events/points/{point.pk}/door/scan",
        {"token": token, "direction": direction, "nonce": nonce or uuid.uuid4().hex},
        content_type="application/json",
    )
