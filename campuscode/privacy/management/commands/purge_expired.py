from django.core.management.base import BaseCommand

from campuscode.privacy.retention import purge_expired


class Command(BaseCommand):
    help = (
        "Delete or de-identify health records, follow-up cases, isolations and entry/exit "
        "records older than the school's retention settings."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be removed."
        )

    def handle(self, *args, dry_run=False, **options):
        def progress(kind: str, done: int) -> None:
            verb = "would be processed" if dry_run else "processed"
            self.stdout.write(f"{kind}: {done} {verb}")

        run = purge_expired(dry_run=dry_run, progress=progress)
        total = sum(run.counts.values())
        label = "dry run" if dry_run else "done"
        self.stdout.write(
            self.style.SUCCESS(
                f"{label}: {total} rows "
                f"(health records older than {run.cutoffs['health_days']} days, "
                f"entries/exits older than {run.cutoffs['gate_days']} days)"
            )
        )
        for kind, count in run.counts.items():
            self.stdout.write(f"  {kind}: {count}")
