"""Numbered documents: one sequence per (school, kind of document, year), e.g.
校督整〔2026〕3号; the prefix of each kind is a school setting."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from campuscode.casework.models import DocumentCounter, DocumentNumber
from campuscode.casework.registry import DOCUMENT_KINDS
from campuscode.core.rules import get_setting


def format_number(*, prefix: str, year: int, seq: int) -> str:
    return f"{prefix}〔{year}〕{seq}号"


def next_number(
    *, school, kind: str, ref: str = "", actor=None, now: datetime | None = None
) -> DocumentNumber:
    """Take the next number of `kind` in `school` for the current year (no gaps, no
    repeats: the counter row is locked until the number is recorded)."""
    now = now or timezone.now()
    year = timezone.localtime(now).year
    prefix = get_setting(DOCUMENT_KINDS[kind].prefix_setting, school)
    with transaction.atomic():
        counter, _created = DocumentCounter.objects.get_or_create(
            school=school, kind=kind, year=year
        )
        counter = DocumentCounter.objects.select_for_update().get(pk=counter.pk)
        counter.last += 1
        counter.save(update_fields=["last"])
        return DocumentNumber.objects.create(
            school=school,
            kind=kind,
            year=year,
            seq=counter.last,
            number=format_number(prefix=prefix, year=year, seq=counter.last),
            ref=ref[:80],
            issued_at=now,
            issued_by=actor,
        )
