from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from campuscode.backups.services import BackupRefused, describe, restore_backup


class Command(BaseCommand):
    help = (
        "Replace this installation's database, uploads, signing keys, audit-chain key and "
        "anchors with a backup's. Stop the site first. Refuses a damaged backup, another "
        "database engine's or a newer version's."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, **options):
        db = settings.DATABASES["default"]
        if not options["yes"]:
            if not options.get("interactive", True) or not self.stdin_is_tty():
                raise CommandError("restore replaces all data: confirm with --yes")
            answer = input(
                f"This replaces ALL data of {db['NAME']} and the uploads and keys folders "
                f"with {options['file']}. Type 'yes' to go on: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("restore cancelled: nothing was changed")
        try:
            result = restore_backup(path=options["file"], actor=None)
        except BackupRefused as refused:
            raise CommandError(f"restore refused: {refused.message}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"restored {result.path} ({describe(result.manifest)}) in {result.seconds:.2f} s"
            )
        )
        if result.older_schema:
            self.stdout.write(
                "the backup's schema is older than this code: run `campuscode migrate` now"
            )

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin.isatty()
