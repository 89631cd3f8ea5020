from pathlib import Path

from django.core.management.base import BaseCommand

from campuscode.backups.services import describe, verify_backup


class Command(BaseCommand):
    help = (
        "Decrypt a backup, check every checksum and the database inside it (SQLite: "
        "integrity check and row counts); report each problem (exit 1)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        report = verify_backup(path=options["file"], actor=None)
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(f"backup intact: {report.path} ({describe(report.manifest)})")
            )
            return
        self.stdout.write(self.style.ERROR(f"backup NOT usable: {report.path}"))
        for problem in report.problems:
            self.stdout.write(f"  - {problem}")
        raise SystemExit(1)
