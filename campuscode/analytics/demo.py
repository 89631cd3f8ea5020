"""Demo: the summaries of the demo's history, and a few reports already delivered."""

from datetime import datetime, timedelta

from django.utils import timezone

from campuscode.analytics.reports import send_reports
from campuscode.analytics.summaries import refresh_summaries
from campuscode.people.models import OrgUnit

HISTORY_DAYS = 31  # the check-in demo's history (30 days) and today


def load_demo(*, school: OrgUnit, now: datetime) -> list[str]:
    today = timezone.localdate(now)
    rows = refresh_summaries(
        since=today - timedelta(days=HISTORY_DAYS - 1), until=today, school=school, now=now
    )
    sent = 0
    for period in ("daily", "weekly", "monthly"):
        sent += len(send_reports(period=period, now=now, refresh=False).reports)
    for days_back in (2, 3):  # the two days before yesterday too, as if sent each morning
        day = today - timedelta(days=days_back)
        sent += len(send_reports(period="daily", day=day, now=now, refresh=False).reports)
    return [
        f"Health analysis: /analytics/ ({rows} summary rows), gate traffic: /analytics/gates/, "
        f"{sent} periodic reports delivered: /analytics/reports/ (T1001, T1002, T1004)"
    ]
