"""The restore drill (R6.2): make data, back up, destroy, restore, compare; both databases.

Runs with real transactions: a backup reads what is committed, as it does in production.
On PostgreSQL it restores into the test's own database (test_<name>), never another one.
"""

import io
import json
import shutil
import tarfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from campuscode.audit.actions import AuditAction
from campuscode.audit.models import AuditEntry
from campuscode.backups import crypto
from campuscode.backups.models import BackupRecord, State
from campuscode.backups.services import (
    BackupRefused,
    Refusal,
    create_backup,
    engine,
    restore_backup,
    verify_backup,
)
from campuscode.checkins.models import Checkin
from campuscode.codes.tokens import verify_token
from campuscode.people.models import Person

pytestmark = pytest.mark.django_db(transaction=True)


def rows() -> dict:
    return {
        "people": sorted(Person.objects.values_list("pk", "name", "number")),
        "checkins": sorted(
            (pk, str(t), mac)
            for pk, t, mac in Checkin.objects.values_list("pk", "temperature", "mac")
        ),
        "audit": sorted(AuditEntry.objects.values_list("pk", "action", "hash")),
    }


def destroy_database() -> None:
    connections.close_all()
    if engine() == "sqlite":
        name = Path(settings.DATABASES["default"]["NAME"])
        for path in (name, Path(f"{name}-wal"), Path(f"{name}-shm")):
            path.unlink(missing_ok=True)
    else:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        connections.close_all()


def destroy_folders() -> None:
    for folder in (settings.MEDIA_ROOT, settings.CODE_KEYS_DIR, settings.ANCHOR_DIR):
        shutil.rmtree(folder, ignore_errors=True)


def needs_pg_tools():
    if engine() == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore not installed (apt-get install postgresql-client)")


def test_it_brings_back_everything_after_the_database_and_folders_are_gone(school, capsys):
    needs_pg_tools()
    call_command("anchor_audit")
    before = rows()
    assert before["people"] and before["checkins"] and before["audit"]

    call_command("backup")
    (archive,) = Path(settings.BACKUP_DIR).glob("*.ccbackup")
    assert b"36.6" not in archive.read_bytes()  # encrypted at rest

    destroy_database()
    destroy_folders()
    started = time.monotonic()
    call_command("restore", str(archive), "--yes")
    rto = time.monotonic() - started
    out = capsys.readouterr().out
    assert "restored" in out

    after = rows()
    assert after["people"] == before["people"]
    assert after["checkins"] == before["checkins"]
    # The restore itself is audited in the restored log, after everything it restored.
    assert after["audit"][: len(before["audit"])] == before["audit"]
    assert AuditEntry.objects.filter(action=AuditAction.BACKUP_RESTORED).count() == 1
    # The run that made the archive was still running in its own snapshot: settled as done.
    made = BackupRecord.objects.get(file=archive.name)
    assert (made.state, made.size) == (State.OK, archive.stat().st_size)
    assert school["upload"].read_bytes().startswith(b"\xff\xd8")
    call_command("verify_audit")  # exits 1 if the chain or its anchors do not verify
    verdict = verify_token(school["token"])
    assert verdict.ok, verdict.reason
    print(f"\n[{engine()}] RTO {rto:.2f} s, archive {archive.stat().st_size:,} bytes")


def test_it_verifies_an_intact_backup_and_audits_it(school, capsys):
    needs_pg_tools()
    result = create_backup(actor=None)
    assert result.manifest["engine"] == engine()
    assert result.manifest["row_counts"]["people_person"] == Person.objects.count()
    assert {"audit/audit-chain.key", "media/attachments/proof.jpg"} <= set(
        result.manifest["checksums"]
    )
    assert any(name.startswith("keys/") for name in result.manifest["checksums"])
    call_command("verify_backup", str(result.path))
    assert "backup intact" in capsys.readouterr().out
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {
        AuditAction.BACKUP_CREATED,
        AuditAction.BACKUP_VERIFIED,
    }
    assert crypto.key_path().stat().st_mode & 0o777 == 0o600


def test_it_reports_a_changed_byte_and_exits_1(school, capsys):
    needs_pg_tools()
    result = create_backup(actor=None)
    raw = bytearray(result.path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    result.path.write_bytes(bytes(raw))
    with pytest.raises(SystemExit) as exited:
        call_command("verify_backup", str(result.path))
    assert exited.value.code == 1
    assert "NOT usable" in capsys.readouterr().out


def test_it_reports_a_cut_short_backup(school):
    needs_pg_tools()
    result = create_backup(actor=None)
    raw = result.path.read_bytes()
    result.path.write_bytes(raw[: len(raw) // 2])
    report = verify_backup(path=result.path, actor=None)
    assert not report.ok


def test_it_cannot_be_read_without_its_key(school):
    needs_pg_tools()
    result = create_backup(actor=None)
    crypto.key_path().unlink()
    crypto.backup_key(create=True)  # a new key is not the old one
    with pytest.raises(BackupRefused) as refused:
        restore_backup(path=result.path, actor=None)
    assert refused.value.reason == Refusal.UNREADABLE


def rewrite_manifest(path: Path, change) -> None:
    """Re-seal an archive with its manifest changed (checksums stay right)."""
    key = crypto.backup_key(create=False)
    with open(path, "rb") as handle:
        plain = b"".join(crypto.decrypt_stream(handle, key=key))
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(plain)) as source,
        tarfile.open(fileobj=out, mode="w") as target,
    ):
        for member in source:
            body = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(body)
                change(manifest)
                body = json.dumps(manifest).encode()
                member.size = len(body)
            target.addfile(member, io.BytesIO(body))
    with open(path, "wb") as handle:
        writer = crypto.EncryptingWriter(handle, key=key)
        writer.write(out.getvalue())
        writer.close()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda m: m.update(engine="postgresql" if m["engine"] == "sqlite" else "sqlite"),
            Refusal.OTHER_ENGINE,
        ),
        (
            lambda m: m["migrations"].update(people="9999_from_the_future"),
            Refusal.NEWER_SCHEMA,
        ),
    ],
)
def test_it_refuses_another_engine_or_a_newer_schema_and_changes_nothing(school, change, reason):
    needs_pg_tools()
    result = create_backup(actor=None)
    rewrite_manifest(result.path, change)
    Person.objects.filter(pk=Person.objects.first().pk).update(name="改过的名字")
    before = rows()
    with pytest.raises(BackupRefused) as refused:
        restore_backup(path=result.path, actor=None)
    assert refused.value.reason == reason
    assert rows() == before
    with pytest.raises(CommandError, match="refused"):
        call_command("restore", str(result.path), "--yes")


def test_it_asks_before_replacing_everything(school):
    result = create_backup(actor=None) if engine() == "sqlite" else None
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(result.path if result else "x.ccbackup"))
