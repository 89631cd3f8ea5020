"""Periodic jobs (CELERY_BEAT_SCHEDULE); also `campuscode close-sessions` and
`campuscode attendance-warnings`."""

from celery import shared_task


@shared_task(name="attendance.close_sessions")
def close_sessions() -> dict:
    """Mark every unmarked person of each ended session absent (idempotent)."""
    from campuscode.attendance.engine import close_due_sessions

    return close_due_sessions(by="beat")


@shared_task(name="attendance.warnings")
def warnings() -> dict:
    from campuscode.attendance.services import send_warnings

    return send_warnings()
