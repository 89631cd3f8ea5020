from django.core.management.base import BaseCommand

from campuscode.audit.services import verify_chain


class Command(BaseCommand):
    help = "Check the audit log's hash chain; report the first broken link (exit 1)."

    def handle(self, *args, **options):
        report = verify_chain()
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(f"audit log intact: {report.checked} entries checked")
            )
            return
        self.stdout.write(
            self.style.ERROR(
                f"audit log BROKEN at entry #{report.broken_at}: {report.problem} "
                f"({report.checked} entries before it are intact)"
            )
        )
        raise SystemExit(1)
