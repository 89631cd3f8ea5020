"""Frozen evidence: a copy of a record as it was, hashed, dated by the day it applies to."""

import hashlib
import json
from datetime import date

from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from campuscode.casework.models import EvidenceItem
from campuscode.casework.registry import key_of


def canonical(snapshot) -> bytes:
    """The bytes hashed: sorted keys, no spaces, UTF-8 (the same copy hashes the same on
    every machine and database)."""
    return json.dumps(
        snapshot, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()


def digest(snapshot) -> str:
    return hashlib.sha256(canonical(snapshot)).hexdigest()


def copy_of(record: models.Model) -> dict:
    """A model instance's fields as JSON-ready values (Django's serializer)."""
    return json.loads(serializers.serialize("json", [record]))[0]["fields"]


def freeze(
    *,
    actor,
    applies_on: date,
    record: models.Model | None = None,
    record_type: str = "",
    record_id: str = "",
    snapshot: dict | list | None = None,
    owner=None,
    label: str = "",
    client_ip: str | None = None,
    subject=None,
) -> EvidenceItem:
    """Freeze `record` (a model instance) or a `snapshot` the caller built (a computed
    figure, a roll call) as evidence of `owner` (a model instance or a key), audited."""
    from campuscode.audit.services import log_action

    if record is not None:
        record_type = record_type or record._meta.label_lower
        record_id = record_id or str(record.pk)
        snapshot = copy_of(record) if snapshot is None else snapshot
    if snapshot is None or not record_type:
        raise ValueError("freeze() needs a record, or a record_type and a snapshot")
    # Round-trip through JSON so the stored copy is exactly what was hashed.
    snapshot = json.loads(canonical(snapshot))
    item = EvidenceItem.objects.create(
        owner=(owner if isinstance(owner, str) else key_of(owner)) if owner is not None else "",
        record_type=record_type[:60],
        record_id=str(record_id)[:60],
        label=label[:200],
        snapshot=snapshot,
        sha256=digest(snapshot),
        applies_on=applies_on,
        frozen_by=actor,
        frozen_at=timezone.now(),
    )
    log_action(
        action="casework.evidence.frozen",
        actor=actor,
        client_ip=client_ip,
        subject=subject,
        data={
            "evidence": item.pk,
            "owner": item.owner,
            "record": f"{record_type}:{record_id}",
            "sha256": item.sha256,
            "applies_on": applies_on.isoformat(),
        },
    )
    return item


def evidence_of(owner) -> models.QuerySet:
    return EvidenceItem.objects.filter(owner=owner if isinstance(owner, str) else key_of(owner))
