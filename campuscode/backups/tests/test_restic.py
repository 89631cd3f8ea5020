"""The off-site copy through restic, round trip, with a local repository (the file
backend; SFTP and S3 work the same way through restic's own URLs)."""

import shutil

import pytest
from django.core.management import call_command

from campuscode.backups import offsite
from campuscode.backups.models import BackupAlert, BackupRecord, Offsite
from campuscode.backups.services import verify_backup
from campuscode.backups.tests.test_restore_drill import needs_pg_tools

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which("restic") is None,
        reason="restic is not installed (apt-get install restic; .ci/run installs it)",
    ),
]


@pytest.fixture
def restic_repo(settings, folders):
    password = folders / "restic-password"
    password.write_text("a long restic password for the test\n")
    password.chmod(0o600)
    settings.BACKUP_RESTIC_REPOSITORY = str(folders / "restic-repo")
    settings.BACKUP_RESTIC_PASSWORD_FILE = str(password)
    settings.DATA_DIR = folders / "data"
    return folders / "restic-repo"


def test_each_backup_is_copied_to_restic_and_comes_back_intact(school, restic_repo, capsys):
    needs_pg_tools()
    call_command("backup", "--offsite-init")
    assert (restic_repo / "config").exists()
    call_command("backup", "--offsite", "--quiet")
    assert "restic" in capsys.readouterr().out
    record = BackupRecord.objects.get()
    assert record.offsite == Offsite.COPIED, record.offsite_detail
    assert len(offsite.restic_snapshots()) == 1

    fetched = offsite.fetch_from_restic(target=restic_repo.parent / "fetched")
    original = next((restic_repo.parent / "backups").glob("*.ccbackup"))
    assert fetched.name == original.name
    assert fetched.read_bytes() == original.read_bytes()
    assert verify_backup(path=fetched, actor=None).ok


def test_a_failed_copy_is_recorded_and_alerted(school, restic_repo, sysadmin):
    needs_pg_tools()
    # No repository was created at that address.
    call_command("backup", "--offsite", "--quiet")
    record = BackupRecord.objects.get()
    assert record.offsite == Offsite.FAILED
    assert "restic" in record.offsite_detail
    assert BackupAlert.objects.get().kind == BackupAlert.Kind.OFFSITE_FAILED


def test_the_page_never_shows_a_repository_password(settings):
    assert offsite.masked("rest:https://backup:s3cret@nas.example.edu.cn:8000/cc") == (
        "rest:https://backup:***@nas.example.edu.cn:8000/cc"
    )
    assert offsite.masked("sftp:backup@nas:/srv/restic") == "sftp:backup@nas:/srv/restic"
