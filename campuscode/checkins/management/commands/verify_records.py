from django.core.management.base import BaseCommand

from campuscode.audit.keys import AuditKeyMissing
from campuscode.checkins import integrity
from campuscode.checkins.integrity import Problem, check_records


class Command(BaseCommand):
    help = (
        "Check every health check-in's integrity code (MAC under the audit key); list the "
        "rows written or changed outside the application (exit 1)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sign-unsigned",
            action="store_true",
            help="once, right after upgrading: sign the check-ins older than the first "
            "signed one (they predate the integrity codes)",
        )

    def handle(self, *args, sign_unsigned: bool = False, **options):
        if sign_unsigned:
            count = integrity.sign_unsigned()
            self.stdout.write(f"signed {count} check-ins written before integrity codes")
        try:
            report = check_records()
        except AuditKeyMissing as missing:
            self.stdout.write(self.style.ERROR(f"the audit key file {missing} is missing"))
            raise SystemExit(1) from None
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(f"check-ins intact: {report.checked} records checked")
            )
            return
        for pk, problem in sorted(report.problems.items()):
            self.stdout.write(f"check-in #{pk}: {problem} ({Problem(problem).label})")
        self.stdout.write(
            self.style.ERROR(
                f"{len(report.problems)} of {report.checked} check-ins fail verification"
            )
        )
        raise SystemExit(1)
