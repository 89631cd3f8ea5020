from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campuscode.backups.services import BackupRefused, create_backup


class Command(BaseCommand):
    help = (
        "Write one encrypted backup (database, uploads, signing keys, audit-chain key, "
        "anchors, manifest) without stopping the site."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", type=Path, help="folder to write into (default: BACKUP_DIR)")

    def handle(self, *args, **options):
        try:
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
