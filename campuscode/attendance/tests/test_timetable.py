"""Timetable import with a preview of bad rows, and the term's sessions generated once,
around holidays, exam weeks and make-up days (R2.4)."""

import io
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campuscode.attendance.models import Session, Term
from campuscode.attendance.timetable import generate_sessions, parse_weeks
from campuscode.checkins.models import WindowNotice
from campuscode.people.models import Person, Role
from conftest import sign_in

from .conftest import at

pytestmark = pytest.mark.django_db

HEADERS = ["课程代码", "课程名称", "上课班级", "任课教师", "星期", "节次", "周次", "教室"]


def xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def office(tree):
    return tree.account("jwc", (Role.ACADEMIC_OFFICE, tree.school))


@pytest.fixture
def term(tree):
    return Term.objects.create(
        school=tree.school,
        name="2025-2026-2",
        starts_on=date(2026, 3, 2),
        weeks=4,
        period_times=["08:00-08:45", "08:55-09:40", "10:00-10:45", "10:55-11:40"],
        exam_weeks=[4],
        makeup_days=[{"date": "2026-03-14", "as": "2026-03-10"}],
    )


def test_parse_weeks():
    assert parse_weeks("1-4周") == [1, 2, 3, 4]
    assert parse_weeks("2-8双周") == [2, 4, 6, 8]
    assert parse_weeks("1-3,5") == [1, 2, 3, 5]
    assert parse_weeks("第三周") is None


def test_it_previews_bad_rows_then_imports_the_good_ones(client, tree, term, office):
    tree.person("赵老师", tree.cs, kind=Person.Kind.STAFF, number="T1007")
    data = xlsx(
        [
            ["CS101", "数据结构", "计科2501班", "赵老师", "星期一", "1-2", "1-4周", "A101"],
            [
                "CS102",
                "离散数学",
                "计科2501班、计科2502班",
                "赵老师",
                "3",
                "第3-4节",
                "1-3",
                "A102",
            ],
            ["CS103", "编译原理", "计科2599班", "赵老师", "星期二", "1-2", "1-4", "A103"],
            ["CS104", "操作系统", "计科2501班", "钱老师", "星期八", "1-9", "1-40周", ""],
        ]
    )
    sign_in(client, office)
    preview = client.post(
        f"/attendance/timetable/{term.pk}/upload/",
        {"file": SimpleUploadedFile("课表.xlsx", data)},
    )
    page = preview.content.decode()
    assert 'data-count="good">2<' in page and 'data-count="bad">2<' in page
    assert 'data-bad-row="4"' in page and 'data-bad-row="5"' in page
    assert not term.entries.exists()  # nothing stored by the preview
    key = preview.context["key"]
    client.post(f"/attendance/timetable/{term.pk}/commit/", {"key": key})
    assert term.entries.count() == 2
    client.post(f"/attendance/timetable/{term.pk}/commit/", {"key": key})
    assert term.entries.count() == 2  # a re-import updates, never doubles


def test_generation_skips_a_holiday_and_exam_week_and_is_idempotent(tree, term, time_machine):
    from campuscode.attendance.models import Course, TimetableEntry

    time_machine.move_to(at("2026-02-20 09:00"), tick=False)
    teacher = tree.person("赵老师", tree.cs, kind=Person.Kind.STAFF, number="T1007")
    entry = TimetableEntry.objects.create(
        term=term,
        course=Course.objects.create(school=tree.school, name="数据结构"),
        teacher=teacher,
        weekday=2,  # Tuesday
        first_period=1,
        last_period=2,
        weeks=[1, 2, 3, 4],
        room="A101",
        key="k",
    )
    entry.units.set([tree.cs_2501])
    WindowNotice.objects.create(
        school=tree.school,
        title="放假",
        first_day=date(2026, 3, 10),
        last_day=date(2026, 3, 10),
        kind=WindowNotice.Kind.NO_CHECKIN,
    )
    first = generate_sessions(term=term)
    days = sorted(s.starts_at.date() for s in Session.objects.filter(cancelled_at__isnull=True))
    # Weeks 1-3 (week 4 is exams); 03-10 a holiday, taught on the make-up Saturday 03-14.
    assert days == [date(2026, 3, 3), date(2026, 3, 14), date(2026, 3, 17)]
    assert first["created"] == 3
    assert generate_sessions(term=term) == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "cancelled": 0,
    }
    # A holiday announced later cancels the session; the room moving updates the rest.
    WindowNotice.objects.create(
        school=tree.school,
        title="运动会",
        first_day=date(2026, 3, 17),
        last_day=date(2026, 3, 17),
        kind=WindowNotice.Kind.NO_CHECKIN,
    )
    TimetableEntry.objects.filter(pk=entry.pk).update(room="B202")
    again = generate_sessions(term=term)
    assert (again["cancelled"], again["updated"]) == (1, 2)
    assert set(
        Session.objects.filter(cancelled_at__isnull=True).values_list("place", flat=True)
    ) == {"B202"}
    session = Session.objects.filter(cancelled_at__isnull=True).first()
    assert session.owner == teacher.user and session.unit == tree.cs_2501
