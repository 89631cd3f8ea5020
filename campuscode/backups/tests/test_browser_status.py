"""The backup status page on a phone: a running job's bar moves by itself (htmx polling),
and the page reloads with the result when the job ends."""

import pytest
from django.utils import timezone

from campuscode.backups.models import BackupRecord, State
from campuscode.backups.services import create_backup
from campuscode.backups.tests.test_restore_drill import needs_pg_tools
from campuscode.backups.verification import run_verified_restore
from conftest import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_system_admin_watches_a_backup_run_on_a_phone(phone_page, school, sysadmin):
    needs_pg_tools()
    create_backup(actor=None)
    run_verified_restore()
    running = BackupRecord.objects.create(
        state=State.RUNNING,
        trigger="schedule",
        created_at=timezone.now(),
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        step="正在复制数据库",
        percent=10,
    )
    page = phone_page
    page.goto("/backups/")
    page.fill("input[name=username]", "itadmin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn")
    page.wait_for_selector("[data-run][data-percent='10']")
    BackupRecord.objects.filter(pk=running.pk).update(
        percent=55, step="正在加密第 2 个文件，共 4 个"
    )
    page.wait_for_selector("[data-run][data-percent='55']")  # polled, no reload
    screenshot(page, "backups-running-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    BackupRecord.objects.filter(pk=running.pk).update(
        state=State.OK, percent=100, finished_at=timezone.now(), size=12345, file="x.ccbackup"
    )
    page.wait_for_selector("#backup-progress", state="detached")  # the page reloaded
    page.wait_for_selector("[data-verified=ok]")
    assert "最近一次恢复验证" in page.inner_text("main")
    screenshot(page, "backups-status-phone")
