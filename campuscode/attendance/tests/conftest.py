from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from campuscode.attendance.models import Session
from campuscode.people.models import Person, Role

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def teacher(tree):
    staff = tree.person("赵老师", tree.cs, kind=Person.Kind.STAFF, number="T1007")
    return tree.account("", (Role.TEACHER, tree.cs), person=staff)


@pytest.fixture
def klass(tree):
    """计科2501班 with three students."""
    return [tree.person(name, tree.cs_2501) for name in ("张一", "王二", "李三")]


@pytest.fixture
def lesson(tree, teacher, klass):
    return Session.objects.create(
        school=tree.school,
        kind=Session.Kind.CLASS,
        title="数据结构",
        starts_at=at("2026-03-02 08:00"),
        ends_at=at("2026-03-02 09:40"),
        place="A101",
        unit=tree.cs_2501,
        owner=teacher,
        created_by=teacher,
    )
