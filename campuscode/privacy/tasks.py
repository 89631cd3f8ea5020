"""Periodic jobs (scheduled in CELERY_BEAT_SCHEDULE); each is also a command."""

from celery import shared_task


@shared_task(name="privacy.purge_expired")
def purge_expired() -> dict:
    """Delete or de-identify records past their retention (idempotent)."""
    from campuscode.privacy.retention import purge_expired as purge

    return purge().counts


@shared_task(name="privacy.check_bulk_reads")
def check_bulk_reads() -> int:
    """Alert the security admin about accounts reading many people's data (idempotent)."""
    from campuscode.privacy.alerts import check_bulk_reads as check

    return len(check())
