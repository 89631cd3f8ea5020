"""Periodic job (CELERY_BEAT_SCHEDULE); also `campuscode detect-anomalies`."""

from celery import shared_task


@shared_task(name="anomalies.detect")
def detect() -> int:
    """Run the anomaly detectors (idempotent); the number of cases opened."""
    from campuscode.anomalies.services import run_detectors

    return len(run_detectors().opened)


@shared_task(name="anomalies.remind")
def remind() -> int:
    """Remind the people handling anomaly cases near or past their deadline (once a day
    per case); the number of reminders sent."""
    from campuscode.anomalies.services import remind as send

    return send()
