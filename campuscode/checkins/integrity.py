"""Which check-ins were written behind the application's back (issue 8, hole 6).

`check_records()` is what `campuscode verify-records` runs; `tampered_checkin_ids()`
lets a list mark such rows. A row is reported when its MAC is missing (inserted by raw
SQL, or older than the MACs and not yet signed) or wrong (edited), or when its
"superseded" marks are not those a correction leaves (the earlier row of a window is
superseded by a later, valid check-in of the same person and window, at that time).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from campuscode.audit.keys import AuditKeyMissing
from campuscode.checkins.models import Checkin

BATCH = 2000


class Problem(TextChoices):
    UNSIGNED = "unsigned", _("No integrity code: written outside the application")
    ALTERED = "altered", _("Integrity code does not match: changed outside the application")
    SUPERSEDED = "superseded", _("Replaced by a record that does not correct it")


@dataclass
class RecordsReport:
    checked: int = 0
    problems: dict[int, str] = field(default_factory=dict)  # check-in id → Problem

    @property
    def ok(self) -> bool:
        return not self.problems


def _problem(checkin: Checkin, successors: dict[int, Checkin]) -> str | None:
    if not checkin.mac:
        return Problem.UNSIGNED
    if checkin.mac != checkin.compute_mac(create_key=False):
        return Problem.ALTERED
    if checkin.superseded_at is None and checkin.superseded_by_id is None:
        return None
    successor = successors.get(checkin.superseded_by_id)
    if (
        successor is None
        or checkin.superseded_at is None
        or (successor.person_id, successor.day, successor.period)
        != (checkin.person_id, checkin.day, checkin.period)
        or successor.at != checkin.superseded_at
        or successor.at <= checkin.at
        or not successor.mac_ok
    ):
        return Problem.SUPERSEDED
    return None


def _check(checkins: list[Checkin]) -> dict[int, str]:
    wanted = {c.superseded_by_id for c in checkins if c.superseded_by_id}
    successors = {c.pk: c for c in checkins if c.pk in wanted}
    if missing := wanted - successors.keys():
        successors.update(Checkin.objects.in_bulk(missing))
    return {c.pk: problem for c in checkins if (problem := _problem(c, successors))}


def check_records(queryset=None) -> RecordsReport:
    """Check every check-in (or those of `queryset`) in id batches. Raises
    AuditKeyMissing if the key file is gone: then nothing can be told apart."""
    report = RecordsReport()
    rows = (queryset if queryset is not None else Checkin.objects.all()).order_by("pk")
    last = 0
    while batch := list(rows.filter(pk__gt=last)[:BATCH]):
        report.problems.update(_check(batch))
        report.checked += len(batch)
        last = batch[-1].pk
    return report


def tampered_checkin_ids(checkins: Iterable[Checkin]) -> set[int]:
    """The ids among `checkins` (already loaded, e.g. a page of a list) to mark."""
    return set(problems_of(checkins))


def problems_of(checkins: Iterable[Checkin]) -> dict[int, str]:
    """{id: Problem} among `checkins` (already loaded); without the key, every row."""
    checkins = list(checkins)
    try:
        return _check(checkins)
    except AuditKeyMissing:
        return {c.pk: Problem.UNSIGNED for c in checkins}


def sign_unsigned() -> int:
    """One-off after upgrading: give a MAC to the check-ins written before MACs existed.

    Only rows older than the first signed one (by id, which the database hands out in
    order) are signed; an unsigned row after it was written behind the application's
    back and stays reported. Run it right after the upgrade, before anyone could insert
    a row by hand. Returns the number signed."""
    first_signed = Checkin.objects.exclude(mac="").order_by("pk").values_list("pk", flat=True)
    boundary = first_signed.first()
    rows = Checkin.objects.filter(mac="")
    if boundary is not None:
        rows = rows.filter(pk__lt=boundary)
    signed = 0
    for checkin in rows.order_by("pk").iterator(chunk_size=BATCH):
        with transaction.atomic():
            Checkin.objects.filter(pk=checkin.pk, mac="").update(mac=checkin.compute_mac())
        signed += 1
    return signed
