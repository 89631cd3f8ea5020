from django.core.management.base import BaseCommand

from campuscode.anomalies.services import run_detectors


class Command(BaseCommand):
    help = "Run the anomaly detectors and open a case for each new hit (safe to re-run)."

    def handle(self, *args, **options):
        result = run_detectors()
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.hits} hits, {len(result.opened)} cases opened, "
                f"{result.extended} cases extended"
            )
        )
