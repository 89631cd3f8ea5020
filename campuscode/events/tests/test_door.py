"""The door scanner over HTTP: online scans, two doors counting once, offline uploads
re-verified by the server, capacity, sign-out and the hours of a minimum stay (R2.5)."""

import uuid
from datetime import timedelta

import pytest

from campuscode.attendance.models import Mark
from campuscode.codes.tokens import issue_token
from campuscode.events import selectors
from campuscode.events.models import CheckPoint, DoorScan, Event, EventSession
from campuscode.events.tests.conftest import at, code_for, make_event, scan
from conftest import sign_in, tamper

pytestmark = pytest.mark.django_db


def test_it_signs_in_a_scanned_code_and_a_second_door_does_not_count_again(
    client, organiser, talk, klass, time_machine, tree
):
    time_machine.move_to(at("2026-03-02 13:55"), tick=False)
    west = CheckPoint.objects.create(event=talk, name="西门", kind=CheckPoint.Kind.ENTRY)
    east = talk.points.get(name="正门")
    sign_in(client, organiser)
    first = scan(client, east, code_for(klass[0])).json()
    assert (first["ok"], first["reason"], first["display"]) == (True, "ok", "张* · 计科2501班")
    again = scan(client, west, code_for(klass[0])).json()
    assert (again["ok"], again["reason"]) == (True, "already")
    sitting = talk.sittings.get()
    counts = selectors.counts(sitting)
    assert (counts.signed_in, counts.inside) == (1, 1)
    assert [(p.name, n) for p, n, _out in counts.by_point] == [("正门", 1), ("西门", 0)]
    assert Mark.objects.filter(person=klass[0]).count() == 1


def test_a_retry_with_the_same_nonce_gets_the_first_answer(
    client, organiser, door_point, klass, time_machine
):
    time_machine.move_to(at("2026-03-02 14:05"), tick=False)
    sign_in(client, organiser)
    token = code_for(klass[1])
    one = scan(client, door_point, token, nonce="n-1").json()
    two = scan(client, door_point, token, nonce="n-1").json()
    assert one["reason"] == two["reason"] == "ok" and two["replayed"] is True
    assert DoorScan.objects.count() == 1


def test_it_refuses_forged_expired_and_uninvited_codes_as_data(
    client, organiser, door_point, klass, other_student, time_machine
):
    time_machine.move_to(at("2026-03-02 14:05"), tick=False)
    sign_in(client, organiser)
    old = issue_token(person=klass[0], colour="green", now=at("2026-03-02 13:00").timestamp())
    answers = [
        scan(client, door_point, tamper(code_for(klass[0]))).json()["reason"],
        scan(client, door_point, old).json()["reason"],
        scan(client, door_point, code_for(other_student)).json()["reason"],
        scan(client, door_point, code_for(klass[2]), direction="out").json()["reason"],
    ]
    assert answers == ["bad_signature", "expired", "not_invited", "not_signed_in"]
    assert not Mark.objects.exists()
    assert DoorScan.objects.filter(ok=False).count() == 4


def test_it_refuses_before_the_sitting_opens(client, organiser, door_point, klass, time_machine):
    time_machine.move_to(at("2026-03-02 11:00"), tick=False)
    sign_in(client, organiser)
    assert scan(client, door_point, code_for(klass[0])).json()["reason"] == "not_open"


def test_an_everyone_event_admits_anyone_up_to_its_capacity(client, organiser, tree, time_machine):
    time_machine.move_to(at("2026-03-02 14:01"), tick=False)
    event = make_event(organiser, tree.cs, audience=Event.Audience.EVERYONE, capacity=2)
    point = event.points.get()
    people = [tree.person(f"听众{i}", tree.en_2501) for i in range(3)]
    sign_in(client, organiser)
    reasons = [scan(client, point, code_for(p)).json()["reason"] for p in people]
    assert reasons == ["ok", "ok", "full"]
    # Someone already inside scanned again is not "full": they are in.
    assert scan(client, point, code_for(people[0])).json()["reason"] == "already"


def test_hours_need_the_minimum_stay_and_early_leavers_get_none(
    client, organiser, talk, door_point, klass, time_machine
):
    sign_in(client, organiser)
    time_machine.move_to(at("2026-03-02 13:58"), tick=False)
    for person in klass[:3]:
        assert scan(client, door_point, code_for(person)).json()["reason"] == "ok"
    time_machine.move_to(at("2026-03-02 14:30"), tick=False)
    client.logout()  # the staff idle sign-out ran meanwhile
    sign_in(client, organiser)
    assert scan(client, door_point, code_for(klass[0]), "out").json()["reason"] == "ok"
    time_machine.move_to(at("2026-03-02 16:02"), tick=False)
    client.logout()  # the staff idle sign-out ran meanwhile
    sign_in(client, organiser)
    assert scan(client, door_point, code_for(klass[1]), "out").json()["reason"] == "ok"
    time_machine.move_to(at("2026-03-02 17:00"), tick=False)
    rows = {r.person.name: r for r in selectors.attendance(talk.sittings.get())}
    got = {name: (r.outcome, str(r.hours)) for name, r in rows.items()}
    assert got == {
        "张一": ("early", "0"),
        "王二": ("attended", "2"),
        "李三": ("no_sign_out", "0"),
        "赵四": ("no_show", "0"),
    }
    counts = selectors.counts(talk.sittings.get())
    assert (counts.signed_in, counts.signed_out, counts.inside) == (3, 2, 1)


def _offline(person, direction="in", at_=None, ok=True, reason="ok", token=None):
    return {
        "nonce": uuid.uuid4().hex,
        "token": token if token is not None else code_for(person, now=at_.timestamp()),
        "person_id": person.pk,
        "direction": direction,
        "at": at_.isoformat(),
        "ok": ok,
        "reason": reason,
    }


def test_an_offline_upload_counts_each_person_once_and_refuses_what_it_cannot_verify(
    client, organiser, talk, door_point, klass, tree, time_machine
):
    west = CheckPoint.objects.create(event=talk, name="西门", kind=CheckPoint.Kind.BOTH)
    sign_in(client, organiser)
    time_machine.move_to(at("2026-03-02 14:02"), tick=False)
    scan(client, door_point, code_for(klass[0]))  # online at the main door
    time_machine.move_to(at("2026-03-02 14:20"), tick=False)
    when = at("2026-03-02 14:10")
    items = [
        _offline(klass[0], at_=when),  # already in through the other door
        _offline(klass[1], at_=when),
        _offline(klass[1], at_=when + timedelta(seconds=5)),  # scanned twice offline
        _offline(klass[2], at_=when, token=tamper(code_for(klass[2], now=when.timestamp()))),
        _offline(klass[3], at_=when, ok=False, reason="not_on_list"),
    ]
    response = client.post(
        f"/events/points/{west.pk}/door/upload", {"events": items}, content_type="application/json"
    )
    assert response.json() == {"stored": 5, "duplicates": 0, "unverified": 1, "counted": 1}
    again = client.post(
        f"/events/points/{west.pk}/door/upload", {"events": items}, content_type="application/json"
    )
    assert again.json()["duplicates"] == 5
    counts = selectors.counts(talk.sittings.get())
    assert counts.signed_in == 2
    assert Mark.objects.filter(direction="in").count() == 2
    forged = DoorScan.objects.get(unverified="bad_token")
    assert (forged.ok, forged.reason, forged.unverified) == (False, "unverified", "bad_token")


def test_the_offline_list_holds_masked_names_and_who_is_in(
    client, organiser, door_point, klass, time_machine
):
    time_machine.move_to(at("2026-03-02 14:02"), tick=False)
    sign_in(client, organiser)
    scan(client, door_point, code_for(klass[0]))
    body = client.get(f"/events/points/{door_point.pk}/door/list.json").json()
    assert body["people"][str(klass[0].pk)] == ["张* · 计科2501班", "in"]
    assert body["people"][str(klass[1].pk)] == ["王* · 计科2501班", ""]
    assert klass[0].number not in str(body) and klass[0].name not in str(body)
    assert body["keys"] and body["windows"]


def test_the_python_verifier_decides_like_the_page(organiser, door_point, klass, time_machine):
    from campuscode.events.door import DoorVerifier, build_list

    time_machine.move_to(at("2026-03-02 14:02"), tick=False)
    verifier = DoorVerifier(build_list(point=door_point))
    now = at("2026-03-02 14:02").timestamp()
    token = code_for(klass[0], now=now)
    assert verifier.decide(token, "in", now)[0] == "ok"
    assert verifier.decide(token, "in", now)[0] == "already"
    assert verifier.decide(tamper(token), "in", now)[0] == "bad_signature"
    assert verifier.decide(code_for(klass[1], now=now), "out", now)[0] == "not_signed_in"


def test_an_organiser_of_another_unit_cannot_reach_the_door(
    client, other_organiser, door_point, klass, time_machine
):
    time_machine.move_to(at("2026-03-02 14:02"), tick=False)
    sign_in(client, other_organiser)
    assert scan(client, door_point, code_for(klass[0])).status_code == 404
    assert client.get(f"/events/points/{door_point.pk}/door/list.json").status_code == 404
    assert not Mark.objects.exists()
    assert EventSession.objects.count() == 1


def test_an_event_opens_sign_in_when_its_organiser_chose(
    client, organiser, tree, klass, time_machine
):
    """The school opens sign-in 10 minutes early; this gala lets people in an hour early."""
    time_machine.move_to(at("2026-03-02 17:50"), tick=False)
    sign_in(client, organiser)
    form = {
        "title": "迎新晚会",
        "organiser_unit": tree.cs.pk,
        "place": "大礼堂",
        "audience": "units",
        "units": [tree.cs_2501.pk],
        "min_stay_minutes": "0",
        "signin_opens_minutes": "60",
        "hours": "1",
        "day_1": "2026-03-02",
        "start_1": "19:00",
        "end_1": "21:00",
        "both_points": "正门",
    }
    assert client.post("/events/new/", form).status_code == 302
    point = Event.objects.get(title="迎新晚会").points.get()
    time_machine.move_to(at("2026-03-02 17:55"), tick=False)
    assert scan(client, point, code_for(klass[0])).json()["reason"] == "not_open"
    time_machine.move_to(at("2026-03-02 18:05"), tick=False)
    assert scan(client, point, code_for(klass[0])).json()["reason"] == "ok"
    # With the field left empty the school's 10 minutes apply again to sittings to come.
    gala = Event.objects.get(title="迎新晚会")
    form["signin_opens_minutes"] = ""
    form.pop("day_1"), form.pop("start_1"), form.pop("end_1")
    assert client.post(f"/events/{gala.pk}/edit/", form).status_code == 302
    assert gala.sittings.get().session.open_minutes is None
    assert scan(client, point, code_for(klass[1])).json()["reason"] == "not_open"
