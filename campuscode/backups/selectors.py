"""What the backup status page shows (reads only)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from campuscode.backups import offsite
from campuscode.backups.alerts import missed_since
from campuscode.backups.models import BackupAlert, BackupRecord, State, VerificationRecord
from campuscode.core.rules import get_setting


@dataclass
class Status:
    now: datetime
    last_backup: BackupRecord | None
    newest_at: datetime | None  # the newest good backup (a record or a file)
    rpo: timedelta | None  # time since then: what a failure now would lose
    overdue: bool
    last_verification: VerificationRecord | None
    active: list = field(default_factory=list)
    backup_dir: str = ""
    offsite_targets: list[str] = field(default_factory=list)
    every_hours: int = 0
    grace_hours: int = 0
    verify_every_days: int = 0
    alerts: list = field(default_factory=list)


def status(*, now=None) -> Status:
    now = now or timezone.now()
    overdue, newest = missed_since(now=now)
    active = list(BackupRecord.objects.active()) + list(VerificationRecord.objects.active())
    return Status(
        now=now,
        last_backup=BackupRecord.objects.finished().order_by("-created_at", "-pk").first(),
        newest_at=newest,
        rpo=(now - newest) if newest else None,
        overdue=overdue,
        last_verification=VerificationRecord.objects.finished()
        .order_by("-created_at", "-pk")
        .first(),
        active=sorted(active, key=lambda r: r.created_at),
        backup_dir=str(Path(settings.BACKUP_DIR)),
        offsite_targets=offsite.targets(),
        every_hours=get_setting("backup_every_hours"),
        grace_hours=get_setting("backup_missed_grace_hours"),
        verify_every_days=get_setting("backup_verify_every_days"),
        alerts=list(BackupAlert.objects.all()[:5]),
    )


def active_runs() -> list:
    runs = list(BackupRecord.objects.active()) + list(VerificationRecord.objects.active())
    return sorted(runs, key=lambda r: r.created_at)


def backup_history():
    return BackupRecord.objects.finished().order_by("-created_at", "-pk")


def verification_history():
    return VerificationRecord.objects.finished().order_by("-created_at", "-pk")


def is_ok(record) -> bool:
    return record is not None and record.state == State.OK
