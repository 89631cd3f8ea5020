"""A backup or a verified restore asked for on the status page: queued as a row at once
(the page shows it waiting, then its progress), run by the background worker."""

import contextlib
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.audit.actions import AuditAction
from campuscode.audit.services import log_action
from campuscode.backups.models import BackupRecord, State, Trigger, VerificationRecord
from campuscode.backups.progress import Progress

log = logging.getLogger(__name__)

KINDS = {"backup": BackupRecord, "verify": VerificationRecord}


def request_run(*, kind: str, actor, client_ip: str | None) -> tuple[object | None, str]:
    """Queue a run of `kind` ("backup" or "verify"): (the record, "") or (None, why not)."""
    model = KINDS.get(kind)
    if model is None:
        return None, _("Unknown job.")
    with transaction.atomic():
        if model.objects.active().exists():
            return None, _("This job is already running or waiting; wait for it to finish.")
        record = model.objects.create(
            state=State.QUEUED, trigger=Trigger.PAGE, started_by=actor, created_at=timezone.now()
        )
        log_action(
            action=AuditAction.BACKUP_REQUESTED,
            actor=actor,
            client_ip=client_ip,
            data={"kind": kind, "record": record.pk},
        )
        transaction.on_commit(lambda: _enqueue(kind, record.pk))
    return record, ""


def _enqueue(kind: str, pk: int) -> None:
    from campuscode.backups.tasks import requested_run_task

    try:
        requested_run_task.delay(kind, pk)
    except Exception as error:  # the broker is down: say so on the page, do not hide it
        log.warning("backup job %s %s could not be queued: %s", kind, pk, error)
        KINDS[kind].objects.filter(pk=pk, state=State.QUEUED).update(
            state=State.FAILED,
            finished_at=timezone.now(),
            problem=_("The background worker could not be reached."),
        )


def run_requested(*, kind: str, pk: int) -> str:
    from campuscode.backups.services import BackupRefused, run_scheduled_backup
    from campuscode.backups.verification import run_verified_restore

    model = KINDS[kind]
    record = model.objects.filter(pk=pk, state=State.QUEUED).first()
    if record is None:  # already taken (a retried message) or swept
        return ""
    progress = Progress(record)
    if kind == "verify":
        run_verified_restore(
            actor=record.started_by, trigger=Trigger.PAGE, record=record, progress=progress
        )
    else:
        # A failure is recorded, audited and alerted by create_backup itself.
        with contextlib.suppress(BackupRefused, OSError, RuntimeError):
            run_scheduled_backup(
                force=True,
                actor=record.started_by,
                trigger=Trigger.PAGE,
                record=record,
                progress=progress,
            )
    record.refresh_from_db()
    return record.state
