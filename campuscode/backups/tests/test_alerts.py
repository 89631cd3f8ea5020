"""The missed-backup alert: once per missed backup, to the system and security admins."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from campuscode.audit.actions import AuditAction
from campuscode.audit.models import AuditEntry
from campuscode.backups.models import BackupAlert, BackupRecord, State
from campuscode.backups.services import create_backup
from campuscode.backups.tasks import watch_task
from campuscode.backups.tests.test_restore_drill import needs_pg_tools
from campuscode.core.rules import set_setting
from campuscode.notify.models import Kind, Notice

pytestmark = pytest.mark.django_db(transaction=True)

# Well after the archive files' real modification times, so the records' (frozen) times
# are the newest backups the check sees.
T0 = datetime(2030, 3, 2, 1, 0, tzinfo=UTC)


def alerted_users() -> list[str]:
    return sorted(n.user.username for n in Notice.objects.filter(kind=Kind.BACKUP_ALERT))


def test_it_alerts_once_when_a_backup_is_missed_and_again_after_the_next_one_is_missed(
    folders, tree, sysadmin, security_admin, adviser, time_machine, capsys
):
    needs_pg_tools()
    set_setting(key="backup_every_hours", value=24)
    set_setting(key="backup_missed_grace_hours", value=2)
    time_machine.move_to(T0, tick=False)
    create_backup(actor=None)

    time_machine.move_to(T0 + timedelta(hours=25, minutes=59), tick=False)
    assert watch_task() == ""  # inside the period plus grace
    time_machine.move_to(T0 + timedelta(hours=26, minutes=1), tick=False)
    assert watch_task().startswith("missed:")
    assert alerted_users() == ["itadmin", "secadmin"]  # not the adviser
    notice = Notice.objects.filter(kind=Kind.BACKUP_ALERT).first()
    assert notice.url == "/backups/"

    time_machine.move_to(T0 + timedelta(hours=30), tick=False)
    assert watch_task() == ""  # the same missed backup: no second alert
    with pytest.raises(SystemExit) as exited:
        call_command("check_backups")
    assert exited.value.code == 1
    assert "overdue" in capsys.readouterr().out
    assert len(alerted_users()) == 2
    assert AuditEntry.objects.filter(action=AuditAction.BACKUP_ALERTED).count() == 1

    create_backup(actor=None)  # at T0 + 30 h
    call_command("check_backups")  # exits 0: not overdue
    time_machine.move_to(T0 + timedelta(hours=57), tick=False)
    assert watch_task().startswith("missed:")
    assert len(alerted_users()) == 4
    assert BackupAlert.objects.filter(kind=BackupAlert.Kind.MISSED).count() == 2


def test_a_backup_that_fails_midway_is_recorded_failed_and_alerted(folders, tree, sysadmin):
    needs_pg_tools()
    # The audit-chain key cannot be read: the archive cannot be completed.
    from campuscode.audit import keys as audit_keys

    audit_keys.audit_key()
    path = audit_keys.key_path()
    path.unlink()
    path.mkdir()
    with pytest.raises(OSError):
        create_backup(actor=None)
    record = BackupRecord.objects.get()
    assert record.state == State.FAILED and record.problem
    assert AuditEntry.objects.filter(action=AuditAction.BACKUP_FAILED).count() == 1
    assert alerted_users() == ["itadmin"]
