"""Retention (PIPL Art. 19: kept no longer than the purpose needs): every night, records
older than the school's setting are deleted, or, where a count without the person is
still useful, de-identified.

What happens to each kind, and why:

- health check-ins (with their honesty flags and manual registrations), advance reports
  and make-ups, cleared manual statuses, check-in reminders, in-app notices: deleted.
  Their purpose (daily screening, a decision on one window) is long over; a row without
  the person says nothing useful about a day that is months old.
- follow-up cases and their events and photos: deleted once the case has been closed for
  the period (never while open); the photo files go from the disk too.
- isolations and their health reports: deleted once ended for the period (never while
  current).
- entries and exits: de-identified (no person, no code fingerprint, no colour). Place,
  time, direction and outcome stay, because counts per gate and hour are what security
  staff plan with, and without the person they are no longer personal data.
- open requests (pending reports and make-ups) stay until they are decided.

Check-ins are deleted, never updated: the check-in table's integrity check refuses any
change outside an explicit purge, which `audit.services.purge_allowed()` marks.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from math import ceil

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from campuscode.audit.services import log_action, purge_allowed
from campuscode.checkins.models import Checkin, ManualStatus, Reminder
from campuscode.core.rules import get_setting
from campuscode.followup.models import (
    AdvanceReport,
    CaseEvent,
    CaseState,
    Decision,
    FollowupCase,
    Isolation,
    MakeupRequest,
)
from campuscode.gates.models import GateEvent
from campuscode.notify.models import Delivery, Notice
from campuscode.people.models import OrgUnit
from campuscode.privacy.models import RetentionRun

log = logging.getLogger(__name__)

BATCH = 1000


def health_retention_days(school=None) -> int:
    """The school's setting, but never shorter than the rules that look back need: the
    manual-registration count, the make-up period and the longest advance report read
    rows that old."""
    return max(
        get_setting("privacy_retention_days", school),
        get_setting("followup_manual_period_days", school),
        ceil(get_setting("followup_makeup_hours", school) / 24) + 1,
        get_setting("followup_report_max_days", school),
    )


def gate_retention_days(school=None) -> int:
    return get_setting("privacy_gate_retention_days", school)


@dataclass
class Step:
    """One kind of record: the rows past their time, and what to do with them."""

    kind: str
    rows: QuerySet
    deidentify: dict | None = None  # field → value; None means delete
    related: dict[str, str] = field(default_factory=dict)  # model label → count name


def _steps(now, school_id: int | None) -> list[Step]:
    """The records of the people of `school_id`, each past that school's retention. With
    None: what belongs to no school's person (notices of accounts without a person), past
    the installation's retention (core.rules.get_setting without a school)."""
    if school_id is None:
        health_cut = now - timedelta(days=health_retention_days())
        nobody = Q(user__person__isnull=True)
        return [
            Step("notifications", Notice.objects.filter(nobody, created_at__lt=health_cut)),
            Step("deliveries", Delivery.objects.filter(nobody, created_at__lt=health_cut)),
        ]
    days = health_retention_days(school_id)
    health_cut = now - timedelta(days=days)
    health_day = timezone.localdate(now) - timedelta(days=days)
    gate_cut = now - timedelta(days=gate_retention_days(school_id))
    ours = Q(person__school_id=school_id)
    users = Q(user__person__school_id=school_id)
    needed_checkins = FollowupCase.objects.exclude(state=CaseState.CLOSED).exclude(checkin=None)
    return [
        Step(
            "advance_reports",
            AdvanceReport.objects.exclude(state=Decision.PENDING).filter(
                ours, last_day__lt=health_day
            ),
        ),
        Step(
            "makeups",
            MakeupRequest.objects.exclude(state=Decision.PENDING).filter(ours, day__lt=health_day),
        ),
        Step(
            "checkins",
            # The check-in that opened a case still open is part of that case.
            Checkin.objects.filter(ours, day__lt=health_day).exclude(
                pk__in=needed_checkins.values("checkin_id")
            ),
            related={
                "checkins.Flag": "checkin_flags",
                "followup.ManualRegistration": "manual_registrations",
            },
        ),
        Step("manual_statuses", ManualStatus.objects.filter(ours, cleared_at__lt=health_cut)),
        Step(
            "followup_cases",
            FollowupCase.objects.filter(ours, state=CaseState.CLOSED, closed_at__lt=health_cut),
            related={"followup.CaseEvent": "case_events"},
        ),
        Step(
            "isolations",
            Isolation.objects.filter(ours, ended_at__lt=health_cut),
            related={"followup.IsolationReport": "isolation_reports"},
        ),
        Step("reminders", Reminder.objects.filter(ours, day__lt=health_day)),
        Step("notifications", Notice.objects.filter(users, created_at__lt=health_cut)),
        Step("deliveries", Delivery.objects.filter(users, created_at__lt=health_cut)),
        Step(
            "gate_events",
            GateEvent.objects.filter(ours, at__lt=gate_cut).exclude(person=None),
            deidentify={"person": None, "token_fp": "", "colour": ""},
        ),
    ]


def purge_expired(
    *, dry_run: bool = False, progress: Callable[[str, int], None] | None = None, now=None
) -> RetentionRun:
    """Delete or de-identify every record past its retention, in batches; record the
    counts on a RetentionRun after each batch and write one audit entry for the run.
    Idempotent: a second run finds nothing left to do."""
    now = now or timezone.now()
    # Each school's records go after that school's own retention (its rules).
    schools = list(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL).order_by("pk").values_list("pk", flat=True)
    )
    run = RetentionRun.objects.create(
        started_at=now,
        dry_run=dry_run,
        cutoffs={
            "health_days": health_retention_days(),
            "gate_days": gate_retention_days(),
            "schools": {
                str(pk): {
                    "health_days": health_retention_days(pk),
                    "gate_days": gate_retention_days(pk),
                }
                for pk in schools
            },
        },
    )
    counts: dict[str, int] = {}
    steps = [step for school_id in [*schools, None] for step in _steps(now, school_id)]
    for step in steps:
        counts.setdefault(step.kind, 0)
        for name in step.related.values():
            counts.setdefault(name, 0)
        if step.kind == "followup_cases":
            counts.setdefault("attachments", 0)
        if dry_run:
            counts[step.kind] += step.rows.count()
            if step.kind == "followup_cases":
                counts["attachments"] += (
                    CaseEvent.objects.filter(case__in=step.rows).exclude(attachment="").count()
                )
            if progress:
                progress(step.kind, counts[step.kind])
            continue
        while True:
            ids = list(step.rows.order_by("pk").values_list("pk", flat=True)[:BATCH])
            if not ids:
                break
            _apply(step, ids, counts)
            run.counts = counts
            run.save(update_fields=["counts"])
            if progress:
                progress(step.kind, counts[step.kind])
    run.counts = counts
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "finished_at"])
    if not dry_run:
        log_action(
            action="privacy.retention.purged",
            data={"run": run.pk, "counts": counts, "cutoffs": run.cutoffs},
        )
    return run


def _apply(step: Step, ids: list[int], counts: dict[str, int]) -> None:
    model = step.rows.model
    if step.deidentify is not None:
        with transaction.atomic():
            counts[step.kind] += model.objects.filter(pk__in=ids).update(**step.deidentify)
        return
    files: list[tuple] = []
    if step.kind == "followup_cases":
        for event in CaseEvent.objects.filter(case_id__in=ids).exclude(attachment=""):
            files.append((event.attachment.storage, event.attachment.name))
    with transaction.atomic(), purge_allowed():
        _total, per_model = model.objects.filter(pk__in=ids).delete()
    counts[step.kind] += per_model.get(model._meta.label, 0)
    for label, name in step.related.items():
        counts[name] += per_model.get(label, 0)
    # The files go after the rows are gone for good: a failed transaction leaves both.
    for storage, name in files:
        try:
            storage.delete(name)
            counts["attachments"] += 1
        except OSError:
            log.warning("retention: could not delete the file %s", name)
