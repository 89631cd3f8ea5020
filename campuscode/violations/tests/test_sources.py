"""A case starts from evidence (R8): an honesty flag, a gate refusal pattern, a gate alert,
a supervision finding. Each is frozen with its hash and the day it applies to."""

import pytest
from django.utils import timezone

from campuscode.casework.evidence import digest
from campuscode.casework.models import EvidenceItem
from campuscode.people.models import Person, Role
from campuscode.violations.models import ViolationCase
from conftest import sign_in

pytestmark = pytest.mark.django_db


def _frozen(case):
    items = list(EvidenceItem.objects.filter(owner=case.owner_ref))
    assert items and all(i.sha256 == digest(i.snapshot) for i in items)
    return [i.record_type for i in items]


def test_it_reports_from_an_honesty_flag(client, tree, student, adviser, time_machine):
    from campuscode.checkins.models import Checkin, CheckinPoint, Flag

    time_machine.move_to("2026-03-02 08:30 +0800", tick=False)
    point = CheckinPoint.objects.create(campus=tree.main_campus, building="一教", name="东门")
    checkin = Checkin.objects.create(
        person=student,
        point=point,
        at=timezone.now(),
        day="2026-03-02",
        period="morning",
        temperature="36.5",
        colour="green",
        reason="normal",
        via="screen",
        idempotency_key="k1",
    )
    flag = Flag.objects.create(checkin=checkin, reason=Flag.Reason.SHARED_DEVICE)
    sign_in(client, adviser)
    page = client.get(f"/violations/report/?source=flag&ref={flag.pk}")
    assert page.status_code == 200
    assert page.context["form"].initial["vtype"] == "borrowed"
    response = client.post(
        f"/violations/report/?source=flag&ref={flag.pk}",
        {"vtype": "borrowed", "facts": "同一手机在同一时段为两个账号打卡。"},
    )
    assert response.status_code == 302
    case = ViolationCase.objects.get()
    assert (case.source, case.source_ref) == ("flag", f"checkins.flag:{flag.pk}")
    assert _frozen(case) == ["checkins.checkin", "checkins.flag", "violations.report"]
    flags_page = client.get("/checkins/flags/?first=2026-03-02&last=2026-03-02")
    assert f"source=flag&amp;ref={flag.pk}" in flags_page.content.decode()


def test_it_reports_from_a_pattern_of_gate_refusals(client, tree, student, time_machine):
    from campuscode.gates.models import GateEvent, Place
    from campuscode.gates.services import register_gate

    time_machine.move_to("2026-03-02 08:30 +0800", tick=False)
    place = Place.objects.create(campus=tree.main_campus, name="南门", kind=Place.Kind.CAMPUS_GATE)
    gate, _token = register_gate(place=place, name="南门闸机1")
    for n, reason in enumerate(["passback", "impossible_travel", "outside_hours"]):
        GateEvent.objects.create(
            gate=gate,
            place=place,
            direction="in",
            person=student,
            at=timezone.now(),
            allowed=False,
            reason=reason,
            nonce=f"n{n}",
        )
    guard_person = tree.person("刘保安", tree.hr_office, kind=Person.Kind.STAFF, number="T0400")
    guard = tree.account("", (Role.GATE_STAFF, tree.school), person=guard_person)
    sign_in(client, guard)
    response = client.post(
        f"/violations/report/?source=gate&ref={student.pk}",
        {"vtype": "borrowed", "facts": "一天内两次在南门被拒：已在校内、异地刷码。"},
    )
    assert response.status_code == 302
    case = ViolationCase.objects.get()
    # The two refusals that suggest a borrowed code, not the one outside opening hours.
    assert _frozen(case).count("gates.gateevent") == 2


def test_it_reports_from_a_supervision_finding(client, tree, student, time_machine):
    from campuscode.supervision.models import Finding

    time_machine.move_to("2026-03-02 08:30 +0800", tick=False)
    lead_person = tree.person("孙督导", tree.hr_office, kind=Person.Kind.STAFF, number="T0401")
    lead = tree.account("", (Role.SUPERVISION, tree.school), person=lead_person)
    finding = Finding.objects.create(
        school=tree.school,
        unit=tree.cs_2501,
        severity="major",
        criterion="打卡真实性",
        description="抽查点名：张小伟不在场，但系统显示已打卡。",
        applies_on="2026-02-27",
        created_by=lead,
        created_at=timezone.now(),
    )
    sign_in(client, lead)
    response = client.post(
        f"/violations/report/?source=finding&ref={finding.pk}",
        {"vtype": "false", "number": student.number, "facts": "2月27日抽查时不在场却显示已打卡。"},
    )
    assert response.status_code == 302
    case = ViolationCase.objects.get()
    assert (case.person, case.source) == (student, "finding")
    item = EvidenceItem.objects.get(owner=case.owner_ref, record_type="supervision.finding")
    assert str(item.applies_on) == "2026-02-27"


def test_it_reports_from_a_tamper_alert_naming_the_person(client, tree, student, time_machine):
    from campuscode.gates.models import GateAlert, Place
    from campuscode.gates.services import register_gate

    time_machine.move_to("2026-03-02 08:30 +0800", tick=False)
    place = Place.objects.create(campus=tree.main_campus, name="南门", kind=Place.Kind.CAMPUS_GATE)
    gate, _token = register_gate(place=place, name="南门闸机1")
    alert = GateAlert.objects.create(gate=gate, kind="tamper", detail={"cover": "opened"})
    guard_person = tree.person("刘保安", tree.hr_office, kind=Person.Kind.STAFF, number="T0402")
    guard = tree.account("", (Role.GATE_STAFF, tree.school), person=guard_person)
    sign_in(client, guard)
    page = client.get(f"/violations/report/?source=gate_alert&ref={alert.pk}")
    assert page.status_code == 200 and page.context["needs_number"]
    url = f"/violations/report/?source=gate_alert&ref={alert.pk}"
    assert client.post(url, {"vtype": "device", "facts": "撬开闸机外壳"}).status_code == 400
    response = client.post(
        url, {"vtype": "device", "number": student.number, "facts": "撬开闸机外壳"}
    )
    assert response.status_code == 302
    case = ViolationCase.objects.get()
    assert (case.person, case.vtype) == (student, "device")
    assert "gates.gatealert" in _frozen(case)
