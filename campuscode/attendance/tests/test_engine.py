"""The session engine: tokens, windows, once per person, closing (R2.4)."""

import threading

import pytest
from django.db import connection

from campuscode.attendance import engine
from campuscode.attendance.engine import MarkRefused, Refusal
from campuscode.attendance.models import Mark, Method, Status

from .conftest import at

pytestmark = pytest.mark.django_db


def test_it_marks_present_then_late_by_time(lesson, klass, time_machine):
    first = engine.record_mark(
        lesson,
        klass[0],
        method=Method.SESSION_QR,
        actor=None,
        client_ip=None,
        now=at("2026-03-02 08:05"),
    )
    second = engine.record_mark(
        lesson,
        klass[1],
        method=Method.SESSION_QR,
        actor=None,
        client_ip=None,
        now=at("2026-03-02 08:20"),
    )
    assert (first.status, second.status) == (Status.PRESENT, Status.LATE)


def test_it_refuses_a_future_session_and_after_the_late_window(lesson, klass):
    with pytest.raises(MarkRefused) as early:
        engine.record_mark(
            lesson,
            klass[0],
            method=Method.ROLL_CALL,
            actor=None,
            client_ip=None,
            now=at("2026-03-01 08:00"),
            status=Status.PRESENT,
        )
    with pytest.raises(MarkRefused) as late:
        engine.record_mark(
            lesson,
            klass[0],
            method=Method.SESSION_QR,
            actor=None,
            client_ip=None,
            now=at("2026-03-02 08:31"),
        )
    assert (early.value.code, late.value.code) == (Refusal.NOT_OPEN, Refusal.CLOSED)
    assert "08:00" not in early.value.message and "07:50" in early.value.message


def test_it_marks_once_per_person(lesson, klass):
    now = at("2026-03-02 08:01")
    engine.record_mark(
        lesson, klass[0], method=Method.SESSION_QR, actor=None, client_ip=None, now=now
    )
    with pytest.raises(MarkRefused) as again:
        engine.record_mark(
            lesson, klass[0], method=Method.SHORT_CODE, actor=None, client_ip=None, now=now
        )
    assert again.value.code == Refusal.ALREADY
    assert Mark.objects.filter(person=klass[0]).count() == 1


def test_a_session_token_rotates_with_one_step_of_grace(lesson):
    now = at("2026-03-02 08:01").timestamp()
    token = engine.session_token(lesson, now)
    assert engine.verify_session_token(lesson, token, now + 10).ok
    assert engine.verify_session_token(lesson, token, now + 20).refusal == Refusal.EXPIRED_TOKEN
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert engine.verify_session_token(lesson, forged, now).refusal == Refusal.BAD_TOKEN


def test_closing_marks_the_unmarked_absent_once(lesson, klass):
    engine.record_mark(
        lesson,
        klass[0],
        method=Method.SESSION_QR,
        actor=None,
        client_ip=None,
        now=at("2026-03-02 08:01"),
    )
    assert engine.close_session(lesson, at("2026-03-02 08:30")) == 0  # not over yet
    assert engine.close_session(lesson, at("2026-03-02 10:00"), by="test") == 2
    assert engine.close_session(lesson, at("2026-03-02 10:01")) == 0
    t = engine.tally(lesson)
    assert (t.counts[Status.PRESENT], t.counts[Status.ABSENT], t.unmarked) == (1, 2, 0)
    auto = Mark.objects.filter(method=Method.AUTO_ABSENT).first()
    assert auto.evidence["closed_by"] == "test"


@pytest.mark.django_db(transaction=True)
def test_two_close_jobs_at_once_add_each_absence_once(lesson, klass):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    results, barrier = [], threading.Barrier(2)

    def run():
        from django.db import connection as own

        barrier.wait()
        try:
            results.append(engine.close_session(lesson, at("2026-03-02 10:00")))
        finally:
            own.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 3]
    assert Mark.objects.filter(session=lesson).count() == 3


def test_a_correction_supersedes_and_needs_a_reason(lesson, klass, teacher):
    now = at("2026-03-02 10:00")
    engine.close_session(lesson, now)
    with pytest.raises(MarkRefused) as bare:
        engine.correct_mark(
            lesson,
            klass[0],
            status=Status.PRESENT,
            actor=teacher,
            client_ip=None,
            reason=" ",
            now=now,
        )
    fixed = engine.correct_mark(
        lesson,
        klass[0],
        status=Status.PRESENT,
        actor=teacher,
        client_ip=None,
        reason="到了，扫码失败",
        now=now,
    )
    assert bare.value.code == Refusal.NEED_REASON
    assert engine.current_marks(lesson)[klass[0].pk] == fixed
    assert fixed.supersedes.method == Method.AUTO_ABSENT
    with pytest.raises(ValueError):
        fixed.save()
