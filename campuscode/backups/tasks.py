"""The scheduled backup, also `campuscode backup --if-due`; in CELERY_BEAT_SCHEDULE."""

from celery import shared_task

from campuscode.backups.services import run_scheduled_backup


@shared_task(name="backups.scheduled")
def scheduled_backup_task() -> str:
    result = run_scheduled_backup()
    return result.path.name if result else ""
