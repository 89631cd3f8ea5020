from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from campuscode.analytics.summaries import refresh_summaries


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date like 2026-03-02: {text}") from None


class Command(BaseCommand):
    help = (
        "Rebuild the analysis summary tables (check-ins and class attendance per unit and day, "
        "gate passages per place and hour) from --since to --until (default: yesterday to "
        "today). Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=_date, help="first day, YYYY-MM-DD")
        parser.add_argument("--until", type=_date, help="last day, YYYY-MM-DD (default today)")

    def handle(self, *args, since=None, until=None, **options):
        today = timezone.localdate()
        since = since or today - timedelta(days=1)
        until = until or today
        if since > until:
            raise CommandError("--since is after --until")
        started = timezone.now()
        rows = refresh_summaries(since=since, until=until)
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(
            self.style.SUCCESS(f"{rows} summary rows for {since} – {until} in {seconds:.1f} s")
        )
