from django.core.management.base import BaseCommand

from campuscode.attendance.services import send_warnings


class Command(BaseCommand):
    help = "Warn students and advisers about low attendance and absences in a row (once each)."

    def handle(self, *args, **options):
        sent = send_warnings()
        self.stdout.write(
            self.style.SUCCESS(
                f"{sent['rate']} rate warnings, {sent['consecutive']} absence-run warnings"
            )
        )
