"""Periodic job (CELERY_BEAT_SCHEDULE); also `campuscode send-deadline-reminders`."""

from celery import shared_task


@shared_task(name="casework.send_deadline_reminders")
def send_deadline_reminders() -> int:
    """Send the reminders and escalations now due (idempotent); how many were sent."""
    from campuscode.casework.deadlines import send_deadline_reminders as run

    return run().total
