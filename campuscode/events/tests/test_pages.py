"""The organiser's and the person's pages over HTTP: creating an event, registration with
capacity and approval, the event's rotating code (fresh, expired, relayed), walk-ins,
undo with a reason, the attendance list and its export, scope and audit (R2.5, R6.6)."""

import io

import openpyxl
import pytest

from campuscode.attendance import engine
from campuscode.attendance.models import Mark
from campuscode.audit.models import AuditEntry
from campuscode.events.models import Event, Registration
from campuscode.events.tests.conftest import at, code_for, make_event, scan
from campuscode.notify.models import Notice
from conftest import sign_in

pytestmark = pytest.mark.django_db


def test_an_organiser_creates_an_event_with_two_sittings_and_doors(client, organiser, tree):
    sign_in(client, organiser)
    response = client.post(
        "/events/new/",
        {
            "title": "职业规划讲座",
            "organiser_unit": tree.cs.pk,
            "place": "二教101",
            "audience": "units",
            "units": [tree.cs_2501.pk, tree.cs_2502.pk],
            "min_stay_minutes": "30",
            "hours": "1.5",
            "day_1": "2026-03-10",
            "start_1": "14:00",
            "end_1": "16:00",
            "day_2": "2026-03-11",
            "start_2": "14:00",
            "end_2": "16:00",
            "entry_points": "东门，西门",
            "exit_points": "北门",
        },
    )
    event = Event.objects.get(title="职业规划讲座")
    assert response.status_code == 302 and response["Location"] == f"/events/{event.pk}/"
    assert event.sittings.count() == 2
    assert sorted(event.points.values_list("name", "kind")) == [
        ("东门", "entry"),
        ("北门", "exit"),
        ("西门", "entry"),
    ]
    assert AuditEntry.objects.filter(action="events.event.saved", actor=organiser).count() == 1


def test_a_bad_event_form_says_what_is_wrong_and_saves_nothing(client, organiser, tree):
    sign_in(client, organiser)
    response = client.post(
        "/events/new/",
        {
            "title": "讲座",
            "organiser_unit": tree.cs.pk,
            "audience": "units",
            "min_stay_minutes": "0",
            "hours": "1",
            "day_1": "2026-03-10",
            "start_1": "16:00",
            "end_1": "14:00",
            "both_points": "正门",
        },
    )
    assert response.status_code == 400
    assert not Event.objects.exists()
    body = response.content.decode()
    assert "The end must be after the start." in body or "结束时间" in body


def test_an_organiser_sees_only_the_events_of_their_unit(
    client, organiser, other_organiser, tree, talk
):
    lang_event = make_event(other_organiser, tree.lang, units=[tree.en_2501], title="英语角")
    sign_in(client, organiser)
    listing = client.get("/events/").content.decode()
    assert talk.title in listing and "英语角" not in listing
    assert client.get(f"/events/{lang_event.pk}/").status_code == 404
    sitting = lang_event.sittings.get()
    for path in (
        f"/events/sittings/{sitting.pk}/attendance/",
        f"/events/sittings/{sitting.pk}/export.xlsx",
        f"/events/sittings/{sitting.pk}/screen/",
        f"/events/points/{lang_event.points.get().pk}/door/",
    ):
        assert client.get(path).status_code == 404, path
    assert not AuditEntry.objects.filter(actor=organiser, data__event=lang_event.pk).exists()


def test_people_without_the_duty_get_403(client, adviser, student, talk):
    for user in (adviser, student.user):
        sign_in(client, user)
        assert client.get("/events/").status_code == 403
        assert client.get(f"/events/{talk.pk}/").status_code == 403


def test_registration_respects_capacity_and_approval(client, organiser, tree, time_machine):
    time_machine.move_to(at("2026-03-01 10:00"), tick=False)
    open_event = make_event(
        organiser,
        tree.cs,
        audience=Event.Audience.EVERYONE,
        registration_open=True,
        capacity=1,
        title="开放讲座",
    )
    first, second = tree.person("甲同学", tree.en_2501), tree.person("乙同学", tree.cs_2502)
    sign_in(client, first.user)
    assert "开放讲座" in client.get("/events/mine/").content.decode()
    client.post(f"/events/{open_event.pk}/register/")
    sign_in(client, second.user)
    response = client.post(f"/events/{open_event.pk}/register/", follow=True)
    assert (
        "The event is full." in response.content.decode() or "名额已满" in response.content.decode()
    )
    assert list(open_event.registrations.values_list("person__name", "state")) == [
        ("甲同学", "approved")
    ]

    approval = make_event(
        organiser, tree.cs, units=[tree.cs], registration_open=True, needs_approval=True, capacity=1
    )
    client.post(f"/events/{approval.pk}/register/")
    registration = Registration.objects.get(event=approval, person=second)
    assert registration.state == "pending"
    sign_in(client, organiser)
    page = client.get(f"/events/{approval.pk}/").content.decode()
    assert "乙同学" in page
    client.post(f"/events/registrations/{registration.pk}/decide/", {"approve": "on"})
    registration.refresh_from_db()
    assert registration.state == "approved" and registration.decided_by == organiser
    assert Notice.objects.filter(user=second.user, kind="event_registration").exists()
    # Someone not in the invited college cannot register at all.
    sign_in(client, first.user)
    client.post(f"/events/{approval.pk}/register/")
    assert not Registration.objects.filter(event=approval, person=first).exists()


def _qr_url(sitting, token, direction=""):
    return f"/events/s/{sitting.pk}/{token}/" + ("?direction=out" if direction == "out" else "")


def test_a_person_signs_in_with_the_rotating_event_code(client, talk, klass, time_machine):
    time_machine.move_to(at("2026-03-02 14:03"), tick=False)
    sitting = talk.sittings.get()
    token = engine.session_token(sitting.session)
    sign_in(client, klass[0].user)
    page = client.get(_qr_url(sitting, token))
    assert page.status_code == 200
    # The screen moved on while they tapped: the page they opened still works.
    time_machine.move_to(at("2026-03-02 14:04"), tick=False)
    done = client.post(f"/events/s/{sitting.pk}/", {"direction": "in"})
    assert done.status_code == 200 and 'data-result="done"' in done.content.decode()
    mark = Mark.objects.get(person=klass[0])
    assert (mark.method, mark.direction) == ("session_qr", "in")


def test_a_relayed_or_expired_event_code_is_refused(client, talk, klass, time_machine):
    sitting = talk.sittings.get()
    time_machine.move_to(at("2026-03-02 14:03"), tick=False)
    token = engine.session_token(sitting.session)
    # Sent to a friend at home, opened a minute later.
    time_machine.move_to(at("2026-03-02 14:04"), tick=False)
    sign_in(client, klass[1].user)
    response = client.get(_qr_url(sitting, token))
    assert response.status_code == 400 and 'data-result="refused"' in response.content.decode()
    assert client.post(f"/events/s/{sitting.pk}/", {"direction": "in"}).status_code == 400
    # A made-up code is refused too.
    assert client.get(_qr_url(sitting, "123.abcdefabcd")).status_code == 400
    assert not Mark.objects.exists()


def test_an_uninvited_person_cannot_sign_in_by_the_code(client, talk, other_student, time_machine):
    time_machine.move_to(at("2026-03-02 14:03"), tick=False)
    sitting = talk.sittings.get()
    sign_in(client, other_student.user)
    client.get(_qr_url(sitting, engine.session_token(sitting.session)))
    response = client.post(f"/events/s/{sitting.pk}/", {"direction": "in"})
    assert response.status_code == 400
    assert not Mark.objects.exists()


def test_walk_in_and_undo_are_new_records_naming_who_and_why(
    client, organiser, talk, door_point, klass, other_student, time_machine
):
    time_machine.move_to(at("2026-03-02 14:10"), tick=False)
    sign_in(client, organiser)
    sitting = talk.sittings.get()
    client.post(f"/events/sittings/{sitting.pk}/walk-in/", {"number": other_student.number})
    registration = Registration.objects.get(event=talk, person=other_student)
    assert (registration.source, registration.created_by) == ("walk_in", organiser)
    walk = Mark.objects.get(person=other_student)
    assert (walk.method, walk.recorded_by) == ("manual", organiser)

    scan(client, door_point, code_for(klass[0]))
    client.post(f"/events/sittings/{sitting.pk}/undo/", {"person": klass[0].pk, "reason": ""})
    assert Mark.objects.filter(person=klass[0]).count() == 1  # no reason, nothing undone
    client.post(
        f"/events/sittings/{sitting.pk}/undo/",
        {"person": klass[0].pk, "reason": "扫错了人，本人不在场"},
    )
    marks = list(Mark.objects.filter(person=klass[0]).order_by("pk"))
    assert [(m.status, m.method) for m in marks] == [
        ("present", "door_scanner"),
        ("absent", "override"),
    ]
    assert marks[1].supersedes == marks[0] and marks[1].reason == "扫错了人，本人不在场"
    assert AuditEntry.objects.filter(action="events.signin.undone", subject=klass[0]).count() == 1
    from campuscode.events.selectors import counts

    assert counts(sitting).signed_in == 1  # the walk-in only


def test_the_attendance_page_and_export_are_audited_reads(
    client, organiser, talk, door_point, klass, time_machine
):
    time_machine.move_to(at("2026-03-02 14:10"), tick=False)
    sign_in(client, organiser)
    scan(client, door_point, code_for(klass[0]))
    time_machine.move_to(at("2026-03-02 14:20"), tick=False)
    sitting = talk.sittings.get()
    page = client.get(f"/events/sittings/{sitting.pk}/attendance/")
    assert page.status_code == 200 and klass[0].number in page.content.decode()
    export = client.get(f"/events/sittings/{sitting.pk}/export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] in ("学号/工号", "Number")
    assert {r[0] for r in rows[1:]} == {p.number for p in klass}
    for action in ("events.attendance.viewed", "events.attendance.exported"):
        assert AuditEntry.objects.filter(action=action, actor=organiser).count() == 1


def test_a_mandatory_events_absences_go_to_the_adviser_never_to_a_penalty(
    client, organiser, adviser, tree, klass, time_machine
):
    from django.core.management import call_command

    event = make_event(organiser, tree.cs, units=[tree.cs_2501], mandatory=True, title="安全教育")
    point = event.points.get()
    time_machine.move_to(at("2026-03-02 14:02"), tick=False)
    sign_in(client, organiser)
    for person in klass[:2]:
        scan(client, point, code_for(person))
    time_machine.move_to(at("2026-03-02 17:00"), tick=False)
    call_command("close-events")
    call_command("close-events")  # a second run opens nothing new
    sign_in(client, adviser)
    page = client.get("/events/reviews/").content.decode()
    for person in klass[2:]:
        assert person.number in page
    for person in klass[:2]:
        assert person.number not in page
    notices = Notice.objects.filter(user=adviser, kind="event_absence")
    assert notices.count() == 2
    from campuscode.events.models import AbsenceReview

    review = AbsenceReview.objects.get(person=klass[2])
    client.post(f"/events/reviews/{review.pk}/decide/", {"excused": "on", "note": "病假条已交"})
    review.refresh_from_db()
    assert (review.state, review.decided_by) == ("excused", adviser)
    # The organiser of the event does not hold the adviser's duty.
    sign_in(client, organiser)
    assert client.get("/events/reviews/").status_code == 403


def test_a_person_sees_their_own_sign_ins_and_hours_on_the_phone(
    client, organiser, talk, door_point, klass, time_machine
):
    time_machine.move_to(at("2026-03-02 13:58"), tick=False)
    sign_in(client, organiser)
    scan(client, door_point, code_for(klass[0]))
    time_machine.move_to(at("2026-03-02 15:10"), tick=False)
    client.logout()
    sign_in(client, organiser)
    scan(client, door_point, code_for(klass[0]), "out")
    time_machine.move_to(at("2026-03-02 16:30"), tick=False)
    sign_in(client, klass[0].user)
    page = client.get("/events/mine/").content.decode()
    assert talk.title in page and 'data-outcome="attended"' in page
    assert "data-hours>2.0<" in page.replace(" ", "")
    sign_in(client, klass[1].user)
    other = client.get("/events/mine/").content.decode()
    assert 'data-outcome="attended"' not in other
