"""Class absences in a row open an anomaly case for the adviser (R6.4): excused and
cancelled sessions do not count, a run is found once however often the detectors run,
and the case page lists the sessions."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from campuscode.anomalies.models import AnomalyCase
from campuscode.attendance.models import Mark, Method, Session, Status
from campuscode.core.rules import set_setting
from conftest import sign_in

from .conftest import at

pytestmark = pytest.mark.django_db

KIND = "class_absences"
P, A, X = Status.PRESENT, Status.ABSENT, Status.EXCUSED


def lesson(tree, day: int, *, cancelled=False, closed=True, title="数据结构"):
    start = at(f"2026-03-{day:02d} 08:00")
    return Session.objects.create(
        school=tree.school,
        kind=Session.Kind.CLASS,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(minutes=100),
        place="一教101",
        unit=tree.cs_2501,
        cancelled_at=start if cancelled else None,
        closed_at=start + timedelta(minutes=100) if closed else None,
    )


def marks(session, statuses: dict) -> None:
    for person, status in statuses.items():
        Mark.objects.create(
            session=session,
            person=person,
            status=status,
            method=Method.AUTO_ABSENT if status == A else Method.ROLL_CALL,
            happened_at=session.starts_at,
            recorded_at=session.ends_at,
        )


@pytest.fixture
def history(tree, klass, time_machine):
    """张一: absent, absent, excused, absent, absent; 王二: absent, present, absent, absent
    and absent from a cancelled session; 李三 present throughout."""
    zhang, wang, li = klass
    rows = [
        (2, {zhang: A, wang: A, li: P}),
        (3, {zhang: A, wang: P, li: P}),
        (4, {zhang: X, wang: A, li: P}),
        (5, {zhang: A, wang: A, li: P}),
        (6, {zhang: A, li: P}),
    ]
    sessions = []
    for day, statuses in rows:
        sessions.append(lesson(tree, day))
        marks(sessions[-1], statuses)
    marks(lesson(tree, 6, cancelled=True, title="离散数学"), {wang: A})
    time_machine.move_to("2026-03-06 22:30 +0800", tick=False)
    return sessions


def cases(person=None):
    found = AnomalyCase.objects.filter(kind=KIND)
    return found.filter(person=person) if person else found


def test_a_run_opens_one_case_for_the_adviser_and_a_rerun_nothing(client, klass, adviser, history):
    zhang = klass[0]
    call_command("detect_anomalies")
    case = cases().get()
    assert case.person == zhang
    assert list(case.assigned_to.all()) == [adviser]
    sessions = [s["session"] for s in case.detail["sessions"]]
    assert sessions == [history[0].pk, history[1].pk, history[3].pk, history[4].pk]
    assert (case.first_day.isoformat(), case.last_day.isoformat()) == ("2026-03-02", "2026-03-06")
    call_command("detect_anomalies")
    call_command("detect_anomalies")
    assert cases().count() == 1
    page = sign_in(client, adviser).get(f"/anomalies/{case.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "3月2日 08:00 数据结构（一教101）" in html
    assert "3月6日 08:00 数据结构（一教101）" in html
    assert "3月4日 08:00" not in html  # the excused one is no evidence


def test_excused_and_cancelled_sessions_do_not_count(klass, adviser, history):
    wang = klass[1]
    call_command("detect_anomalies")
    # 王二: absent on the 4th and 5th, present on the 3rd; the cancelled session of the
    # 6th does not make a third, and nor does being off the 6th's list.
    assert not cases(wang).exists()
    assert not cases(klass[2]).exists()


def test_the_threshold_is_the_schools_rule(klass, adviser, history):
    set_setting(key="anomaly_class_absences", value=5)
    call_command("detect_anomalies")
    assert not cases().exists()
    set_setting(key="anomaly_class_absences", value=2)
    call_command("detect_anomalies")
    assert set(cases().values_list("person__name", flat=True)) == {"张一", "王二"}


def test_a_longer_run_extends_the_open_case_and_after_closing_only_new_days_count(
    tree, klass, adviser, history, time_machine
):
    zhang = klass[0]
    call_command("detect_anomalies")
    case = cases().get()
    later = lesson(tree, 9)
    marks(later, {zhang: A})
    time_machine.move_to("2026-03-09 22:30 +0800", tick=False)
    call_command("detect_anomalies")
    case.refresh_from_db()
    assert cases().count() == 1
    assert case.detail["sessions"][-1]["session"] == later.pk
    assert case.last_day.isoformat() == "2026-03-09"
    AnomalyCase.objects.filter(pk=case.pk).update(state="closed")
    call_command("detect_anomalies")
    assert cases().count() == 1  # the same run, already handled
    for day in (10, 11):
        marks(lesson(tree, day), {zhang: A})
    time_machine.move_to("2026-03-11 22:30 +0800", tick=False)
    call_command("detect_anomalies")
    assert cases().count() == 1  # two new absences: not yet a run of three
    marks(lesson(tree, 12), {zhang: A})
    time_machine.move_to("2026-03-12 22:30 +0800", tick=False)
    call_command("detect_anomalies")
    new = cases().exclude(pk=case.pk).get()
    assert (new.first_day.isoformat(), len(new.detail["sessions"])) == ("2026-03-10", 3)


def test_an_open_session_is_not_read_until_it_is_closed(tree, klass, adviser, time_machine):
    zhang = klass[0]
    for day in (2, 3, 4):
        marks(lesson(tree, day, closed=day != 4), {zhang: A})
    time_machine.move_to("2026-03-04 22:30 +0800", tick=False)
    call_command("detect_anomalies")
    assert not cases().exists()
