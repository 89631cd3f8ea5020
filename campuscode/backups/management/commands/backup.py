from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campuscode.backups.services import BackupRefused, create_backup, run_scheduled_backup


class Command(BaseCommand):
    help = (
        "Write one encrypted backup (database, uploads, signing keys, audit-chain key, "
        "anchors, manifest) without stopping the site."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", type=Path, help="folder to write into (default: BACKUP_DIR)")
        parser.add_argument(
            "--if-due",
            action="store_true",
            help="the scheduled run: only when the last backup is older than the school's "
            "backup period; then copy off-site and prune by the retention counts",
        )

    def handle(self, *args, **options):
        try:
            if options["if_due"]:
                result = run_scheduled_backup()
                if result is None:
                    self.stdout.write("no backup due yet")
                    return
            else:
                result = create_backup(actor=None, target_dir=options["to"])
        except BackupRefused as refused:
            raise CommandError(refused.message) from None
        rows = sum(result.manifest["row_counts"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"backup written: {result.path} ({result.size:,} bytes, "
                f"{len(result.manifest['checksums'])} files, {rows:,} rows, "
                f"{result.seconds:.2f} s)"
            )
        )
