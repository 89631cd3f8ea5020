"""The audit log's writer, its verification and its retention purge (issue 8, hole 6)."""

import contextlib
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from campuscode.audit import anchors
from campuscode.audit.keys import AuditKeyMissing
from campuscode.audit.models import AuditEntry, AuditHead
from campuscode.core import net
from campuscode.core.rules import get_setting

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
            scheme=AuditEntry.Scheme.KEYED,
        )
        entry.hash = entry.compute_hash()
        entry.save()
        head.last_hash, head.last_id = entry.hash, entry.pk
        first_keyed = not head.keyed
        head.keyed = True
        head.save(update_fields=["last_hash", "last_id", "keyed"])
        if first_keyed:
            # Pin the start of the keyed chain outside the database straight away
            # rather than within the hour (see AuditHead.keyed).
            transaction.on_commit(anchor_head, robust=True)
    return entry


@dataclass
class ChainReport:
    ok: bool
    checked: int
    broken_at: int | None = None
    problem: str = ""
    anchors_checked: int = 0
    start: str = "genesis"  # or "checkpoint": the log was purged up to a signed checkpoint


def _fail(checked: int, broken_at: int | None, problem: str, **extra) -> ChainReport:
    return ChainReport(False, checked, broken_at, problem, **extra)


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the log in id order; report the first entry whose link, content or anchor is
    wrong. The walk starts at the genesis or at a signed purge checkpoint; every signed
    anchor whose head is still retained must match its row."""
    documents = anchors.load()
    if invalid := [d.name for d in documents if not d.valid]:
        return _fail(0, None, f"anchor file {invalid[0]} is unreadable or its signature is wrong")
    checkpoints = {d.row_id: d for d in documents if d.kind == anchors.CHECKPOINT}
    first = AuditEntry.objects.order_by("pk").first()
    head = AuditHead.objects.filter(pk=1).first()
    start = "genesis"
    if first is None:
        prev, first_id = GENESIS, 0
    elif first.prev_hash == GENESIS:
        prev, first_id = GENESIS, first.pk
    elif (mark := checkpoints.get(first.pk)) and mark.payload.get("prev_hash") == first.prev_hash:
        prev, first_id, start = first.prev_hash, first.pk, "checkpoint"
    else:
        return _fail(
            0, first.pk, "the oldest entries were removed without a signed purge checkpoint"
        )
    # Anchors about rows the retention purge removed say nothing any more.
    pinned: dict[int, list[anchors.Document]] = {}
    for document in documents:
        if document.kind == anchors.ANCHOR and document.row_id >= first_id:
            pinned.setdefault(document.row_id, []).append(document)
    checked = anchored = 0
    last_id = first_id - 1
    keyed_seen = False
    while True:
        rows = list(AuditEntry.objects.filter(pk__gt=last_id).order_by("pk")[:batch])
        if not rows:
            break
        for entry in rows:
            if entry.prev_hash != prev:
                return _fail(
                    checked,
                    entry.pk,
                    "link to the previous entry is broken (a row was removed or reordered)",
                    anchors_checked=anchored,
                )
            if entry.scheme == AuditEntry.Scheme.LEGACY and keyed_seen:
                return _fail(
                    checked,
                    entry.pk,
                    "an unkeyed entry follows keyed ones (the chain was recomputed without the key)",
                    anchors_checked=anchored,
                )
            try:
                expected = entry.compute_hash(create_key=False)
            except AuditKeyMissing as missing:
                return _fail(
                    checked, entry.pk, f"the audit key file {missing} is missing: restore it"
                )
            if expected != entry.hash:
                return _fail(
                    checked,
                    entry.pk,
                    "content does not match its hash (the row was altered)",
                    anchors_checked=anchored,
                )
            for document in pinned.pop(entry.pk, []):
                if document.payload.get("last_hash") != entry.hash:
                    return _fail(
                        checked,
                        entry.pk,
                        f"the chain differs from the anchor {document.name} (it was rewritten)",
                        anchors_checked=anchored,
                    )
                anchored += 1
            keyed_seen = keyed_seen or entry.scheme == AuditEntry.Scheme.KEYED
            prev = entry.hash
            checked += 1
            last_id = entry.pk
    if pinned:
        missing_id = min(pinned)
        return _fail(
            checked,
            missing_id,
            f"entries up to #{missing_id}, pinned by the anchor {pinned[missing_id][0].name}, "
            "were removed",
            anchors_checked=anchored,
        )
    if head and head.last_hash != prev:
        return _fail(checked, head.last_id, "the newest entries were removed")
    return ChainReport(True, checked, anchors_checked=anchored, start=start)


def anchor_head(*, now: datetime | None = None) -> anchors.Document | None:
    """Write a signed anchor of the newest entry to the anchor folder (hourly by beat).

    Not verified first, on purpose: a row altered without the key fails verification
    whether or not it was anchored; the anchor adds that nothing before it can later be
    removed, re-chained by a key holder, or cut from the tail unnoticed."""
    last = AuditEntry.objects.order_by("-pk").first()
    if last is None:
        return None
    return anchors.write(
        anchors.ANCHOR,
        {
            "last_id": last.pk,
            "last_hash": last.hash,
            "count": AuditEntry.objects.filter(pk__lte=last.pk).count(),
            "at": (now or timezone.now()).isoformat(),
        },
    )


@dataclass
class AnchorStatus:
    document: anchors.Document
    state: str  # "ok", "mismatch", "missing", "purged", "invalid"

    @property
    def ok(self) -> bool:
        return self.state in {"ok", "purged"}


def anchor_statuses(limit: int = 5) -> list[AnchorStatus]:
    """The newest anchors with a quick check each (signature, and the pinned row's hash);
    the audit page shows them. The whole chain is checked by `verify-audit`."""
    documents = anchors.load(anchors.ANCHOR, newest=limit)[::-1]
    wanted = {d.row_id for d in documents if d.valid}
    hashes = dict(AuditEntry.objects.filter(pk__in=wanted).values_list("pk", "hash"))
    oldest = AuditEntry.objects.order_by("pk").values_list("pk", flat=True).first() or 0
    purged_up_to = _purged_up_to()
    statuses = []
    for document in documents:
        if not document.valid:
            state = "invalid"
        elif document.row_id in hashes:
            state = "ok" if hashes[document.row_id] == document.payload["last_hash"] else "mismatch"
        elif document.row_id < min(oldest, purged_up_to):
            state = "purged"
        else:
            state = "missing"
        statuses.append(AnchorStatus(document, state))
    return statuses


def _purged_up_to() -> int:
    points = [d.row_id for d in anchors.load(anchors.CHECKPOINT) if d.valid]
    return max(points, default=0)


@contextlib.contextmanager
def purge_allowed():
    """Open the database guard for a retention purge, for this transaction only.

    On PostgreSQL the triggers of migration audit 0003 / checkins 0006 refuse UPDATE and
    DELETE on the audit log and the health check-ins unless the transaction-local
    setting `campuscode.purge` is 'on'. SQLite has no such guard (whoever can write the
    file can drop a trigger); the keyed chain, the MACs and the anchors find changes."""
    if not connection.in_atomic_block:
        raise RuntimeError("purge_allowed() needs a transaction")
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('campuscode.purge', 'on', true)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('campuscode.purge', 'off', true)")


def _months_before(moment: datetime, months: int) -> datetime:
    local = timezone.localtime(moment)
    year, month = divmod(local.year * 12 + local.month - 1 - months, 12)
    day = min(local.day, 28)  # "at least N months": never short of them in a short month
    return local.replace(year=year, month=month + 1, day=day)


@dataclass
class PurgeResult:
    purged: int = 0
    cutoff: datetime | None = None
    refused: str = ""  # "chain_broken": nothing is removed while verification fails
    problem: str = ""
    entry: AuditEntry | None = field(default=None, repr=False)


def purge_audit(*, actor=None, now: datetime | None = None) -> PurgeResult:
    """Remove entries older than the school's retention (at least 6 months), oldest first.

    The newest entry always stays, so the chain never restarts. Before removing, the
    whole chain is verified (a purge must not launder a tampered stretch) and a signed
    checkpoint of the first kept entry is written; the purge is itself audited."""
    now = now or timezone.now()
    months = max(6, int(get_setting("audit_retention_months")))
    cutoff = _months_before(now, months)
    with transaction.atomic():
        # The head lock keeps appends out while we look at the oldest rows and delete.
        AuditHead.objects.select_for_update().get_or_create(pk=1)
        newest = AuditEntry.objects.order_by("-pk").first()
        if newest is None:
            return PurgeResult(cutoff=cutoff)
        kept = AuditEntry.objects.filter(Q(at__gte=cutoff) | Q(pk=newest.pk)).order_by("pk").first()
        doomed = AuditEntry.objects.filter(pk__lt=kept.pk)
        count = doomed.count()
        if not count:
            return PurgeResult(cutoff=cutoff)
        report = verify_chain()
        if not report.ok:
            return PurgeResult(cutoff=cutoff, refused="chain_broken", problem=report.problem)
        anchors.write(
            anchors.CHECKPOINT,
            {
                "first_id": kept.pk,
                "prev_hash": kept.prev_hash,
                "purged": count,
                "cutoff": cutoff.isoformat(),
                "at": now.isoformat(),
            },
        )
        with purge_allowed():
            doomed.delete()
        entry = log_action(
            action="audit.log.purged",
            actor=actor,
            data={
                "purged": count,
                "before": cutoff.isoformat(),
                "first_kept": kept.pk,
                "months": months,
            },
        )
    return PurgeResult(purged=count, cutoff=cutoff, entry=entry)
