"""The scheduled backup: due by the school's period, copied off-site, pruned by counts."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command

from campuscode.audit.actions import AuditAction
from campuscode.audit.models import AuditEntry
from campuscode.backups.services import prune_backups

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def folders(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_OFFSITE_DIR = str(tmp_path / "nas")
    settings.BACKUP_KEY_FILE = tmp_path / "keys-backup" / "backup.key"
    return tmp_path


def test_it_backs_up_when_due_copies_off_site_and_then_waits(folders, tree, capsys):
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        import shutil

        if not shutil.which("pg_dump"):
            pytest.skip("pg_dump not installed")
    call_command("backup", "--if-due")
    (made,) = (folders / "backups").glob("*.ccbackup")
    (copy,) = (folders / "nas").glob("*.ccbackup")
    assert copy.read_bytes() == made.read_bytes()
    call_command("backup", "--if-due")
    assert "no backup due" in capsys.readouterr().out
    assert len(list((folders / "backups").glob("*.ccbackup"))) == 1


def test_it_keeps_one_a_day_a_week_and_a_month_and_deletes_the_rest(tmp_path):
    now = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
    for hours in range(0, 24 * 120, 6):  # four a day for 120 days
        path = tmp_path / f"b-{hours:05d}.ccbackup"
        path.write_bytes(b"x")
        made = (now - timedelta(hours=hours)).timestamp()
        os.utime(path, (made, made))
    deleted = prune_backups(folder=tmp_path, daily=7, weekly=4, monthly=3, now=now)
    kept = list(tmp_path.glob("*.ccbackup"))
    assert deleted and all(not p.exists() for p in deleted)
    # 7 days + up to 4 weeks + up to 3 months, overlapping: far fewer than 480, at least 7.
    assert 7 <= len(kept) <= 14
    assert Path(tmp_path / "b-00000.ccbackup") in kept  # the newest always stays
    ages = sorted((now.timestamp() - p.stat().st_mtime) / 86400 for p in kept)
    assert ages[-1] > 50  # a monthly one from two months back survives


def test_pruning_is_audited(folders, tree):
    backups = folders / "backups"
    backups.mkdir()
    old = backups / "campuscode-old.ccbackup"
    old.write_bytes(b"x")
    long_ago = datetime(2020, 1, 1, tzinfo=UTC).timestamp()
    os.utime(old, (long_ago, long_ago))
    call_command("backup", "--if-due")
    assert not old.exists()
    assert AuditEntry.objects.filter(action=AuditAction.BACKUPS_PRUNED).count() == 1
