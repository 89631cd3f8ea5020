"""Verified restores: the newest backup restored into a scratch database and checked, on
schedule and from the command line, on whichever database the suite runs (SQLite and
PostgreSQL in CI); a damaged, foreign or tampered backup fails its check and alerts."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from campuscode.audit.actions import AuditAction
from campuscode.audit.models import AuditEntry
from campuscode.audit.services import purge_allowed
from campuscode.backups.alerts import alert_failed_verification
from campuscode.backups.models import BackupAlert, Check, State, VerificationRecord
from campuscode.backups.services import create_backup, engine
from campuscode.backups.tasks import scheduled_verification_task
from campuscode.backups.tests.test_restore_drill import needs_pg_tools, rewrite_manifest, rows
from campuscode.backups.verification import run_verified_restore, scratch_name
from campuscode.notify.models import Kind, Notice

pytestmark = pytest.mark.django_db(transaction=True)

CJK = re.compile(r"[\u4e00-\u9fff]")


def scratch_databases() -> list[str]:
    if engine() != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname = %s", [scratch_name()])
        return [row[0] for row in cursor.fetchall()]


def test_it_restores_the_newest_backup_into_a_scratch_database_and_records_each_check(
    school, capsys
):
    needs_pg_tools()
    call_command("anchor_audit")
    create_backup(actor=None)
    before = rows()

    call_command("verify_restore")

    out = capsys.readouterr().out
    assert "%]" in out  # the progress lines
    assert "verified restore OK" in out
    record = VerificationRecord.objects.get()
    assert record.state == State.OK, record.problem
    assert [row["check"] for row in record.checks] == list(Check.values)
    assert all(row["ok"] for row in record.checks), record.checks
    assert record.restore_seconds > 0 and record.tables > 10 and record.rows > 0
    assert record.backup is not None and record.backup.file == record.file
    codes = next(row for row in record.checks if row["check"] == Check.CODES)
    assert CJK.search(codes["detail"])  # the school reads it in Chinese
    entry = AuditEntry.objects.filter(action=AuditAction.BACKUP_RESTORE_VERIFIED).get()
    assert entry.data["ok"] is True
    # The live data is as it was (the audit entries of the check itself aside) and the
    # scratch database is gone.
    assert rows()["people"] == before["people"] and rows()["checkins"] == before["checkins"]
    assert scratch_databases() == []


def test_the_scheduled_job_verifies_when_due_and_then_waits_the_schools_period(
    school, time_machine
):
    needs_pg_tools()
    assert scheduled_verification_task() == ""  # no backup yet: nothing to verify
    create_backup(actor=None)
    time_machine.move_to(timezone.now(), tick=True)
    assert scheduled_verification_task().endswith(": ok")
    assert VerificationRecord.objects.get().trigger == "schedule"
    time_machine.move_to(timezone.now() + timedelta(days=6))
    assert scheduled_verification_task() == ""
    time_machine.move_to(timezone.now() + timedelta(days=1, minutes=1))
    assert scheduled_verification_task().endswith(": ok")
    assert VerificationRecord.objects.filter(state=State.OK).count() == 2


def test_a_damaged_backup_fails_its_check_and_alerts_the_admins_once(
    school, sysadmin, security_admin, adviser, capsys
):
    needs_pg_tools()
    result = create_backup(actor=None)
    raw = bytearray(result.path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    result.path.write_bytes(bytes(raw))

    with pytest.raises(SystemExit) as exited:
        call_command("verify_restore", "--quiet")
    assert exited.value.code == 1
    assert "FAILED" in capsys.readouterr().out

    record = VerificationRecord.objects.get()
    assert record.state == State.FAILED
    assert [(row["check"], row["ok"]) for row in record.checks] == [(Check.ARCHIVE, False)]
    notices = Notice.objects.filter(kind=Kind.BACKUP_ALERT)
    assert sorted(n.user.username for n in notices) == ["itadmin", "secadmin"]
    assert alert_failed_verification(record) is None  # the same incident: no second alert
    assert Notice.objects.filter(kind=Kind.BACKUP_ALERT).count() == 2
    assert BackupAlert.objects.get().kind == BackupAlert.Kind.VERIFY_FAILED


def test_a_backup_of_another_engine_fails_the_check_and_restore_refuses_it_in_chinese(school):
    needs_pg_tools()
    result = create_backup(actor=None)
    rewrite_manifest(
        result.path,
        lambda m: m.update(engine="postgresql" if m["engine"] == "sqlite" else "sqlite"),
    )
    record = run_verified_restore(path=result.path)
    assert record.state == State.FAILED
    compatible = record.checks[-1]
    assert (compatible["check"], compatible["ok"]) == (Check.COMPATIBLE, False)
    assert CJK.search(compatible["detail"]), compatible["detail"]
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(result.path), "--yes")
    assert CJK.search(str(refused.value)), str(refused.value)
    assert "SQLite" in str(refused.value) and "PostgreSQL" in str(refused.value)


def test_a_backup_with_a_rewritten_audit_row_fails_the_audit_chain_check(school):
    needs_pg_tools()
    call_command("anchor_audit")
    # Someone with database access rewrites an entry: the backup copies it faithfully,
    # and the check finds it in the restored copy.
    entry = AuditEntry.objects.order_by("pk").first()
    with transaction.atomic(), purge_allowed():  # past PostgreSQL's append-only guard
        AuditEntry.objects.filter(pk=entry.pk).update(data={"rewritten": True})
    create_backup(actor=None)
    record = run_verified_restore()
    assert record.state == State.FAILED
    failed = [row["check"] for row in record.checks if not row["ok"]]
    assert failed == [Check.AUDIT_CHAIN]
