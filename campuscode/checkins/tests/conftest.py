import pytest

from campuscode.checkins.models import CheckinPoint
from campuscode.checkins.tokens import screen_token
from campuscode.people.models import Person, Role

MORNING = "2026-03-02 08:00 +0800"  # a Monday, inside the default 07:00-10:00 window


@pytest.fixture
def point(tree):
    return CheckinPoint.objects.create(
        campus=tree.main_campus, building="第一教学楼", name="一教东门", kind="teaching"
    )


@pytest.fixture
def east_point(tree):
    return CheckinPoint.objects.create(
        campus=tree.east_campus, building="外语楼", name="外语楼大厅", kind="teaching"
    )


@pytest.fixture
def morning(time_machine):
    time_machine.move_to(MORNING, tick=False)
    return time_machine


@pytest.fixture
def health_officer(tree):
    staff = tree.person("陈医生", tree.clinic, kind=Person.Kind.STAFF, number="T0009")
    return tree.account("", (Role.HEALTH_OFFICE, tree.school), person=staff)


@pytest.fixture
def dept_admin(tree):
    staff = tree.person("李海燕", tree.cs, kind=Person.Kind.STAFF, number="T0002")
    return tree.account("", (Role.DEPARTMENT_ADMIN, tree.cs), person=staff)


def point_path(point, token=None) -> str:
    return f"/checkins/p/{point.pk}/{token or screen_token(point.pk)}/"


GOOD = {"temperature": "36.5", "symptoms": ["none"], "contact": "none"}


def check_in(client, point, data=None, *, token=None, correction="", **extra):
    """Open the point's URL as the phone would, then send the form with its key; with
    `correction`, as a correction of the window's check-in, for that reason."""
    path = point_path(point, token)
    page = client.get(path + ("?correct=1" if correction else ""), **extra)
    assert page.status_code == 200, page.content.decode()[:500]
    key = page.context["form"].initial["key"]
    if correction:
        data = {**(data or {}), "correcting": "1", "correction_reason": correction}
    return client.post(path, {**GOOD, **(data or {}), "key": key}, **extra)


def enrol(client, point, name="大屏"):
    """Register a screen for `point` and enrol `client` as that screen: the kiosk page
    answers only to its credential. Returns (display, credential)."""
    from campuscode.checkins.devices import register_display

    display, credential = register_display(point=point, name=name)
    response = client.post(f"/checkins/kiosk/{point.pk}/enrol/", {"token": credential})
    assert response.status_code == 302, response.content.decode()[:300]
    return display, credential
