from django.core.management.base import BaseCommand

from campuscode.violations.services import run_daily


class Command(BaseCommand):
    help = (
        "Make unappealed decisions final, lift sanctions whose term is over (解除) and retire "
        "closed cases past the retention period (safe to re-run)."
    )

    def handle(self, *args, **options):
        result = run_daily()
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(result.final)} decisions final, {len(result.lifted)} sanctions lifted, "
                f"{len(result.archived)} cases retired"
            )
        )
