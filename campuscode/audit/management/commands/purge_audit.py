from django.core.management.base import BaseCommand

from campuscode.audit.services import purge_audit


class Command(BaseCommand):
    help = (
        "Remove audit entries older than the retention setting (at least 6 months), "
        "after verifying the chain and writing a signed checkpoint."
    )

    def handle(self, *args, **options):
        result = purge_audit()
        if result.refused:
            self.stdout.write(
                self.style.ERROR(f"nothing removed: the chain does not verify ({result.problem})")
            )
            raise SystemExit(1)
        self.stdout.write(
            self.style.SUCCESS(
                f"removed {result.purged} entries older than {result.cutoff:%Y-%m-%d %H:%M}"
            )
        )
