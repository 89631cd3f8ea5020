from django.core.management.base import BaseCommand

from campuscode.audit.services import verify_chain


class Command(BaseCommand):
    help = (
        "Check the audit log's keyed chain against the signed anchors and purge "
        "checkpoints; report the first problem (exit 1)."
    )

    def handle(self, *args, **options):
        report = verify_chain()
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    f"audit log intact: {report.checked} entries checked, "
                    f"{report.anchors_checked} anchors matched"
                    + (" (from a purge checkpoint)" if report.start == "checkpoint" else "")
                )
            )
            return
        where = f" at entry #{report.broken_at}" if report.broken_at else ""
        self.stdout.write(
            self.style.ERROR(
                f"audit log BROKEN{where}: {report.problem} "
                f"({report.checked} entries before it are intact)"
            )
        )
        raise SystemExit(1)
