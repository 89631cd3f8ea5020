from pathlib import Path

from django.core.management.base import BaseCommand

from campuscode.backups.models import State
from campuscode.backups.progress import Progress
from campuscode.backups.verification import run_verified_restore, verification_due


class Command(BaseCommand):
    help = (
        "Restore a backup (default: the newest) into a scratch database (SQLite: a temporary "
        "file; PostgreSQL: <database>_verify, dropped after), check integrity, migrations, "
        "row counts, campus codes and the audit chain, and record the result; exit 1 when "
        "it fails. The live data is never touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, nargs="?", help="a .ccbackup (default: newest)")
        parser.add_argument(
            "--if-due",
            action="store_true",
            help="the scheduled run: only when the last check is older than the school's "
            "backup_verify_every_days",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress lines")

    def handle(self, *args, **options):
        if options["if_due"] and not verification_due():
            self.stdout.write("no verified restore due yet")
            return
        progress = Progress(stream=None if options["quiet"] else self.stdout)
        record = run_verified_restore(
            path=options["file"],
            trigger="schedule" if options["if_due"] else "command",
            progress=progress,
        )
        for row in record.check_rows:
            mark = "ok  " if row["ok"] else "FAIL"
            self.stdout.write(f"  [{mark}] {row['label']}: {row['detail']}")
        if record.state == State.OK:
            self.stdout.write(
                self.style.SUCCESS(
                    f"verified restore OK: {record.file} restored into {record.scratch} "
                    f"in {record.restore_seconds:.2f} s ({record.tables} tables, "
                    f"{record.rows:,} rows); checked in {record.seconds:.2f} s"
                )
            )
            return
        self.stdout.write(self.style.ERROR(f"verified restore FAILED: {record.problem}"))
        raise SystemExit(1)
