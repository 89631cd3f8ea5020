"""Who sees which attendance (R6.6): a teacher only their own sessions, an adviser their
class's, a department admin their department's; everyone else nothing."""

import pytest

from campuscode.attendance import engine
from campuscode.attendance.models import Method, Session
from campuscode.audit.models import AuditEntry
from campuscode.people.models import Person, Role
from conftest import sign_in

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_lesson(tree, klass):
    colleague = tree.account(
        "",
        (Role.TEACHER, tree.cs),
        person=tree.person("钱老师", tree.cs, kind=Person.Kind.STAFF, number="T1008"),
    )
    tree.person("刘洋", tree.cs_2502)
    return Session.objects.create(
        school=tree.school,
        title="线性代数",
        unit=tree.cs_2502,
        owner=colleague,
        starts_at=at("2026-03-02 10:00"),
        ends_at=at("2026-03-02 11:40"),
    )


def test_a_teacher_sees_only_their_own_sessions(
    client, lesson, other_lesson, teacher, time_machine
):
    time_machine.move_to(at("2026-03-02 10:05"), tick=False)
    sign_in(client, teacher)
    assert client.get(f"/attendance/sessions/{lesson.pk}/").status_code == 200
    for path in ("", "screen/", "scanner/"):
        assert client.get(f"/attendance/sessions/{other_lesson.pk}/{path}").status_code == 404
    person = engine.expected_people(other_lesson).first()
    client.post(
        f"/attendance/sessions/{other_lesson.pk}/mark/", {"person": person.pk, "status": "absent"}
    )
    assert not other_lesson.marks.exists()
    report = client.get("/attendance/my-reports/", {"first": "2026-03-01", "last": "2026-03-02"})
    assert "刘洋" not in report.content.decode() and "张一" in report.content.decode()
    assert client.get("/attendance/reports/").status_code == 403


def test_an_adviser_reads_their_class_only_and_is_audited(
    client, lesson, other_lesson, klass, adviser, time_machine
):
    time_machine.move_to(at("2026-03-02 12:00"), tick=False)
    engine.close_due_sessions()
    sign_in(client, adviser)
    page = client.get(f"/attendance/sessions/{lesson.pk}/")
    assert page.status_code == 200 and "张一" in page.content.decode()
    assert 'name="status"' not in page.content.decode()  # reading, not marking
    assert AuditEntry.objects.filter(action="attendance.session.viewed", actor=adviser).count() == 1
    assert client.get(f"/attendance/sessions/{other_lesson.pk}/").status_code == 404
    client.post(
        f"/attendance/sessions/{lesson.pk}/mark/", {"person": klass[0].pk, "status": "present"}
    )
    assert engine.current_marks(lesson)[klass[0].pk].method == Method.AUTO_ABSENT
    report = client.get("/attendance/reports/", {"first": "2026-03-01", "last": "2026-03-02"})
    text = report.content.decode()
    assert "张一" in text and "刘洋" not in text
    assert client.get(f"/attendance/students/{klass[0].pk}/").status_code == 200
    other = Person.objects.get(name="刘洋")
    assert client.get(f"/attendance/students/{other.pk}/").status_code == 404


def test_the_export_lists_times_and_how_each_mark_was_captured(
    client, tree, lesson, klass, adviser, time_machine
):
    import io

    import openpyxl

    time_machine.move_to(at("2026-03-02 08:03"), tick=False)
    engine.record_mark(lesson, klass[0], method=Method.SESSION_QR, actor=None, client_ip=None)
    time_machine.move_to(at("2026-03-02 12:00"), tick=False)
    sign_in(client, adviser)
    response = client.get(
        "/attendance/reports/export.xlsx", {"first": "2026-03-02", "last": "2026-03-02"}
    )
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    marks = list(book.worksheets[1].iter_rows(values_only=True))
    assert len(marks) == 4
    by_name = {row[4]: row for row in marks[1:]}
    assert by_name["张一"][6] == "08:03:00" and by_name["张一"][7] is not None
    assert by_name["李三"][6] in (None, "")  # unmarked, counted absent
    summary = list(book.worksheets[0].iter_rows(values_only=True))
    assert {row[1]: row[7] for row in summary[1:]} == {"张一": 0, "王二": 1, "李三": 1}


def test_an_outsider_and_a_student_see_no_one(client, lesson, klass, outsider, time_machine):
    time_machine.move_to(at("2026-03-02 12:00"), tick=False)
    sign_in(client, outsider)
    assert client.get(f"/attendance/sessions/{lesson.pk}/").status_code == 404
    assert client.get("/attendance/requests/").status_code == 403
    sign_in(client, klass[1].user)
    assert client.get(f"/attendance/sessions/{lesson.pk}/").status_code == 404
    assert client.get(f"/attendance/students/{klass[0].pk}/").status_code == 403
