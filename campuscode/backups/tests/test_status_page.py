"""The backup status page: the system admin's alone; what it shows; starting a job; the
running job's progress panel (polled by htmx)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campuscode.audit.actions import AuditAction
from campuscode.audit.models import AuditEntry
from campuscode.backups.models import BackupRecord, State, VerificationRecord
from campuscode.backups.services import create_backup
from campuscode.backups.tests.test_restore_drill import needs_pg_tools
from campuscode.backups.verification import run_verified_restore
from campuscode.core.tests.test_no_leaks import _leaks, _read
from conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_only_the_system_admin_opens_the_page_and_its_parts(
    client, folders, tree, sysadmin, security_admin, auditor, adviser, outsider
):
    for user in (security_admin, auditor, adviser, outsider):
        sign_in(client, user)
        assert client.get("/backups/").status_code == 403
        assert client.get("/backups/progress/").status_code == 403
        assert client.post("/backups/run/", {"kind": "backup"}).status_code == 403
    assert BackupRecord.objects.count() == 0
    client.logout()
    assert client.get("/backups/")["Location"].startswith("/accounts/login/")

    response = sign_in(client, sysadmin).get("/backups/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-empty="backups"' in body and 'data-empty="verifications"' in body
    assert AuditEntry.objects.filter(
        action=AuditAction.BACKUP_STATUS_VIEWED, actor=sysadmin
    ).exists()


def test_it_shows_the_last_backup_its_size_the_rpo_and_the_last_verified_restore(
    client, school, sysadmin
):
    needs_pg_tools()
    result = create_backup(actor=None)
    run_verified_restore()
    body = sign_in(client, sysadmin).get("/backups/").content.decode()
    assert f'data-size="{result.size}"' in body
    assert result.path.name in body and str(result.path.parent) in body
    assert 'data-verified="ok"' in body
    assert "data-rpo-seconds=" in body and "data-overdue" not in body
    assert 'data-offsite="none"' in body
    assert body.count('data-check="') == 8 and 'data-ok="0"' not in body
    assert "最近一次备份" in body  # in Chinese, every word of it (product names aside)
    assert _leaks(" ".join(_read(body).parts), frozenset({"SQLite", "PostgreSQL"})) == []


def test_back_up_now_queues_a_job_that_the_worker_runs_and_a_second_waits(
    client, school, sysadmin, settings
):
    needs_pg_tools()
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the worker runs it at once, in this process
    sign_in(client, sysadmin)
    response = client.post("/backups/run/", {"kind": "backup"})
    assert response.status_code == 302
    record = BackupRecord.objects.get()
    assert (record.state, record.trigger, record.started_by) == (State.OK, "page", sysadmin)
    assert AuditEntry.objects.filter(action=AuditAction.BACKUP_REQUESTED, actor=sysadmin).exists()
    assert AuditEntry.objects.get(action=AuditAction.BACKUP_CREATED).actor == sysadmin

    response = client.post("/backups/run/", {"kind": "verify"})
    assert VerificationRecord.objects.get().state == State.OK

    # One waiting already: a second is refused, nothing is added.
    BackupRecord.objects.create(state=State.QUEUED, trigger="page", created_at=timezone.now())
    response = client.post("/backups/run/", {"kind": "backup"}, follow=True)
    assert BackupRecord.objects.count() == 2
    assert "正在进行或等待" in response.content.decode()
    assert client.post("/backups/run/", {"kind": "nonsense"}).status_code == 302
    assert BackupRecord.objects.count() == 2


def test_the_progress_panel_shows_a_running_job_and_reloads_the_page_when_it_ends(
    client, folders, tree, sysadmin
):
    run = BackupRecord.objects.create(
        state=State.RUNNING,
        trigger="schedule",
        created_at=timezone.now(),
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        step="正在加密第 3 个文件，共 9 个",
        percent=40,
    )
    sign_in(client, sysadmin)
    page = client.get("/backups/").content.decode()
    assert 'hx-get="/backups/progress/"' in page and 'data-percent="40"' in page
    panel = client.get("/backups/progress/", headers={"HX-Request": "true"})
    assert 'data-percent="40"' in panel.content.decode()
    BackupRecord.objects.filter(pk=run.pk).update(state=State.OK, percent=100)
    done = client.get("/backups/progress/", headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"


def test_a_run_whose_process_died_is_marked_failed_when_the_next_one_starts(folders, tree):
    needs_pg_tools()
    long_ago = timezone.now() - timedelta(hours=2)
    dead = BackupRecord.objects.create(
        state=State.RUNNING, trigger="schedule", created_at=long_ago, heartbeat_at=long_ago
    )
    create_backup(actor=None)
    dead.refresh_from_db()
    assert dead.state == State.FAILED and dead.problem
