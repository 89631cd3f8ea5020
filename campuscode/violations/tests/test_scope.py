"""Need-to-know (R8, R6.6): the person, their adviser and department leadership, the
deciding office, the committee for appealed cases; nobody else. Every read audited."""

import pytest
from django.utils import timezone

from campuscode.audit.models import AuditEntry
from campuscode.people.models import Person, Role
from conftest import sign_in

from .helpers import report_from_anomaly, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def notified(client, time_machine, adviser, office, anomaly):
    time_machine.move_to("2026-03-09 09:00 +0800", tick=False)
    case = report_from_anomaly(client, adviser, anomaly)
    step(client, office, case, "notice")
    return case


def test_a_person_sees_only_their_own_case(client, tree, notified, student, other_student):
    other_case_person = sign_in(client, other_student.user)
    assert other_case_person.get(f"/violations/{notified.pk}/").status_code == 404
    assert other_case_person.get(f"/violations/{notified.pk}/letter.pdf").status_code == 404
    assert client.get("/violations/mine/").context["rows"] == []
    assert client.get("/violations/").status_code == 403
    own = sign_in(client, student.user)
    assert own.get(f"/violations/{notified.pk}/").status_code == 200
    assert [c.pk for c in own.get("/violations/mine/").context["rows"]] == [notified.pk]


def test_an_unrelated_teacher_sees_nothing(client, notified, teacher, student):
    sign_in(client, teacher)
    assert client.get("/violations/").status_code == 403
    assert client.get(f"/violations/{notified.pk}/").status_code == 404
    assert client.get("/violations/consistency/").status_code == 403
    assert client.get(f"/violations/report/?source=anomaly&ref={notified.pk}").status_code == 403
    assert not AuditEntry.objects.filter(actor=teacher, subject=student).exists()


def test_the_adviser_and_department_see_their_people_only(client, tree, notified, student):
    other_adviser_person = tree.person("钱老师", tree.lang, kind=Person.Kind.STAFF, number="T0300")
    other_adviser = tree.account(
        "", (Role.CLASS_ADVISER, tree.en_2501), person=other_adviser_person
    )
    dept_person = tree.person("李主任", tree.cs, kind=Person.Kind.STAFF, number="T0301")
    dept = tree.account("", (Role.DEPARTMENT_ADMIN, tree.cs), person=dept_person)
    assert sign_in(client, other_adviser).get(f"/violations/{notified.pk}/").status_code == 404
    assert sign_in(client, other_adviser).get("/violations/").context["rows"] == []
    assert sign_in(client, dept).get(f"/violations/{notified.pk}/").status_code == 200
    assert AuditEntry.objects.filter(
        action="violations.case.viewed", actor=dept, subject=student, ip="127.0.0.1"
    ).exists()
    # Reading is not deciding: no decide form, and a posted decision is refused.
    response = step(client, dept, notified, "notice")
    assert response.status_code == 400


def test_the_committee_sees_appealed_cases_only(
    client, time_machine, notified, committee, office, student
):
    assert sign_in(client, committee).get(f"/violations/{notified.pk}/").status_code == 404
    time_machine.move_to("2026-03-15 00:10 +0800", tick=False)
    step(client, office, notified, "decide", step="criticism", reasons="理由")
    step(client, student.user, notified, "appeal", text="申诉")
    assert sign_in(client, committee).get(f"/violations/{notified.pk}/").status_code == 200


def test_a_reporter_uses_only_evidence_in_their_reach(client, tree, anomaly, other_student):
    from campuscode.anomalies.models import AnomalyCase

    now = timezone.now()
    elsewhere = AnomalyCase.objects.create(
        person=other_student,
        kind="missed_checkins",
        first_day="2026-03-02",
        last_day="2026-03-04",
        opened_at=now,
        deadline=now,
    )
    person = tree.person("王辅导员", tree.cs, kind=Person.Kind.STAFF, number="T0302")
    adviser = tree.account("", (Role.CLASS_ADVISER, tree.cs_2501), person=person)
    sign_in(client, adviser)
    assert client.get(f"/violations/report/?source=anomaly&ref={elsewhere.pk}").status_code == 404
    response = client.post(
        f"/violations/report/?source=anomaly&ref={elsewhere.pk}", {"vtype": "missed", "facts": "x"}
    )
    assert response.status_code == 404
    page = client.get(f"/violations/report/?source=anomaly&ref={anomaly.pk}")
    assert page.status_code == 200 and anomaly.person.name in page.content.decode()
    assert AuditEntry.objects.filter(action="violations.report.viewed", actor=adviser).count() == 1


def test_a_staff_report_names_a_person_by_number(client, tree, student, office):
    gate_person = tree.person("刘保安", tree.hr_office, kind=Person.Kind.STAFF, number="T0303")
    guard = tree.account("", (Role.GATE_STAFF, tree.school), person=gate_person)
    sign_in(client, guard)
    response = client.post(
        "/violations/report/?source=report",
        {
            "vtype": "device",
            "number": student.number,
            "facts": "3月9日8时在南门用力拍打闸机致其损坏。",
        },
    )
    assert response.status_code == 302  # the guard may report, but reads no case afterwards
    case = student.violation_cases.get()
    assert (case.vtype, case.source) == ("device", "report")
    assert client.get(f"/violations/{case.pk}/").status_code == 404
    response = client.post(
        "/violations/report/?source=report", {"vtype": "device", "number": "nobody", "facts": "x"}
    )
    assert response.status_code == 400
