from django.core.management.base import BaseCommand

from campuscode.attendance.engine import close_due_sessions


class Command(BaseCommand):
    help = "Close ended attendance sessions: unmarked people become absent (safe to re-run)."

    def handle(self, *args, **options):
        result = close_due_sessions(by="cli")
        self.stdout.write(
            self.style.SUCCESS(
                f"{result['sessions']} sessions closed, {result['marks']} absences recorded"
            )
        )
