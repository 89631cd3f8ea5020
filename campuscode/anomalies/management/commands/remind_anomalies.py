from django.core.management.base import BaseCommand

from campuscode.anomalies.services import remind


class Command(BaseCommand):
    help = (
        "Remind the people handling anomaly cases whose deadline is near or past "
        "(once a day per case; safe to re-run)."
    )

    def handle(self, *args, **options):
        self.stdout.write(self.style.SUCCESS(f"{remind()} reminders sent"))
