"""`campuscode import-roster FILE`: check a roster file, print the preview, then commit.

Runs the same services as the web page, in this process (no worker needed).
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from campuscode.people.models import OrgUnit
from campuscode.roster.models import ImportJob
from campuscode.roster.selectors import job_errors
from campuscode.roster.services import create_job, run_commit, start_commit, validate_job


class Command(BaseCommand):
    help = "Import people from an XLSX or CSV roster: preview first, write only when confirmed."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--school", help="school code (needed when there are several)")
        parser.add_argument(
            "--only-good-rows",
            action="store_true",
            help="import the rows without errors and skip the others",
        )
        parser.add_argument("--yes", action="store_true", help="commit without asking")
        parser.add_argument(
            "--max-errors", type=int, default=200, help="errors to print (default 200)"
        )

    def handle(self, *args, file: Path, school, only_good_rows, yes, max_errors, **options):
        if not file.is_file():
            raise CommandError(_("No such file: %(file)s") % {"file": file})
        school_unit = self._school(school)
        job = create_job(school=school_unit, file_name=file.name, source=file, label="cli")
        self.stdout.write(_("Checking %(file)s …") % {"file": file.name})
        validate_job(job=job, progress=self._bar(_("checking")))
        self._end_bar()
        if job.state == ImportJob.State.FAILED:
            raise CommandError(job.problem_message)
        self._preview(job, max_errors)

        if job.bad and not only_good_rows:
            raise CommandError(
                _(
                    "%(bad)s rows have errors; nothing was imported. Fix them, or run again with --only-good-rows."
                )
                % {"bad": job.bad},
                returncode=1,
            )
        if not job.to_write and not job.new_units:
            self.stdout.write(
                _("Nothing to change: everyone in the file is registered as it says.")
            )
            start_commit(job=job, only_good_rows=only_good_rows)
            run_commit(job=job)
            return
        if not yes and not self._confirm(job):
            self.stdout.write(_("Nothing was imported."))
            return
        refusal = start_commit(job=job, only_good_rows=only_good_rows)
        if refusal:
            raise CommandError(str(refusal.label))
        run_commit(job=job, progress=self._bar(_("importing")))
        self._end_bar()
        if job.state != ImportJob.State.DONE:
            raise CommandError(job.problem_message)
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported: %(new)s new, %(updated)s changed, %(units)s new units.")
                % {
                    "new": job.written_new,
                    "updated": job.written_updated,
                    "units": job.written_units,
                }
            )
        )

    def _school(self, code: str | None) -> OrgUnit:
        schools = OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL)
        if code:
            schools = schools.filter(code__iexact=code)
        found = list(schools[:2])
        if len(found) != 1:
            raise CommandError(
                _("Name the school with --school CODE.")
                if found
                else _("No school with this code.")
            )
        return found[0]

    def _preview(self, job: ImportJob, max_errors: int) -> None:
        self.stdout.write(
            _(
                "Rows %(rows)s · new %(new)s · changed %(updated)s · unchanged %(unchanged)s · "
                "repeated rows skipped %(duplicates)s · rows with errors %(bad)s"
            )
            % {
                "rows": job.rows,
                "new": job.new,
                "updated": job.updated,
                "unchanged": job.unchanged,
                "duplicates": job.duplicates,
                "bad": job.bad,
            }
        )
        if job.new_units:
            self.stdout.write(
                _("New units (%(count)s): %(units)s")
                % {"count": len(job.new_units), "units": ", ".join(job.new_units)}
            )
        if job.ignored_headers:
            self.stdout.write(
                _("Columns not used: %(columns)s") % {"columns": ", ".join(job.ignored_headers)}
            )
        errors = job_errors(job)
        total = errors.count()
        for error in errors[:max_errors]:
            self.stdout.write(
                self.style.ERROR(
                    _("row %(row)s · %(column)s · %(message)s")
                    % {
                        "row": error.row,
                        "column": job.column_label(error.field),
                        "message": error.message,
                    }
                )
            )
        if total > max_errors:
            self.stdout.write(_("… and %(more)s more errors.") % {"more": total - max_errors})

    def _confirm(self, job: ImportJob) -> bool:
        if not sys.stdin.isatty():
            self.stdout.write(_("Run again with --yes to import."))
            return False
        answer = input(
            _("Import %(new)s new and %(updated)s changed people? [y/N] ")
            % {"new": job.new, "updated": job.updated}
        )
        return answer.strip().lower() in {"y", "yes", "是", "好"}

    def _bar(self, label: str):
        tty = self.stderr.isatty()
        state = {"last": -1}

        def show(job: ImportJob) -> None:
            percent = job.percent
            if not tty:  # a log file gets a line every 10 %, not a carriage-return bar
                if percent // 10 > state["last"]:
                    state["last"] = percent // 10
                    self.stderr.write(
                        f"{label} {percent}% ({job.progress_done}/{job.progress_total})"
                    )
                return
            filled = percent * 30 // 100
            bar = "█" * filled + "·" * (30 - filled)
            self.stderr.write(
                f"\r{label} [{bar}] {percent:3d}% {job.progress_done}/{job.progress_total}",
                ending="",
            )
            self.stderr.flush()

        self._tty = tty
        return show

    def _end_bar(self) -> None:
        if getattr(self, "_tty", False):
            self.stderr.write("")
