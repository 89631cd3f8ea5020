"""The backup jobs, each also a command: `campuscode backup --if-due`, `campuscode
verify-restore --if-due`, `campuscode check-backups`; in CELERY_BEAT_SCHEDULE."""

from celery import shared_task

from campuscode.backups.alerts import check_missed_backup
from campuscode.backups.services import run_scheduled_backup


@shared_task(name="backups.scheduled")
def scheduled_backup_task() -> str:
    result = run_scheduled_backup()
    return result.path.name if result else ""


@shared_task(name="backups.verify")
def scheduled_verification_task() -> str:
    from campuscode.backups.verification import run_scheduled_verification

    record = run_scheduled_verification()
    return f"{record.file}: {record.state}" if record else ""


@shared_task(name="backups.watch")
def watch_task() -> str:
    alert = check_missed_backup()
    return alert.incident if alert else ""


@shared_task(name="backups.run_requested")
def requested_run_task(kind: str, pk: int) -> str:
    from campuscode.backups.runs import run_requested

    return run_requested(kind=kind, pk=pk)


@shared_task(name="backups.demo")
def demo_backup_task() -> str:
    """The demo's first backup and its verified restore, one after the other."""
    from campuscode.backups.models import Trigger
    from campuscode.backups.progress import Progress
    from campuscode.backups.services import create_backup
    from campuscode.backups.verification import run_verified_restore

    result = create_backup(actor=None, trigger=Trigger.DEMO, progress=Progress())
    record = run_verified_restore(path=result.path, trigger=Trigger.DEMO, progress=Progress())
    return record.state
