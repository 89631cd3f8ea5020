"""Advance reports and make-up check-ins through HTTP: filing, the queue with counts, bulk
approval, rejection, scope, the excused state in the lists, and the make-up's check-in."""

from datetime import datetime

import pytest

from campuscode.audit.models import AuditEntry
from campuscode.checkins.models import Checkin, Via
from campuscode.core.rules import set_setting
from campuscode.followup.models import AdvanceReport, Decision, MakeupRequest
from campuscode.notify.models import Notice
from conftest import sign_in

from .conftest import HEALTH, MONDAY_MORNING, MONDAY_NOON, form_key

pytestmark = pytest.mark.django_db


def file_report(client, first="2026-03-03", last="2026-03-04", periods=("morning", "afternoon")):
    page = client.get("/followup/report/")
    return client.post(
        "/followup/report/",
        {
            "first_day": first,
            "last_day": last,
            "periods": list(periods),
            "reason": "回家参加婚礼",
            "kind": "personal",
            "destination": "江苏省南京市",
            "phone": "13812345678",
            "key": form_key(page),
        },
    )


def send_makeup(client, window="2026-03-02|morning", **data):
    page = client.get("/followup/makeup/")
    return client.post(
        "/followup/makeup/",
        {**HEALTH, "window": window, "reason": "手机没电", "key": form_key(page), **data},
    )


def decide(client, items, action="approve", note="", confirm=False):
    data = {"items": items, "action": action, "note": note}
    if confirm:
        data["confirm"] = "1"
    return client.post("/followup/queue/", data)


def test_it_files_an_advance_report_that_the_adviser_approves(
    client, student, adviser, time_machine
):
    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, student.user)
    assert file_report(client).status_code == 302
    report = AdvanceReport.objects.get()
    assert (report.state, report.periods) == (Decision.PENDING, ["morning", "afternoon"])

    sign_in(client, adviser)
    queue = client.get("/followup/queue/")
    assert 'data-reports="1"' in queue.content.decode()
    assert decide(client, [f"report:{report.pk}"], note="注意安全").status_code == 200
    report.refresh_from_db()
    assert (report.state, report.decided_by, report.decision_note) == (
        Decision.APPROVED,
        adviser,
        "注意安全",
    )
    assert AuditEntry.objects.filter(action="followup.report.approved", subject=student).exists()
    note = Notice.objects.get(user=student.user)
    assert (note.kind, note.data["state"]) == ("report_decided", "approved")
    # The next page the student opens shows the decision once.
    sign_in(client, student.user)
    assert client.get("/followup/").context["notices"]
    assert Notice.objects.get(user=student.user).seen_at is not None


def test_an_approved_report_marks_the_windows_excused_in_the_lists(
    client, student, adviser, time_machine
):
    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, student.user)
    file_report(client, periods=["morning"])
    sign_in(client, adviser)
    decide(client, [f"report:{AdvanceReport.objects.get().pk}"])
    time_machine.move_to("2026-03-03 11:00 +0800", tick=False)
    client.logout()  # staff sessions end when idle: a new one the next day
    sign_in(client, adviser)
    page = client.get("/checkins/lists/?day=2026-03-03&period=morning").content.decode()
    assert f'data-person="{student.pk}" data-state="excused"' in page
    roll = client.get("/checkins/lists/?day=2026-03-03&period=morning&show=missing")
    assert f'data-person="{student.pk}"' not in roll.content.decode()
    # The afternoon was not reported: expected as usual (not yet started at 11:00).
    page = client.get("/checkins/lists/?day=2026-03-03&period=afternoon").content.decode()
    assert f'data-person="{student.pk}" data-state="upcoming"' in page


def test_a_rejected_report_leaves_the_window_missing(client, student, adviser, time_machine):
    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, student.user)
    file_report(client)
    sign_in(client, adviser)
    decide(
        client,
        [f"report:{AdvanceReport.objects.get().pk}"],
        action="reject",
        note="理由不足",
        confirm=True,
    )
    assert AdvanceReport.objects.get().state == Decision.REJECTED
    assert Notice.objects.get(user=student.user).data["state"] == "rejected"
    page = client.get("/checkins/lists/?day=2026-03-03&period=morning").content.decode()
    # Not excused: expected (the window, tomorrow's, has not started yet).
    assert f'data-person="{student.pk}" data-state="upcoming"' in page


def test_it_refuses_a_report_for_a_window_that_has_closed(client, student, time_machine):
    time_machine.move_to(MONDAY_NOON, tick=False)
    sign_in(client, student.user)
    response = file_report(client, first="2026-03-02", last="2026-03-02", periods=["morning"])
    assert response.status_code == 400
    assert response.context["outcome"].refusal == "past"
    response = file_report(client, first="2026-03-01", last="2026-03-02")
    assert response.context["outcome"].refusal == "past"
    assert not AdvanceReport.objects.exists()


def test_the_longest_report_is_a_school_setting(client, student, time_machine):
    time_machine.move_to(MONDAY_MORNING, tick=False)
    set_setting(key="followup_report_max_days", value=2)
    sign_in(client, student.user)
    assert file_report(client, last="2026-03-05").context["outcome"].refusal == "too_long"


def test_a_retried_report_is_stored_once(client, student, time_machine):
    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, student.user)
    page = client.get("/followup/report/")
    data = {
        "first_day": "2026-03-03",
        "last_day": "2026-03-03",
        "periods": ["morning"],
        "reason": "看病",
        "kind": "sick",
        "destination": "市人民医院",
        "phone": "13812345678",
        "key": form_key(page),
    }
    client.post("/followup/report/", data)
    client.post("/followup/report/", data)
    assert AdvanceReport.objects.count() == 1


def test_an_adviser_cannot_approve_for_another_class(client, student, other_adviser, time_machine):
    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, student.user)
    file_report(client)
    report = AdvanceReport.objects.get()
    sign_in(client, other_adviser)
    assert 'data-count="0"' in client.get("/followup/queue/").content.decode()
    assert decide(client, [f"report:{report.pk}"]).status_code == 400
    assert AdvanceReport.objects.get().state == Decision.PENDING


def test_a_student_cannot_approve_their_own_report(client, student, time_machine):
    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, student.user)
    file_report(client)
    assert client.get("/followup/queue/").status_code == 403
    assert decide(client, [f"report:{AdvanceReport.objects.get().pk}"]).status_code == 403
    assert AdvanceReport.objects.get().state == Decision.PENDING


def test_a_department_admin_cannot_approve_their_own_report(
    client, tree, dept_admin, student, time_machine
):
    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, dept_admin)
    file_report(client)
    mine = AdvanceReport.objects.get(person__user=dept_admin)
    assert decide(client, [f"report:{mine.pk}"]).status_code == 400
    assert AdvanceReport.objects.get(pk=mine.pk).state == Decision.PENDING


def test_the_outsider_sees_no_queue(client, outsider):
    sign_in(client, outsider)
    assert client.get("/followup/queue/").status_code == 403
    assert client.get("/followup/report/").status_code == 404


def test_it_makes_up_a_missed_checkin_that_never_counts_as_on_time(
    client, student, adviser, time_machine
):
    time_machine.move_to(MONDAY_NOON, tick=False)
    sign_in(client, student.user)
    page = client.get("/followup/makeup/")
    assert ("2026-03-02|morning") in dict(page.context["form"].fields["window"].choices)
    assert send_makeup(client, temperature="36.7").status_code == 302
    makeup = MakeupRequest.objects.get()
    assert (str(makeup.day), makeup.period, makeup.state) == ("2026-03-02", "morning", "pending")

    time_machine.move_to("2026-03-02 11:20 +0800", tick=False)
    sign_in(client, adviser)
    decide(client, [f"makeup:{makeup.pk}"])
    makeup.refresh_from_db()
    checkin = makeup.checkin
    assert (checkin.via, checkin.point, checkin.recorded_by) == (Via.MAKEUP, None, adviser)
    assert (str(checkin.day), checkin.period, str(checkin.temperature)) == (
        "2026-03-02",
        "morning",
        "36.7",
    )
    # Stored at the time it was sent, after the window closed at 10:00.
    assert checkin.at == datetime.fromisoformat("2026-03-02T11:00:00+08:00")
    page = client.get("/checkins/lists/?day=2026-03-02&period=morning").content.decode()
    assert f'data-person="{student.pk}" data-state="checked" data-via="makeup"' in page


def test_a_makeup_is_refused_while_the_window_is_open_or_after_the_limit(
    client, student, time_machine
):
    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, student.user)
    page = client.get("/followup/makeup/")
    assert ("2026-03-02", "morning") not in [
        (str(w.day), w.period) for w in page.context["windows"]
    ]
    response = send_makeup(client)
    assert response.status_code == 400  # not a window on offer
    set_setting(key="followup_makeup_hours", value=2)
    time_machine.move_to("2026-03-02 12:30 +0800", tick=False)
    assert send_makeup(client).status_code == 400
    assert not MakeupRequest.objects.exists()


def test_a_makeup_rejected_stores_no_checkin(client, student, adviser, time_machine):
    time_machine.move_to(MONDAY_NOON, tick=False)
    sign_in(client, student.user)
    send_makeup(client)
    sign_in(client, adviser)
    decide(
        client,
        [f"makeup:{MakeupRequest.objects.get().pk}"],
        action="reject",
        note="请补交证明",
        confirm=True,
    )
    assert MakeupRequest.objects.get().state == Decision.REJECTED
    assert not Checkin.objects.exists()


def test_approvers_decide_many_requests_at_once(
    client, tree, student, adviser, dept_admin, time_machine
):
    classmate = tree.person("周杰", tree.cs_2501)
    neighbour = tree.person("吴迪", tree.cs_2502)
    time_machine.move_to(MONDAY_NOON, tick=False)
    for person in (student, classmate, neighbour):
        sign_in(client, person.user)
        file_report(client)
        send_makeup(client)
    sign_in(client, adviser)
    queue = client.get("/followup/queue/").content.decode()
    assert 'data-count="4"' in queue  # their own class only
    sign_in(client, dept_admin)
    queue = client.get("/followup/queue/").content.decode()
    assert 'data-reports="3" data-makeups="3"' in queue
    items = [f"report:{r.pk}" for r in AdvanceReport.objects.all()] + [
        f"makeup:{m.pk}" for m in MakeupRequest.objects.all()
    ]
    response = decide(client, items, note="批量通过")
    assert response.context["result"].decided == 6
    assert not AdvanceReport.objects.filter(state=Decision.PENDING).exists()
    assert Checkin.objects.filter(via=Via.MAKEUP).count() == 3
    assert Notice.objects.filter(kind="makeup_decided").count() == 3
    # A second approver's stale page decides nothing twice.
    sign_in(client, adviser)
    assert decide(client, items[:1]).status_code == 400


def test_the_queue_swaps_in_place_with_htmx(client, student, adviser, time_machine):
    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, student.user)
    file_report(client)
    sign_in(client, adviser)
    response = client.post(
        "/followup/queue/",
        {"items": [f"report:{AdvanceReport.objects.get().pk}"], "action": "approve"},
        headers={"HX-Request": "true"},
    )
    assert response.templates[0].name == "followup/queue_panel.html"
    assert 'data-decided="1"' in response.content.decode()


def test_no_reminder_for_a_window_an_approved_report_excuses(
    client, student, other_student, adviser, time_machine
):
    from django.core.management import call_command

    from campuscode.checkins.models import Reminder

    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, student.user)
    file_report(client, periods=["morning"])
    sign_in(client, adviser)
    decide(client, [f"report:{AdvanceReport.objects.get().pk}"])
    time_machine.move_to("2026-03-03 09:55 +0800", tick=False)  # the morning window closes at 10:00
    call_command("send_checkin_reminders")
    reminded = set(Reminder.objects.values_list("person_id", flat=True))
    assert other_student.pk in reminded and student.pk not in reminded
