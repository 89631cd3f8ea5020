"""Approvals and staff pages (issue 10) through HTTP: a make-up that cannot be approved says
why in words and can be closed; a rejection needs a reason and a confirmation, and the
person sees the reason; people are shown by name and unit, never by account name; the
banners are links; manual registration from the menu and from each row without a check-in;
一键提醒 on the list; advance reports with a type, destination, phone, proof and 销假."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from campuscode.audit.models import AuditEntry
from campuscode.checkins.models import Reminder
from campuscode.followup.models import AdvanceReport, Decision, MakeupRequest
from campuscode.notify.models import Notice
from conftest import sign_in

from .conftest import HEALTH, MONDAY_MORNING, MONDAY_NOON, form_key

pytestmark = pytest.mark.django_db


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def send_makeup(client, window="2026-03-02|morning"):
    page = client.get("/followup/makeup/")
    return client.post(
        "/followup/makeup/",
        {**HEALTH, "window": window, "reason": "手机没电", "key": form_key(page)},
    )


def register(client, number, window="2026-03-02|morning"):
    page = client.get("/followup/manual/")
    return client.post(
        "/followup/manual/",
        {
            **HEALTH,
            "number": number,
            "window": window,
            "place": "宿舍",
            "reason": "手机丢失",
            "key": form_key(page),
        },
    )


def file_report(client, *, attachment=None, first="2026-03-02", last="2026-03-04"):
    page = client.get("/followup/report/")
    data = {
        "kind": "sick",
        "first_day": first,
        "last_day": last,
        "periods": ["morning", "afternoon"],
        "reason": "住院治疗",
        "destination": "市第一人民医院",
        "phone": "13812345678",
        "key": form_key(page),
    }
    if attachment is not None:
        data["attachment"] = attachment
    return client.post("/followup/report/", data)


# --- The approval queue -----------------------------------------------------------------


def test_a_makeup_whose_window_has_a_checkin_says_why_and_can_be_closed(
    client, student, adviser, time_machine
):
    time_machine.move_to(MONDAY_NOON, tick=False)
    sign_in(client, student.user)
    assert send_makeup(client).status_code == 302
    makeup = MakeupRequest.objects.get()
    sign_in(client, adviser)
    assert register(client, student.number).status_code == 302  # the window is covered now

    queue = client.get("/followup/queue/").content.decode()
    assert 'data-blocked="already_checked_in"' in queue
    assert "11:00" in queue and "王老师" in queue  # when, and by whom, in words
    assert f'name="close" value="makeup:{makeup.pk}"' in queue

    # Approving it anyway explains in words; never a raw code like "already_checked_in: 1".
    response = client.post(
        "/followup/queue/", {"items": [f"makeup:{makeup.pk}"], "action": "approve"}
    )
    page = response.content.decode()
    assert response.context["result"].decided == 0
    assert "already_checked_in:" not in page and "already_checked_in: 1" not in page
    assert 'data-refused="already_checked_in"' in page and "张小伟" in page

    response = client.post("/followup/queue/", {"close": f"makeup:{makeup.pk}"})
    assert response.status_code == 200
    makeup.refresh_from_db()
    assert (makeup.state, makeup.decided_by) == (Decision.CLOSED, adviser)
    assert "11:00" in makeup.decision_note
    assert 'data-count="0"' in response.content.decode()  # no longer stuck in the queue
    assert AuditEntry.objects.filter(action="followup.makeup.closed", subject=student).exists()
    note = Notice.objects.get(user=student.user, kind="makeup_decided")
    assert note.data["state"] == Decision.CLOSED
    # A second click finds it decided.
    assert client.post("/followup/queue/", {"close": f"makeup:{makeup.pk}"}).status_code == 409


def test_a_pending_makeup_without_a_checkin_cannot_be_closed(
    client, student, adviser, other_adviser, time_machine
):
    time_machine.move_to(MONDAY_NOON, tick=False)
    sign_in(client, student.user)
    send_makeup(client)
    makeup = MakeupRequest.objects.get()
    sign_in(client, other_adviser)
    assert client.post("/followup/queue/", {"close": f"makeup:{makeup.pk}"}).status_code == 403
    sign_in(client, adviser)
    response = client.post("/followup/queue/", {"close": f"makeup:{makeup.pk}"})
    assert response.status_code == 409
    assert 'data-reason="not_resolved"' in response.content.decode()
    assert MakeupRequest.objects.get().state == Decision.PENDING


def test_a_rejection_needs_a_reason_and_a_confirmation_and_the_person_sees_it(
    client, student, adviser, time_machine
):
    time_machine.move_to(MONDAY_NOON, tick=False)
    sign_in(client, student.user)
    send_makeup(client)
    item = f"makeup:{MakeupRequest.objects.get().pk}"
    sign_in(client, adviser)

    no_reason = client.post("/followup/queue/", {"items": [item], "action": "reject"})
    assert no_reason.status_code == 400
    assert 'data-reason="no_reason"' in no_reason.content.decode()
    assert MakeupRequest.objects.get().state == Decision.PENDING

    asked = client.post(
        "/followup/queue/", {"items": [item], "action": "reject", "note": "请补交就医证明"}
    )
    page = asked.content.decode()
    assert asked.status_code == 200 and 'data-confirm="reject"' in page
    assert "请补交就医证明" in page and "张小伟" in page
    assert MakeupRequest.objects.get().state == Decision.PENDING  # nothing decided yet

    client.post(
        "/followup/queue/",
        {"items": [item], "action": "reject", "note": "请补交就医证明", "confirm": "1"},
    )
    makeup = MakeupRequest.objects.get()
    assert (makeup.state, makeup.decision_note) == (Decision.REJECTED, "请补交就医证明")
    # Decided by a name, not an account.
    queue = client.get("/followup/queue/").content.decode()
    assert "王老师" in queue and adviser.get_username() not in queue

    sign_in(client, student.user)
    mine = client.get("/followup/").content.decode()
    assert 'data-note="rejected"' in mine and "请补交就医证明" in mine
    assert "王老师" in mine and adviser.get_username() not in mine


def test_the_service_refuses_a_rejection_without_a_reason(student, adviser, time_machine):
    from campuscode.followup import services

    time_machine.move_to(MONDAY_MORNING, tick=False)
    report = AdvanceReport.objects.create(
        person=student,
        first_day="2026-03-03",
        last_day="2026-03-03",
        periods=["morning"],
        reason="x",
        created_at="2026-03-02T08:00+08:00",
        idempotency_key="k",
    )
    outcome = services.decide(kind="report", pk=report.pk, user=adviser, approve=False, note=" ")
    assert outcome.refusal == services.Refusal.NO_REASON
    assert AdvanceReport.objects.get().state == Decision.PENDING


# --- Banners, menu, manual registration from the list, 一键提醒 ------------------------


def test_the_pending_approvals_banner_is_a_link_and_the_menu_has_manual_registration(
    client, student, adviser, time_machine
):
    time_machine.move_to(MONDAY_NOON, tick=False)
    sign_in(client, student.user)
    send_makeup(client)
    assert "/followup/manual/" not in client.get("/").content.decode()
    sign_in(client, adviser)
    home = client.get("/").content.decode()
    assert '<a href="/followup/queue/" data-notice-link>' in home
    assert '<a href="/followup/manual/"' in home


def test_each_row_without_a_checkin_links_to_a_prefilled_manual_registration(
    client, student, adviser, time_machine
):
    time_machine.move_to(MONDAY_NOON, tick=False)
    sign_in(client, adviser)
    lists = client.get("/checkins/lists/?day=2026-03-02&period=morning").content.decode()
    link = (
        f'data-register="{student.pk}" href="/followup/manual/'
        f'?number={student.number}&amp;window=2026-03-02%7Cmorning"'
    )
    assert link in lists
    form = client.get(
        f"/followup/manual/?number={student.number}&window=2026-03-02|morning"
    ).context["form"]
    assert (form.initial["number"], form.initial["window"]) == (
        student.number,
        "2026-03-02|morning",
    )


def test_remind_sends_the_reminder_to_those_not_checked_in_once_per_window(
    client, student, adviser, tree, time_machine
):
    from campuscode.notify.models import Notice

    classmate = tree.person("周杰", tree.cs_2501)
    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, adviser)
    query = "day=2026-03-02&period=morning"
    lists = client.get(f"/checkins/lists/?{query}").content.decode()
    assert "data-remind" in lists
    response = client.post(f"/checkins/lists/remind/?{query}")
    assert response.status_code == 302
    assert set(Reminder.objects.values_list("person_id", flat=True)) == {student.pk, classmate.pk}
    # Through the one notification path: an in-app notice each (and their preferred channel).
    reminded = Notice.objects.filter(kind="checkin_reminder").values_list("user", flat=True)
    assert sorted(reminded) == sorted([student.user_id, classmate.user_id])
    entry = AuditEntry.objects.get(action="checkins.reminders.sent")
    assert entry.actor == adviser and entry.data["count"] == 2

    # Pressed again: nobody is reminded twice for the window.
    client.post(f"/checkins/lists/remind/?{query}")
    assert Reminder.objects.count() == 2
    assert Notice.objects.filter(kind="checkin_reminder").count() == 2

    # A closed window: refused with a message, nothing sent.
    time_machine.move_to(MONDAY_NOON, tick=False)
    client.logout()  # three idle hours sign one out
    sign_in(client, adviser)
    Reminder.objects.all().delete()
    followed = client.post(f"/checkins/lists/remind/?{query}", follow=True)
    assert not Reminder.objects.exists()
    assert "msg-error" in followed.content.decode()


def test_remind_is_for_staff_over_the_list_only(client, student, time_machine):
    time_machine.move_to(MONDAY_MORNING, tick=False)
    sign_in(client, student.user)
    assert client.post("/checkins/lists/remind/?day=2026-03-02&period=morning").status_code == 403
    assert not Reminder.objects.exists()


# --- Advance reports: type, destination, phone, proof, 销假 ----------------------------


def test_an_advance_report_takes_a_type_destination_phone_and_proof(
    client, student, adviser, other_adviser, media, time_machine
):
    time_machine.move_to("2026-03-02 06:00 +0800", tick=False)
    sign_in(client, student.user)
    upload = SimpleUploadedFile("证明.html", png(), content_type="text/html")
    assert file_report(client, attachment=upload).status_code == 302
    report = AdvanceReport.objects.get()
    assert (report.kind, report.destination, report.phone) == (
        "sick",
        "市第一人民医院",
        "13812345678",
    )
    assert report.attachment.name.endswith(".png") and "证明" not in report.attachment.name

    sign_in(client, other_adviser)
    assert client.get(f"/followup/report/{report.pk}/attachment/").status_code == 404
    sign_in(client, adviser)
    queue = client.get("/followup/queue/").content.decode()
    assert "市第一人民医院" in queue and f"/followup/report/{report.pk}/attachment/" in queue
    served = client.get(f"/followup/report/{report.pk}/attachment/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")  # reading closes it
    assert AuditEntry.objects.filter(
        action="followup.report_attachment.viewed", actor=adviser, subject=student
    ).exists()


def test_a_bad_phone_or_a_file_that_is_not_a_photo_is_refused(client, student, media, time_machine):
    time_machine.move_to("2026-03-02 06:00 +0800", tick=False)
    sign_in(client, student.user)
    page = client.get("/followup/report/")
    response = client.post(
        "/followup/report/",
        {
            "kind": "personal",
            "first_day": "2026-03-03",
            "last_day": "2026-03-03",
            "periods": ["morning"],
            "reason": "x",
            "destination": "家",
            "phone": "call me",
            "attachment": SimpleUploadedFile("a.png", b"<html>", content_type="image/png"),
            "key": form_key(page),
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "phone" in errors and "attachment" in errors
    assert not AdvanceReport.objects.exists()


def test_reporting_back_early_ends_the_excuse_for_the_remaining_windows(
    client, student, adviser, time_machine
):
    time_machine.move_to("2026-03-02 06:00 +0800", tick=False)
    sign_in(client, student.user)
    file_report(client)
    report = AdvanceReport.objects.get()
    sign_in(client, adviser)
    client.post("/followup/queue/", {"items": [f"report:{report.pk}"], "action": "approve"})

    def state(day, period):
        page = client.get(f"/checkins/lists/?day={day}&period={period}").content.decode()
        return f'data-person="{student.pk}" data-state="excused"' in page

    time_machine.move_to("2026-03-03 12:00 +0800", tick=False)  # back on Tuesday at noon
    sign_in(client, student.user)
    assert 'data-report-back="' in client.get("/followup/").content.decode()
    assert client.post(f"/followup/report/{report.pk}/back/").status_code == 302
    report.refresh_from_db()
    assert report.returned_by == student.user and report.returned_at is not None
    assert AuditEntry.objects.filter(action="followup.report.returned").exists()
    # Once only.
    client.post(f"/followup/report/{report.pk}/back/")
    assert AuditEntry.objects.filter(action="followup.report.returned").count() == 1

    sign_in(client, adviser)
    assert state("2026-03-02", "morning")  # before: still excused
    assert state("2026-03-03", "morning")  # closed at 10:00, before the report-back
    assert not state("2026-03-03", "afternoon")  # after: expected again
    assert not state("2026-03-04", "morning")


def test_only_the_person_reports_back(client, student, other_student, adviser, time_machine):
    time_machine.move_to("2026-03-02 06:00 +0800", tick=False)
    sign_in(client, student.user)
    file_report(client)
    report = AdvanceReport.objects.get()
    sign_in(client, other_student.user)
    assert client.post(f"/followup/report/{report.pk}/back/").status_code == 404
    # Not approved yet: nothing to report back from.
    sign_in(client, student.user)
    client.post(f"/followup/report/{report.pk}/back/")
    assert AdvanceReport.objects.get().returned_at is None
