"""The bulk-read alert: an account reading many people's data in a short time is reported
to the security admin once (in-app and by e-mail), with an audit entry."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from campuscode.audit.models import AuditEntry
from campuscode.audit.services import log_action
from campuscode.notify.models import Notice
from campuscode.privacy.models import BulkReadAlert
from conftest import sign_in

pytestmark = pytest.mark.django_db


def read_pages(adviser, first_id: int, people: int, per_page: int = 50):
    """The adviser's audit shows `people` different people read, a list page at a time."""
    ids = list(range(first_id, first_id + people))
    for start in range(0, people, per_page):
        log_action(
            action="checkins.list.viewed",
            actor=adviser,
            data={"people": ids[start : start + per_page]},
        )


def check() -> str:
    out = StringIO()
    call_command("check_bulk_reads", stdout=out)
    return out.getvalue()


def test_250_people_in_10_minutes_alert_the_security_admin_once(
    client, adviser, security_admin, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    read_pages(adviser, 1000, 150)
    time_machine.move_to("2026-03-02 09:06 +0800", tick=False)
    read_pages(adviser, 2000, 100)
    time_machine.move_to("2026-03-02 09:08 +0800", tick=False)

    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes after the commit
        assert "1 new bulk-read alerts" in check()
    alert = BulkReadAlert.objects.get()
    assert (alert.actor, alert.people) == (adviser, 250)
    note = Notice.objects.get(user=security_admin)
    assert note.kind == "bulk_read"
    assert [m.to for m in mail.outbox] == [["security@example.edu.cn"]]
    assert "250" in mail.outbox[0].body
    entry = AuditEntry.objects.get(action="privacy.bulk_read.alerted")
    assert entry.data["account"] == adviser.get_username() and entry.data["people"] == 250

    # The security admin sees it in the app, in Chinese.
    sign_in(client, security_admin)
    page = client.get("/").content.decode()
    assert "查阅或导出了 250 人的信息" in page

    # The same reads never alert twice, on the next check or the one after.
    assert "0 new bulk-read alerts" in check()
    time_machine.move_to("2026-03-02 09:13 +0800", tick=False)
    check()
    assert BulkReadAlert.objects.count() == 1
    assert len(mail.outbox) == 1
    assert AuditEntry.objects.filter(action="privacy.bulk_read.alerted").count() == 1


def test_below_the_threshold_nothing_happens(adviser, security_admin, time_machine):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    read_pages(adviser, 1000, 199)
    # Reloading the same pages is not reading new people.
    read_pages(adviser, 1000, 199)
    assert "0 new bulk-read alerts" in check()
    assert not Notice.objects.exists() and not mail.outbox


def test_reads_spread_over_more_than_the_window_do_not_alert(adviser, security_admin, time_machine):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    read_pages(adviser, 1000, 150)
    time_machine.move_to("2026-03-02 09:15 +0800", tick=False)
    read_pages(adviser, 2000, 100)
    assert "0 new bulk-read alerts" in check()


def test_an_export_counts_its_rows_and_the_thresholds_are_settings(
    adviser, security_admin, time_machine
):
    from campuscode.core.rules import set_setting

    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    log_action(action="people.list.exported", actor=adviser, data={"filters": {}, "count": 120})
    assert "0 new" in check()
    set_setting(key="privacy_alert_people", value=100)
    assert "1 new" in check()


def test_the_check_runs_every_few_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["privacy.check_bulk_reads"]
    assert entry["task"] == "privacy.check_bulk_reads"
    assert entry["schedule"].minute == set(range(0, 60, 5))
