"""Periodic job (CELERY_BEAT_SCHEDULE); also `campuscode lift-sanctions`."""

from celery import shared_task


@shared_task(name="violations.daily")
def daily() -> dict:
    """Final decisions, lifted sanctions, retired cases (idempotent)."""
    from campuscode.violations.services import run_daily

    result = run_daily()
    return {
        "final": len(result.final),
        "lifted": len(result.lifted),
        "archived": len(result.archived),
    }
