from django.core.management.base import BaseCommand

from campuscode.notify.services import retry_due


class Command(BaseCommand):
    help = "Send the queued notifications whose time has come (text messages, e-mail, robots)."

    def handle(self, *args, **options):
        self.stdout.write(f"{retry_due()} sent")
