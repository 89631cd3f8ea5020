from django.core.management.base import BaseCommand

from campuscode.events.services import close_due_sittings


class Command(BaseCommand):
    help = "Close ended event sittings; absences from mandatory events go to the advisers."

    def handle(self, *args, **options):
        result = close_due_sittings(by="command")
        self.stdout.write(
            f"closed {result['sittings']} sitting(s), opened {result['reviews']} review(s)"
        )
