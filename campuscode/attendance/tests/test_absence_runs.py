"""The class-absence detector finds its runs in SQL (gaps and islands); on random
histories its hits are exactly those of a plain walk through each student's sessions:
excused sessions neither count nor break a run, attended ones end it, cancelled, still
open, too old or event sessions and corrected or sign-out marks are not read."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from campuscode.anomalies import registry
from campuscode.anomalies.detectors import Hit
from campuscode.attendance.models import Direction, Mark, Method, Session, Status
from campuscode.core.rules import set_setting

from .conftest import at

pytestmark = pytest.mark.django_db

KIND = "class_absences"
NOW = at("2026-03-30 22:30")
DAYS = 21  # the default of anomaly_class_days
STATUSES = [
    (Status.ABSENT, 0.45),
    (Status.EXCUSED, 0.15),
    (Status.PRESENT, 0.3),
    (Status.LATE, 0.05),
    (Status.LEFT_EARLY, 0.05),
]


def pick(rng: random.Random) -> str:
    return rng.choices([s for s, _w in STATUSES], weights=[w for _s, w in STATUSES])[0]


def mark(session, person, status, *, direction=Direction.IN, supersedes=None) -> Mark:
    return Mark.objects.create(
        session=session,
        person=person,
        status=status,
        method=Method.OVERRIDE if supersedes else Method.ROLL_CALL,
        direction=direction,
        happened_at=session.starts_at,
        recorded_at=session.ends_at,
        supersedes=supersedes,
    )


def history(tree, rng: random.Random) -> list:
    students = [tree.person(f"学生{i}", tree.cs_2501) for i in range(6)]
    students += [tree.person(f"同学{i}", tree.cs_2502) for i in range(3)]
    for _n in range(60):
        # Few slots a day, so that sessions also start at the same time.
        start = at(f"2026-03-{rng.randint(1, 30):02d} {rng.choice([8, 10, 14, 21]):02d}:00")
        roll = rng.random()
        session = Session.objects.create(
            school=tree.school,
            kind=Session.Kind.EVENT if roll < 0.05 else Session.Kind.CLASS,
            title="课",
            starts_at=start,
            ends_at=start + timedelta(minutes=100),
            unit=tree.cs_2501,
            cancelled_at=start if 0.05 <= roll < 0.15 else None,
            closed_at=None if 0.15 <= roll < 0.25 else start + timedelta(minutes=100),
        )
        for student in students:
            if rng.random() < 0.1:
                continue  # not on the list then
            first = mark(session, student, pick(rng))
            if rng.random() < 0.15:
                corrected = mark(session, student, pick(rng), supersedes=first)
                if rng.random() < 0.3:
                    mark(session, student, pick(rng), supersedes=corrected)
            if rng.random() < 0.1:
                mark(session, student, pick(rng), direction=Direction.OUT)
    return students


def reference(school, n: int) -> list[Hit]:
    """Each student's sessions one by one, in Python, from all the rows."""
    since = NOW - timedelta(days=DAYS)
    held = sorted(
        (
            s
            for s in Session.objects.filter(school=school)
            if s.kind == Session.Kind.CLASS
            and s.cancelled_at is None
            and s.closed_at is not None
            and s.ends_at <= NOW
            and s.starts_at >= since
        ),
        key=lambda s: (s.starts_at, s.pk),
    )
    every = list(Mark.objects.all())
    replaced = {m.supersedes_id for m in every if m.supersedes_id}
    current = [m for m in every if m.pk not in replaced and m.direction == Direction.IN]
    hits = []
    for person_id in sorted({m.person_id for m in current}):
        runs, run = [], []
        for session in held:
            for m in sorted(current, key=lambda m: m.pk):
                if (m.session_id, m.person_id) != (session.pk, person_id):
                    continue
                if m.status == Status.ABSENT:
                    run.append(session)
                elif m.status != Status.EXCUSED:
                    runs.append(run)
                    run = []
        runs.append(run)
        for run in runs:
            if len(run) < n:
                continue
            lessons = [
                {"session": s.pk, "day": timezone.localdate(s.starts_at).isoformat()} for s in run
            ]
            days = sorted({timezone.localdate(s.starts_at) for s in run})
            hits.append(Hit(person_id, KIND, days, {"sessions": lessons}))
    return hits


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_it_finds_the_runs_a_plain_walk_finds(tree, seed):
    rng = random.Random(seed)
    history(tree, rng)
    n = rng.choice([2, 3, 4])
    set_setting(key="anomaly_class_absences", value=n)
    expected = reference(tree.school, n)
    assert expected  # the history has runs to find
    found = registry.get(KIND).detect(school_id=tree.school.pk, now=NOW)
    assert found == expected
