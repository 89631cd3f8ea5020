from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from campuscode.casework.deadlines import send_deadline_reminders


class Command(BaseCommand):
    help = (
        "Send the reminders and escalations of every open item with a deadline that are "
        "due and not yet sent (safe to re-run)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", help="act as if it were this time (ISO, e.g. 2026-03-10T09:00+08:00)"
        )

    def handle(self, *args, **options):
        now = None
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError("--now: not an ISO date-time") from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        result = send_deadline_reminders(now=now)
        parts = ", ".join(f"{stage}: {count}" for stage, count in sorted(result.sent.items()))
        self.stdout.write(
            self.style.SUCCESS(f"{result.items} open items, {result.total} reminders sent")
            + (f" ({parts})" if parts else "")
        )
