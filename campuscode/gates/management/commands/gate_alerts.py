from django.core.management.base import BaseCommand

from campuscode.gates.services import check_silent_gates


class Command(BaseCommand):
    help = "Raise an alert for every gate device silent for longer than the school's setting."

    def handle(self, *args, **options):
        self.stdout.write(f"{check_silent_gates()} new silent-gate alerts")
