"""Periodic jobs (CELERY_BEAT_SCHEDULE); also `campuscode refresh-summaries` and
`campuscode send-reports`."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone


@shared_task(name="analytics.refresh_recent")
def refresh_recent() -> int:
    """Today and yesterday (a late make-up or an approval changes yesterday too)."""
    from campuscode.analytics.summaries import refresh_summaries

    return refresh_summaries(since=timezone.localdate() - timedelta(days=1))


@shared_task(name="analytics.refresh_past")
def refresh_past() -> int:
    """Nightly: the past days a correction may still reach (school setting)."""
    from campuscode.analytics.summaries import refresh_summaries
    from campuscode.core.rules import get_setting

    days = int(get_setting("analytics_refresh_days"))
    return refresh_summaries(since=timezone.localdate() - timedelta(days=days))


@shared_task(name="analytics.send_reports")
def send_reports(period: str) -> int:
    """The last complete period's reports; the number of readers told."""
    from campuscode.analytics.reports import send_reports as send

    return send(period=period).notified
