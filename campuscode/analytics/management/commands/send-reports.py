from datetime import date

from django.core.management.base import BaseCommand, CommandError

from campuscode.analytics.models import ReportPeriod
from campuscode.analytics.reports import send_reports


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date like 2026-03-02: {text}") from None


class Command(BaseCommand):
    help = (
        "Build the daily, weekly or monthly health check-in report of every unit with a "
        "health-reading role and tell its readers; --date picks a day inside the period "
        "(default: the last complete one). Safe to re-run: nobody is told twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, choices=ReportPeriod.values)
        parser.add_argument("--date", type=_date, dest="day", help="a day in the period")

    def handle(self, *args, period, day=None, **options):
        result = send_reports(period=period, day=day)
        self.stdout.write(
            self.style.SUCCESS(
                f"{period} {result.first} – {result.last}: {len(result.reports)} reports "
                f"({result.created} new), {result.notified} readers told"
            )
        )
