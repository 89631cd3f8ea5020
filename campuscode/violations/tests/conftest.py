import pytest
from django.utils import timezone

from campuscode.people.models import Person, Role


@pytest.fixture
def office(tree):
    """The deciding office (学生工作处), school-wide."""
    staff = tree.person("周处长", tree.hr_office, kind=Person.Kind.STAFF, number="T0201")
    return tree.account("", (Role.DISCIPLINE_OFFICE, tree.school), person=staff)


@pytest.fixture
def committee(tree):
    staff = tree.person("吴委员", tree.hr_office, kind=Person.Kind.STAFF, number="T0202")
    return tree.account("", (Role.APPEALS_COMMITTEE, tree.school), person=staff)


@pytest.fixture
def teacher(tree):
    """A teacher of the same college with no duty over the case."""
    staff = tree.person("郑老师", tree.cs, kind=Person.Kind.STAFF, number="T0203")
    return tree.account("", (Role.TEACHER, tree.cs), person=staff)


@pytest.fixture
def anomaly(student):
    from campuscode.anomalies.models import AnomalyCase, AnomalyEvent

    now = timezone.now()
    case = AnomalyCase.objects.create(
        person=student,
        kind="missed_checkins",
        first_day="2026-03-02",
        last_day="2026-03-04",
        detail={"days": ["2026-03-02", "2026-03-03", "2026-03-04"]},
        state="handled",
        opened_at=now,
        deadline=now,
    )
    AnomalyEvent.objects.create(case=case, at=now, state="detected")
    return case
