"""Demo data of class attendance: a term timetable for the computer-science classes taught
by T1007, two weeks of attendance history with realistic lateness and absences, today's
sessions with one running when the demo starts, a student's pending 补签, and one student
absent from their last three classes (a consecutive-absence case)."""

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from campuscode.attendance import engine
from campuscode.attendance.models import (
    Course,
    LeaveKind,
    Mark,
    MarkRequest,
    Method,
    Session,
    Status,
    Term,
    TimetableEntry,
)
from campuscode.attendance.timetable import generate_sessions
from campuscode.people.models import OrgUnit, Person

TEACHER = "T1007"
PERIODS = [
    "08:00-08:45",
    "08:55-09:40",
    "10:00-10:45",
    "10:55-11:40",
    "14:00-14:45",
    "14:55-15:40",
    "16:00-16:45",
    "16:55-17:40",
    "19:00-19:45",
    "19:55-20:40",
]
# (course code, course, classes, weekday, first period, last period, room)
TIMETABLE = [
    ("CS2101", "数据结构", ["计科2501班"], 1, 1, 2, "一教101"),
    ("CS2101", "数据结构", ["计科2501班"], 3, 3, 4, "一教101"),
    ("CS2102", "离散数学", ["计科2502班"], 2, 1, 2, "一教203"),
    ("CS2102", "离散数学", ["计科2502班"], 4, 5, 6, "一教203"),
    ("CS2103", "程序设计基础", ["软件2501班"], 5, 3, 4, "实验楼305"),
    ("CS1001", "计算机导论", ["计科2501班", "计科2502班", "软件2501班"], 2, 5, 6, "大礼堂"),
]


@transaction.atomic
def load_demo(*, school: OrgUnit, now: datetime) -> list[str]:
    rng = random.Random(11)
    teacher = Person.objects.filter(school=school, number=TEACHER).first()
    if teacher is None or teacher.user is None:
        return []
    classes = {u.name: u for u in school.subtree().filter(kind=OrgUnit.Kind.CLASS)}
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    term = Term.objects.create(
        school=school,
        name="本学期",
        starts_on=monday - timedelta(weeks=2),
        weeks=18,
        period_times=PERIODS,
        exam_weeks=[17, 18],
    )
    for n, (code, name, units, weekday, first, last, room) in enumerate(TIMETABLE):
        course, _c = Course.objects.get_or_create(school=school, code=code, name=name)
        entry = TimetableEntry.objects.create(
            term=term,
            course=course,
            teacher=teacher,
            weekday=weekday,
            first_period=first,
            last_period=last,
            weeks=list(range(1, 17)),
            room=room,
            key=f"demo{n}",
        )
        entry.units.set([classes[u] for u in units if u in classes])
    generate_sessions(term=term, now=now - timedelta(weeks=3))
    # Today: one session running now (started 15 minutes ago) and one later.
    zone = timezone.get_current_timezone()
    start = now.astimezone(zone).replace(second=0, microsecond=0) - timedelta(minutes=15)
    running = Session.objects.create(
        school=school,
        kind=Session.Kind.CLASS,
        origin=Session.Origin.AD_HOC,
        title="数据结构（习题课）",
        starts_at=start,
        ends_at=start + timedelta(minutes=90),
        place="一教101",
        unit=classes["计科2501班"],
        owner=teacher.user,
        created_by=teacher.user,
        course=Course.objects.get(school=school, code="CS2101"),
    )
    later = start + timedelta(hours=3)
    # The teacher teaches one class at a time: today's timetable sessions that would
    # overlap these two are moved (cancelled), as a real 调课 would.
    for begins in (start, later):
        Session.objects.filter(
            owner=teacher.user,
            origin=Session.Origin.TIMETABLE,
            starts_at__lt=begins + timedelta(minutes=90),
            ends_at__gt=begins,
        ).update(cancelled_at=now)
    Session.objects.create(
        school=school,
        kind=Session.Kind.CLASS,
        origin=Session.Origin.AD_HOC,
        title="离散数学（答疑）",
        starts_at=later,
        ends_at=later + timedelta(minutes=90),
        place="一教203",
        unit=classes["计科2502班"],
        owner=teacher.user,
        created_by=teacher.user,
        course=Course.objects.get(school=school, code="CS2102"),
    )
    _history(rng, school, now)
    _running(rng, running, now)
    return [
        "Attendance: T1007 → /attendance/ (today's sessions, one running: roll list, "
        "session code, scanner); 20250101 → /attendance/mine/; T1002 → /attendance/reports/"
    ]


# Some students are often late or absent, so the reports and warnings have something to show.
def _profile(rng: random.Random) -> tuple[float, float, float]:
    """(absent, late, excused) probabilities of one student."""
    kind = rng.random()
    if kind < 0.06:
        return 0.35, 0.2, 0.05
    if kind < 0.2:
        return 0.08, 0.15, 0.03
    return 0.02, 0.05, 0.02


def _history(rng: random.Random, school: OrgUnit, now: datetime) -> None:
    past = list(
        Session.objects.filter(school=school, ends_at__lte=now, cancelled_at__isnull=True)
        .prefetch_related("extra_units")
        .order_by("starts_at")
    )
    profiles: dict[int, tuple[float, float, float]] = {}
    # One student of 计科2501班 missed their last three classes without leave: the
    # consecutive-absence detector opens a case for the adviser (anomalies demo).
    truant = (
        Person.objects.filter(
            school=school,
            kind=Person.Kind.STUDENT,
            org_unit__name="计科2501班",
            user__isnull=False,
        )
        .exclude(number="20250101")
        .order_by("number")[4:5]
        .first()
    )
    skipped = {s.pk for s in [s for s in past if truant and engine.is_expected(s, truant)][-3:]}
    methods = [Method.SESSION_QR] * 7 + [Method.SHORT_CODE, Method.PERSONAL_CODE, Method.ROLL_CALL]
    marks = []
    for session in past:
        for person in engine.expected_people(session):
            absent, late, excused = profiles.setdefault(person.pk, _profile(rng))
            roll = rng.random()
            if roll < absent or (person == truant and session.pk in skipped):
                continue  # left unmarked: the close job below marks them absent
            base = {"session": session, "person": person, "recorded_at": session.starts_at}
            if roll < absent + excused:
                marks.append(
                    Mark(
                        **base,
                        status=Status.EXCUSED,
                        leave_kind=rng.choice([LeaveKind.SICK, LeaveKind.PERSONAL]),
                        method=Method.ROLL_CALL,
                        happened_at=session.starts_at,
                        recorded_by=session.owner,
                        reason="课前请假",
                    )
                )
                continue
            minutes = (
                rng.uniform(10.5, 25) if roll < absent + excused + late else rng.uniform(-8, 9)
            )
            at = session.starts_at + timedelta(minutes=minutes)
            marks.append(
                Mark(
                    **base,
                    status=Status.LATE if minutes > 10 else Status.PRESENT,
                    method=rng.choice(methods),
                    happened_at=at,
                    evidence={"flags": []},
                )
            )
    for mark in marks:
        mark.recorded_at = mark.happened_at
    Mark.objects.bulk_create(marks, batch_size=1000)
    engine.close_due_sessions(now=now, by="demo")
    # The demo student asks for a make-up sign-in of their latest absence.
    student = Person.objects.filter(school=school, number="20250101").first()
    absence = (
        Mark.objects.filter(person=student, status=Status.ABSENT).order_by("-happened_at").first()
        if student
        else None
    )
    if absence is None and student is not None and past:
        mine = [s for s in past if engine.is_expected(s, student)]
        if mine:
            session = mine[-1]
            Mark.objects.filter(session=session, person=student).delete()
            engine.close_session(session, now, by="demo")
            absence = Mark.objects.get(session=session, person=student)
    if absence is not None:
        MarkRequest.objects.create(
            session=absence.session,
            person=student,
            status=Status.PRESENT,
            reason="手机没电，没能扫码",
            evidence_text="坐在第二排，同桌可以作证",
            requested_by=student.user,
            created_at=now - timedelta(hours=2),
        )


def _running(rng: random.Random, session: Session, now: datetime) -> None:
    """Most of the class has scanned the running session's code already."""
    marks = []
    for person in engine.expected_people(session):
        if rng.random() < 0.7:
            at = session.starts_at + timedelta(minutes=rng.uniform(-5, 14))
            marks.append(
                Mark(
                    session=session,
                    person=person,
                    status=Status.LATE
                    if at > session.starts_at + timedelta(minutes=10)
                    else Status.PRESENT,
                    method=Method.SESSION_QR,
                    happened_at=min(at, now),
                    recorded_at=min(at, now),
                    evidence={"flags": []},
                )
            )
    Mark.objects.bulk_create(marks)
