"""Alerts about backups (R6.2): a missed backup, a failed backup, a failed off-site copy or
a failed verified restore is told to the system admins and the security admins, once per
incident.

An incident has a key (`BackupAlert.incident`, unique): a missed backup is keyed by the
newest good backup it follows, so the check may run every few minutes and still alert
once, and alerts again only after a new backup was made and then missed in its turn.
"""

from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.audit.actions import AuditAction
from campuscode.audit.services import log_action
from campuscode.backups.models import BackupAlert, BackupRecord, State
from campuscode.core.rules import get_setting
from campuscode.notify.models import Kind
from campuscode.notify.services import notify
from campuscode.people.access import ROLE_CAPABILITIES, Cap

STATUS_URL = "/backups/"


def recipients():
    roles = [
        role
        for role, caps in ROLE_CAPABILITIES.items()
        if Cap.MANAGE_BACKUPS in caps or Cap.SECURITY_ALERTS in caps
    ]
    return User.objects.filter(roles__role__in=roles, is_active=True).distinct().order_by("pk")


def _alert(*, kind: str, incident: str, data: dict, now=None) -> BackupAlert | None:
    now = now or timezone.now()
    try:
        with transaction.atomic():
            alert = BackupAlert.objects.create(
                kind=kind, incident=incident[:200], created_at=now, data=data
            )
    except IntegrityError:  # this incident was alerted already (perhaps just now, elsewhere)
        return None
    users = list(recipients())
    for user in users:
        notify(
            user=user,
            kind=Kind.BACKUP_ALERT,
            data={**data, "problem": kind},
            url=STATUS_URL,
            now=now,
        )
    log_action(
        action=AuditAction.BACKUP_ALERTED,
        data={**data, "kind": kind, "recipients": [u.get_username() for u in users]},
    )
    return alert


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def alert_failed_backup(record: BackupRecord) -> BackupAlert | None:
    return _alert(
        kind=BackupAlert.Kind.BACKUP_FAILED,
        incident=f"backup_failed:{record.pk}",
        data={
            "when": _when(record.started_at),
            "file": record.file,
            "detail": record.problem[:300],
        },
    )


def alert_offsite_failed(record: BackupRecord) -> BackupAlert | None:
    return _alert(
        kind=BackupAlert.Kind.OFFSITE_FAILED,
        incident=f"offsite_failed:{record.pk}",
        data={
            "when": _when(record.started_at),
            "file": record.file,
            "detail": record.offsite_detail[:300],
        },
    )


def alert_failed_verification(record) -> BackupAlert | None:
    return _alert(
        kind=BackupAlert.Kind.VERIFY_FAILED,
        incident=f"verify_failed:{record.pk}",
        data={
            "when": _when(record.started_at),
            "file": record.file,
            "detail": record.problem[:300],
        },
    )


def newest_good_backup():
    """When the newest backup that succeeded was made (a record, or a file in the backup
    folder from before records were kept), or None."""
    from campuscode.backups.services import latest_backup

    moments = []
    record = BackupRecord.objects.filter(state=State.OK).order_by("-finished_at").first()
    if record and record.finished_at:
        moments.append(record.finished_at)
    if path := latest_backup():
        moments.append(datetime.fromtimestamp(path.stat().st_mtime, tz=UTC))
    return max(moments) if moments else None


def missed_since(*, now=None):
    """(overdue?, the newest good backup's time or None)."""
    now = now or timezone.now()
    allowed = timedelta(
        hours=get_setting("backup_every_hours") + get_setting("backup_missed_grace_hours")
    )
    newest = newest_good_backup()
    if newest is not None:
        return now - newest > allowed, newest
    # Never backed up: overdue once the installation is older than the allowed gap.
    first = MigrationRecorder.Migration.objects.order_by("applied").first()
    return bool(first and now - first.applied > allowed), None


def check_missed_backup(*, now=None) -> BackupAlert | None:
    """The watch (beat, every 10 minutes; `campuscode check-backups`): alert once when the
    newest good backup is older than the school's period plus the grace time."""
    now = now or timezone.now()
    overdue, newest = missed_since(now=now)
    if not overdue:
        return None
    return _alert(
        kind=BackupAlert.Kind.MISSED,
        incident=f"missed:{newest.isoformat() if newest else 'never'}",
        data={"newest": _when(newest), "every": get_setting("backup_every_hours")},
        now=now,
    )


def backup_alert_text(data: dict) -> str:
    problem = data.get("problem")
    values = {key: data.get(key, "") for key in ("newest", "every", "when", "file", "detail")}
    if problem == BackupAlert.Kind.MISSED and values["newest"]:
        return (
            _(
                "No backup has been made since %(newest)s, although the school's rule is one "
                "every %(every)s hours. Look at the backup status page."
            )
            % values
        )
    if problem == BackupAlert.Kind.MISSED:
        return _("No backup has been made yet. Look at the backup status page.")
    if problem == BackupAlert.Kind.BACKUP_FAILED:
        return _("The backup started at %(when)s failed: %(detail)s") % values
    if problem == BackupAlert.Kind.OFFSITE_FAILED:
        return _("The off-site copy of the backup %(file)s failed: %(detail)s") % values
    return (
        _(
            "Restoring the backup %(file)s into a scratch database for a check failed: "
            "%(detail)s. That backup may not bring the site back."
        )
        % values
    )
