from django.core.management.base import BaseCommand

from campuscode.checkins.reminders import send_reminders


class Command(BaseCommand):
    help = "Remind people who have not checked in that their window closes soon."

    def handle(self, *args, **options):
        count = send_reminders()
        self.stdout.write(f"{count} reminders")
