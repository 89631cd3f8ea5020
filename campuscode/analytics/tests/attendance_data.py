"""Class sessions and marks for the attendance panels, on top of conftest.School.

计科2501班 (six students): Monday 08:00 s1 present, s2 excused, s3 absent, s4 late, s5
present, s6 left early; Monday 14:00 a lecture with 计科2502班 too, s3 unmarked, s2 excused,
the rest of both classes present; Tuesday 08:00 s3 absent, s5 marked absent then corrected
to present, the rest present; Tuesday 10:00 cancelled (its marks never count); Wednesday
14:00 not over at 13:00 (not counted yet). 英语2501班: Wednesday 08:00, one late."""

from datetime import datetime, timedelta

from campuscode.attendance.models import Mark, Method, Session, Status

from .conftest import TZ


def _session(tree, unit, title, start, *, extra=(), cancelled=False):
    starts = datetime(*start, tzinfo=TZ)
    session = Session.objects.create(
        school=tree.school,
        kind=Session.Kind.CLASS,
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=100),
        unit=unit,
        cancelled_at=starts if cancelled else None,
    )
    session.extra_units.set(extra)
    return session


def _mark(session, person, status, *, supersedes=None):
    return Mark.objects.create(
        session=session,
        person=person,
        status=status,
        method=Method.OVERRIDE if supersedes else Method.ROLL_CALL,
        happened_at=session.starts_at,
        recorded_at=session.starts_at,
        supersedes=supersedes,
        reason="更正" if supersedes else "",
    )


def make_attendance(school) -> dict:
    tree = school.tree
    s1, s2, s3, s4, s5, s6 = school.cs1
    P, L, E, A, X = Status.PRESENT, Status.LATE, Status.LEFT_EARLY, Status.ABSENT, Status.EXCUSED
    mon = _session(tree, tree.cs_2501, "数据结构", (2026, 3, 2, 8, 0))
    for person, status in zip(school.cs1, (P, X, A, L, P, E), strict=True):
        _mark(mon, person, status)
    lecture = _session(tree, tree.cs_2501, "计算机导论", (2026, 3, 2, 14, 0), extra=[tree.cs_2502])
    for person in (s1, s4, s5, s6, *school.cs2):
        _mark(lecture, person, P)
    _mark(lecture, s2, X)
    tue = _session(tree, tree.cs_2501, "数据结构", (2026, 3, 3, 8, 0))
    for person in (s1, s2, s4, s6):
        _mark(tue, person, P)
    _mark(tue, s3, A)
    _mark(tue, s5, P, supersedes=_mark(tue, s5, A))
    cancelled = _session(tree, tree.cs_2501, "离散数学", (2026, 3, 3, 10, 0), cancelled=True)
    for person in school.cs1:
        _mark(cancelled, person, A)
    english = _session(tree, tree.en_2501, "综合英语", (2026, 3, 4, 8, 0))
    for n, person in enumerate(school.en):
        _mark(english, person, L if n == 0 else P)
    later = _session(tree, tree.cs_2501, "数据结构", (2026, 3, 4, 14, 0))
    return {"mon": mon, "lecture": lecture, "tue": tue, "english": english, "later": later}
