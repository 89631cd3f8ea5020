from django.core.management.base import BaseCommand
from django.utils import timezone

from campuscode.backups import selectors
from campuscode.backups.alerts import check_missed_backup
from campuscode.backups.models import State


class Command(BaseCommand):
    help = (
        "Print the backup status (newest good backup, RPO now, last verified restore); "
        "alert the system and security admins once if a backup is overdue (beat runs this "
        "every 10 minutes). Exit 1 when a backup is overdue or the last check failed, for "
        "an outside monitor."
    )

    def handle(self, *args, **options):
        alert = check_missed_backup()
        state = selectors.status()
        if state.newest_at:
            hours = state.rpo.total_seconds() / 3600
            when = timezone.localtime(state.newest_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(f"newest good backup: {when} (RPO now {hours:.1f} h)")
        else:
            self.stdout.write("no backup yet")
        verification = state.last_verification
        if verification:
            when = timezone.localtime(verification.finished_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(
                f"last verified restore: {when} {verification.file}: {verification.state}"
            )
        else:
            self.stdout.write("no verified restore yet")
        if alert:
            self.stdout.write(f"alert sent: {alert.get_kind_display()}")
        failed = verification is not None and verification.state == State.FAILED
        if state.overdue:
            self.stdout.write(self.style.ERROR("a backup is overdue"))
        if state.overdue or failed:
            raise SystemExit(1)
