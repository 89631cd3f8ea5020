"""Periodic job (CELERY_BEAT_SCHEDULE); also `campuscode close-events`."""

from celery import shared_task


@shared_task(name="events.close_due")
def close_due() -> dict:
    """Close ended event sittings and open the reviews of mandatory ones (idempotent)."""
    from campuscode.events.services import close_due_sittings

    return close_due_sittings()
