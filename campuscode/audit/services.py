from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from campuscode.audit.models import AuditEntry, AuditHead
from campuscode.core import net

GENESIS = "0" * 64


def log_action(
    *,
    action: str,
    request=None,
    actor=None,
    client_ip: str | None = None,
    subject=None,
    data: dict | None = None,
) -> AuditEntry:
    """Append one audit entry: who did `action` to whom, when, from which address.

    Services pass `actor` and `client_ip`; a view may pass its `request` instead."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if client_ip is None and request is not None:
        client_ip = net.client_ip(request)
    with transaction.atomic():
        # Locking the head row serialises appends on PostgreSQL; SQLite's IMMEDIATE
        # transactions already run one writer at a time.
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            at=timezone.now(),
            actor=actor,
            actor_label=actor.get_username() if actor else "",
            action=action,
            subject=subject,
            subject_label=f"{subject.name} ({subject.number})" if subject is not None else "",
            data=data or {},
            ip=client_ip,
            prev_hash=head.last_hash,
        )
        entry.hash = entry.compute_hash()
        entry.save()
        head.last_hash, head.last_id = entry.hash, entry.pk
        head.save(update_fields=["last_hash", "last_id"])
    return entry


@dataclass
class ChainReport:
    ok: bool
    checked: int
    broken_at: int | None = None
    problem: str = ""


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the log in id order; report the first entry whose link or content is wrong."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = list(AuditEntry.objects.filter(pk__gt=last_id).order_by("pk")[:batch])
        if not rows:
            break
        for entry in rows:
            if entry.prev_hash != prev:
                return ChainReport(
                    False,
                    checked,
                    entry.pk,
                    "link to the previous entry is broken (a row was removed or reordered)",
                )
            if entry.compute_hash() != entry.hash:
                return ChainReport(
                    False,
                    checked,
                    entry.pk,
                    "content does not match its hash (the row was altered)",
                )
            prev = entry.hash
            checked += 1
            last_id = entry.pk
    head = AuditHead.objects.filter(pk=1).first()
    if head and head.last_hash != prev:
        return ChainReport(False, checked, head.last_id, "the newest entries were removed")
    return ChainReport(True, checked)
