"""Reminders before a window closes: an in-app notice and a text message (or e-mail), once
per window."""

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from campuscode.accounts.models import OutboxMessage
from campuscode.checkins.models import Reminder
from campuscode.checkins.tasks import send_reminders_task
from conftest import sign_in

from .conftest import check_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    mail.outbox = []
    return mail.outbox


def test_it_reminds_those_who_have_not_checked_in_before_the_window_closes(
    client, student, other_student, point, time_machine, mail
):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    check_in(sign_in(client, student.user), point)
    assert send_reminders_task.delay().get() == 0  # 60 minutes before closing: too early
    time_machine.move_to("2026-03-02 09:35 +0800", tick=False)
    assert send_reminders_task.delay().get() == 1
    call_command("send_notifications")  # what the worker does after the commit
    # By text message: the person has a mobile number and chose nothing else.
    assert [(m.channel, m.to) for m in OutboxMessage.objects.all()] == [
        ("sms", other_student.phone)
    ]
    assert Reminder.objects.get().person == other_student
    call_command("send_checkin_reminders")  # runs again: nobody gets a second message
    call_command("send_notifications")
    assert OutboxMessage.objects.count() == 1 and Reminder.objects.count() == 1
    assert not mail


def test_the_notice_shows_once_on_the_next_page(client, other_student, time_machine, mail):
    time_machine.move_to("2026-03-02 09:40 +0800", tick=False)
    call_command("send_checkin_reminders")
    sign_in(client, other_student.user)
    first = client.get("/checkins/").content.decode()
    assert 'class="notice"' in first and "10:00" in first
    assert 'class="notice"' not in client.get("/checkins/").content.decode()


def test_nobody_is_reminded_on_a_holiday(other_student, time_machine, mail, tree):
    from datetime import date

    from campuscode.checkins.models import WindowNotice

    WindowNotice.objects.create(
        school=tree.school,
        title="假期",
        first_day=date(2026, 3, 2),
        last_day=date(2026, 3, 2),
        kind=WindowNotice.Kind.NO_CHECKIN,
    )
    time_machine.move_to("2026-03-02 09:40 +0800", tick=False)
    call_command("send_checkin_reminders")
    assert not mail and not Reminder.objects.exists()


def test_the_job_is_scheduled_with_celery_beat(db):
    task = PeriodicTask.objects.get(task="checkins.send_reminders")
    assert task.enabled and task.interval.every == 5
