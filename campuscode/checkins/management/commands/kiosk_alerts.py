from django.core.management.base import BaseCommand

from campuscode.checkins.devices import check_silent_displays


class Command(BaseCommand):
    help = "Raise an alert for every registered check-in point screen silent for too long."

    def handle(self, *args, **options):
        self.stdout.write(f"{check_silent_displays()} new silent-screen alerts")
