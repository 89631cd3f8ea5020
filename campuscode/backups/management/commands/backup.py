from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campuscode.backups import offsite
from campuscode.backups.progress import Progress
from campuscode.backups.services import BackupRefused, create_backup, run_scheduled_backup


class Command(BaseCommand):
    help = (
        "Write one encrypted backup (database, uploads, signing keys, audit-chain key, "
        "anchors, manifest) without stopping the site, printing its progress."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", type=Path, help="folder to write into (default: BACKUP_DIR)")
        parser.add_argument(
            "--if-due",
            action="store_true",
            help="the scheduled run: only when the last backup is older than the school's "
            "backup period; then copy off-site and prune by the retention counts",
        )
        parser.add_argument(
            "--offsite",
            action="store_true",
            help="back up now and copy off-site and prune, as the scheduled run does",
        )
        parser.add_argument(
            "--offsite-init",
            action="store_true",
            help="create the restic repository CAMPUSCODE_BACKUP_RESTIC_REPOSITORY (once)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress lines")

    def handle(self, *args, **options):
        if options["offsite_init"]:
            if not offsite.restic_configured():
                raise CommandError("CAMPUSCODE_BACKUP_RESTIC_REPOSITORY is not set")
            try:
                offsite.restic_init()
            except offsite.OffsiteError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(self.style.SUCCESS("restic repository created"))
            return
        progress = Progress(stream=None if options["quiet"] else self.stdout)
        try:
            if options["if_due"] or options["offsite"]:
                result = run_scheduled_backup(
                    force=options["offsite"], trigger="command", progress=progress
                )
                if result is None:
                    self.stdout.write("no backup due yet")
                    return
            else:
                result = create_backup(
                    actor=None, target_dir=options["to"], trigger="command", progress=progress
                )
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
        record = result.record
        if record is not None and record.offsite_detail:
            self.stdout.write(f"off-site copy ({record.get_offsite_display()}):")
            for line in record.offsite_detail.splitlines():
                self.stdout.write(f"  {line}")
