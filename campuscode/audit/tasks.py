"""Background work of the audit log, each also a command: `campuscode anchor-audit`
(hourly) and `campuscode purge-audit` (daily), scheduled in CELERY_BEAT_SCHEDULE."""

from celery import shared_task

from campuscode.audit.services import anchor_head, purge_audit


@shared_task(name="audit.anchor")
def anchor_audit_task() -> str:
    document = anchor_head()
    return document.name if document else ""


@shared_task(name="audit.purge")
def purge_audit_task() -> int:
    return purge_audit().purged
