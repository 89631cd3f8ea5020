"""Corrections (R2.4): an override needs a reason and is audited; past the retro-edit
limit the department admin approves; a student's 补签 goes to the teacher."""

import pytest
from django.core.management import call_command

from campuscode.attendance import engine
from campuscode.attendance.models import Mark, MarkRequest, Method
from campuscode.audit.models import AuditEntry
from campuscode.notify.models import Notice
from campuscode.people.models import Person, Role
from conftest import sign_in

from .conftest import at

pytestmark = pytest.mark.django_db


def test_an_override_needs_a_reason_and_is_audited(client, lesson, klass, teacher, time_machine):
    time_machine.move_to(at("2026-03-02 10:00"), tick=False)
    call_command("close-sessions")
    sign_in(client, teacher)
    url = f"/attendance/sessions/{lesson.pk}/mark/"
    client.post(url, {"person": klass[0].pk, "status": "present"})
    assert engine.current_marks(lesson)[klass[0].pk].status == "absent"
    client.post(url, {"person": klass[0].pk, "status": "present", "reason": "扫码失败，在场"})
    mark = engine.current_marks(lesson)[klass[0].pk]
    assert (mark.status, mark.method, mark.recorded_by) == ("present", Method.OVERRIDE, teacher)
    entry = AuditEntry.objects.get(action="attendance.mark.corrected")
    assert entry.data["before"] == "absent" and entry.data["reason"] == "扫码失败，在场"


def test_past_the_limit_the_department_admin_approves(
    client, tree, lesson, klass, teacher, time_machine
):
    dept = tree.account(
        "",
        (Role.DEPARTMENT_ADMIN, tree.cs),
        person=tree.person("李主任", tree.cs, kind=Person.Kind.STAFF, number="T0003"),
    )
    time_machine.move_to(at("2026-03-02 10:00"), tick=False)
    call_command("close-sessions")
    time_machine.move_to(at("2026-03-12 10:00"), tick=False)  # 10 days later, limit 7
    sign_in(client, teacher)
    client.post(
        f"/attendance/sessions/{lesson.pk}/mark/",
        {
            "person": klass[0].pk,
            "status": "excused",
            "leave_kind": "official",
            "reason": "校运动会",
        },
    )
    assert engine.current_marks(lesson)[klass[0].pk].status == "absent"
    request = MarkRequest.objects.get(kind="late_correction")
    assert (
        client.post(f"/attendance/requests/{request.pk}/decide/", {"approve": "1"}).status_code
        == 404
    )
    sign_in(client, dept)
    assert "校运动会" in client.get("/attendance/requests/").content.decode()
    client.post(f"/attendance/requests/{request.pk}/decide/", {"approve": "1"})
    mark = engine.current_marks(lesson)[klass[0].pk]
    assert (mark.status, mark.leave_kind, mark.recorded_by) == ("excused", "official", dept)


def test_a_student_asks_for_a_makeup_and_the_teacher_decides(
    client, lesson, klass, teacher, time_machine
):
    time_machine.move_to(at("2026-03-02 10:00"), tick=False)
    call_command("close-sessions")
    student = klass[2]
    sign_in(client, student.user)
    mine = client.get("/attendance/mine/").content.decode()
    assert f"/attendance/sessions/{lesson.pk}/makeup/" in mine
    client.post(
        f"/attendance/sessions/{lesson.pk}/makeup/",
        {"reason": "手机没电，扫码失败", "evidence_text": "坐第一排，王二可证明"},
    )
    again = client.post(f"/attendance/sessions/{lesson.pk}/makeup/", {"reason": "再试"})
    assert "已有一条申请在等待处理" in again.content.decode()
    assert Notice.objects.filter(user=teacher, kind="attendance_request").count() == 1
    request = MarkRequest.objects.get()
    sign_in(client, teacher)
    client.post(f"/attendance/requests/{request.pk}/decide/", {"approve": "1", "note": "属实"})
    mark = engine.current_marks(lesson)[student.pk]
    assert (mark.status, mark.method) == ("present", Method.MAKEUP)
    assert Mark.objects.filter(person=student).count() == 2  # the absence stays, superseded
    assert Notice.objects.filter(user=student.user, kind="attendance_request").exists()


def test_warnings_go_to_the_student_and_the_adviser_once(
    tree, teacher, klass, adviser, time_machine
):
    from datetime import timedelta

    from campuscode.attendance.models import Session
    from campuscode.attendance.services import send_warnings

    start = at("2026-03-02 08:00")
    for n in range(5):
        Session.objects.create(
            school=tree.school,
            title="数据结构",
            unit=tree.cs_2501,
            owner=teacher,
            starts_at=start + timedelta(days=n),
            ends_at=start + timedelta(days=n, hours=1),
        )
    time_machine.move_to(at("2026-03-07 09:00"), tick=False)
    call_command("close-sessions")
    first = send_warnings()
    assert first == {"rate": 3, "consecutive": 3}
    assert send_warnings() == {"rate": 0, "consecutive": 0}
    assert Notice.objects.filter(user=adviser, kind="attendance_warning").count() == 6
