"""The three ways of taking attendance, over HTTP (R2.4): the session code with its
honesty evidence, the typed short code, campus codes scanned online and offline, and the
roll list; never a future session."""

import json

import pytest
from django.core.management import call_command

from campuscode.attendance import engine
from campuscode.attendance.models import Mark, Method, Status
from campuscode.checkins.models import CampusNetwork
from campuscode.codes.tokens import issue_token
from conftest import sign_in

from .conftest import at

pytestmark = pytest.mark.django_db


def _scan_url(lesson, token):
    return f"/attendance/s/{lesson.pk}/{token}/"


def test_it_signs_a_student_in_by_the_session_code(client, lesson, klass, time_machine):
    time_machine.move_to(at("2026-03-02 08:02"), tick=False)
    url = _scan_url(lesson, engine.session_token(lesson))
    sign_in(client, klass[0].user)
    assert client.get(url).status_code == 200
    time_machine.move_to(at("2026-03-02 08:02:40"), tick=False)  # reopened later: same step kept
    response = client.post(url)
    assert response.status_code == 200 and 'data-result="ok"' in response.content.decode()
    mark = Mark.objects.get(person=klass[0])
    assert (mark.method, mark.status) == (Method.SESSION_QR, Status.PRESENT)
    assert mark.evidence["binding"]["ok"] is True


def test_a_relayed_code_that_arrives_late_is_refused(client, lesson, klass, time_machine):
    time_machine.move_to(at("2026-03-02 08:02"), tick=False)
    token = engine.session_token(lesson)
    time_machine.move_to(at("2026-03-02 08:02:25"), tick=False)  # two steps later (10 s, grace 1)
    sign_in(client, klass[1].user)
    response = client.post(_scan_url(lesson, token))
    assert "已过期" in response.content.decode()
    assert not Mark.objects.exists()


def test_a_relayed_code_in_time_is_stored_with_an_off_campus_flag(
    client, tree, lesson, klass, time_machine
):
    CampusNetwork.objects.create(campus=tree.main_campus, network="10.0.0.0/8")
    time_machine.move_to(at("2026-03-02 08:02"), tick=False)
    url = _scan_url(lesson, engine.session_token(lesson))
    sign_in(client, klass[1].user)
    client.get(url, REMOTE_ADDR="203.0.113.7")
    client.post(url, REMOTE_ADDR="203.0.113.7")
    honest = sign_in(type(client)(), klass[0].user)
    honest.get(url, REMOTE_ADDR="10.1.2.3")
    honest.post(url, REMOTE_ADDR="10.1.2.3")
    flags = {m.person_id: m.evidence["flags"] for m in Mark.objects.all()}
    assert flags == {klass[1].pk: ["off_campus_network"], klass[0].pk: []}


def test_a_forged_code_and_a_future_session_are_refused(client, lesson, klass, time_machine):
    time_machine.move_to(at("2026-03-01 08:00"), tick=False)  # the day before
    sign_in(client, klass[0].user)
    token = engine.session_token(lesson)
    response = client.post(_scan_url(lesson, token))
    assert "尚未开始" in response.content.decode()  # "has not started yet", in Chinese
    forged = client.post(_scan_url(lesson, "123.abcdefabcd"))
    assert forged.status_code == 400 and 'data-result="refused"' in forged.content.decode()
    assert not Mark.objects.exists()


def test_the_short_code_signs_in_and_guessing_is_limited(client, lesson, klass, time_machine):
    time_machine.move_to(at("2026-03-02 08:05"), tick=False)
    sign_in(client, klass[0].user)
    wrong = "000000" if engine.short_code(lesson) != "000000" else "111111"
    assert client.post("/attendance/code/", {"code": wrong}).status_code == 400
    assert client.post("/attendance/code/", {"code": engine.short_code(lesson)}).status_code == 200
    assert Mark.objects.get(person=klass[0]).method == Method.SHORT_CODE
    guesser = sign_in(type(client)(), klass[1].user)
    for _ in range(5):
        guesser.post("/attendance/code/", {"code": wrong})
    blocked = guesser.post("/attendance/code/", {"code": engine.short_code(lesson)})
    assert blocked.status_code == 400 and not Mark.objects.filter(person=klass[1]).exists()


def _scan(client, lesson, token, **extra):
    return client.post(
        f"/attendance/sessions/{lesson.pk}/scanner/scan/",
        json.dumps({"token": token, **extra}),
        content_type="application/json",
    ).json()


def test_the_teacher_scans_campus_codes_once_each(
    client, tree, lesson, klass, teacher, time_machine
):
    time_machine.move_to(at("2026-03-02 08:12"), tick=False)
    sign_in(client, teacher)
    first = _scan(client, lesson, issue_token(person=klass[0], colour="green"))
    again = _scan(client, lesson, issue_token(person=klass[0], colour="green"))
    stranger = tree.person("外班", tree.cs_2502)
    other = _scan(client, lesson, issue_token(person=stranger, colour="green"))
    door = _scan(client, lesson, issue_token(person=klass[1], colour="green"), door=True)
    bad = _scan(client, lesson, "CC1.notacode")
    assert (first["ok"], first["status"], first["name"]) == (True, "late", "张*")
    assert (again["code"], other["code"], bad["code"]) == ("already", "not_expected", "bad_token")
    assert door["ok"] and Mark.objects.get(person=klass[1]).method == Method.DOOR_SCANNER


def test_offline_scans_are_checked_on_upload_and_count_once(
    client, lesson, klass, teacher, time_machine
):
    time_machine.move_to(at("2026-03-02 08:03"), tick=False)
    tokens = [issue_token(person=p, colour="green") for p in klass[:2]]
    time_machine.move_to(at("2026-03-02 10:30"), tick=False)
    call_command("close-sessions")  # the close job ran before the phone was back online
    items = [
        {"token": t, "at": "2026-03-02T08:03:05+08:00", "nonce": f"n{i}"}
        for i, t in enumerate(tokens)
    ]
    items.append({"token": tokens[0], "at": "2026-03-02T08:03:09+08:00", "nonce": "n9"})
    sign_in(client, teacher)
    url = f"/attendance/sessions/{lesson.pk}/scanner/upload/"
    body = client.post(url, json.dumps({"items": items}), content_type="application/json").json()
    repeat = client.post(url, json.dumps({"items": items}), content_type="application/json").json()
    assert (body["stored"], body["duplicates"]) == (2, 1)
    assert (repeat["stored"], repeat["duplicates"]) == (0, 3)
    current = engine.current_marks(lesson)
    assert [current[p.pk].status for p in klass] == ["present", "present", "absent"]
    assert current[klass[0].pk].supersedes.method == Method.AUTO_ABSENT


def test_the_roll_list_marks_exceptions_then_the_rest(client, lesson, klass, teacher, time_machine):
    time_machine.move_to(at("2026-03-02 08:01"), tick=False)
    sign_in(client, teacher)
    url = f"/attendance/sessions/{lesson.pk}/"
    assert client.get(url).status_code == 200
    client.post(url + "mark/", {"person": klass[0].pk, "status": "absent"})
    client.post(url + "mark/", {"person": klass[1].pk, "status": "excused", "leave_kind": "sick"})
    client.post(url + "rest-present/")
    current = engine.current_marks(lesson)
    assert [(current[p.pk].status, current[p.pk].leave_kind) for p in klass] == [
        ("absent", ""),
        ("excused", "sick"),
        ("present", ""),
    ]
    assert {m.method for m in current.values()} == {Method.ROLL_CALL}


def test_the_roll_list_refuses_before_the_session_opens(
    client, lesson, klass, teacher, time_machine
):
    time_machine.move_to(at("2026-03-02 07:30"), tick=False)
    sign_in(client, teacher)
    client.post(f"/attendance/sessions/{lesson.pk}/rest-present/")
    client.post(
        f"/attendance/sessions/{lesson.pk}/mark/", {"person": klass[0].pk, "status": "present"}
    )
    assert not Mark.objects.exists()


def test_close_sessions_excuses_approved_leave_and_isolation(tree, lesson, klass, time_machine):
    from campuscode.followup.models import AdvanceReport, Isolation

    AdvanceReport.objects.create(
        person=klass[0],
        kind="sick",
        first_day="2026-03-02",
        last_day="2026-03-03",
        periods=["morning"],
        reason="发烧",
        state="approved",
        created_at=at("2026-03-01 20:00"),
        idempotency_key="a",
    )
    Isolation.objects.create(
        person=klass[1],
        kind="observation",
        place="宿舍",
        reason="密接",
        starts_on="2026-03-01",
        ends_on="2026-03-05",
        created_at=at("2026-03-01 09:00"),
    )
    time_machine.move_to(at("2026-03-02 10:00"), tick=False)
    call_command("close-sessions")
    call_command("close-sessions")
    current = engine.current_marks(lesson)
    assert [(current[p.pk].status, current[p.pk].leave_kind) for p in klass] == [
        ("excused", "sick"),
        ("excused", "isolation"),
        ("absent", ""),
    ]
    assert Mark.objects.count() == 3
