import pytest

from campuscode.checkins.models import CheckinPoint
from campuscode.people.models import Person, Role

MONDAY_MORNING = "2026-03-02 08:00 +0800"  # inside the default 07:00-10:00 window
MONDAY_NOON = "2026-03-02 11:00 +0800"  # the morning window has closed
HEALTH = {"temperature": "36.5", "symptoms": ["none"], "contact": "none"}


@pytest.fixture
def point(tree):
    return CheckinPoint.objects.create(
        campus=tree.main_campus, building="第一教学楼", name="一教东门", kind="teaching"
    )


@pytest.fixture
def health_officer(tree):
    staff = tree.person("陈医生", tree.clinic, kind=Person.Kind.STAFF, number="T0009")
    return tree.account("", (Role.HEALTH_OFFICE, tree.school), person=staff)


@pytest.fixture
def dept_admin(tree):
    staff = tree.person("李海燕", tree.cs, kind=Person.Kind.STAFF, number="T0002")
    return tree.account("", (Role.DEPARTMENT_ADMIN, tree.cs), person=staff)


@pytest.fixture
def other_adviser(tree):
    """Class adviser of 计科2502班: same college, another class."""
    staff = tree.person("赵老师", tree.cs, kind=Person.Kind.STAFF, number="T0003")
    return tree.account("", (Role.CLASS_ADVISER, tree.cs_2502), person=staff)


@pytest.fixture
def hr(tree):
    staff = tree.person("赵丽", tree.hr_office, kind=Person.Kind.STAFF, number="T0004")
    return tree.account("", (Role.HR, tree.school), person=staff)


def form_key(response) -> str:
    return response.context["form"].initial["key"]
