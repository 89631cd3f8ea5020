"""Supervision writes (R7): plans, draws, headcounts, findings and the notice workflow.

Keyword-only, each takes the acting user and their address, audits, and refuses with a
reason code (`Refusal`), changing nothing."""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscode.audit.services import log_action
from campuscode.casework.documents import next_number
from campuscode.casework.evidence import freeze
from campuscode.casework.registry import key_of
from campuscode.core.rules import get_setting
from campuscode.people.access import Cap, covers_unit
from campuscode.people.models import OrgUnit, Person
from campuscode.supervision.draw import draw_from
from campuscode.supervision.models import (
    EventKind,
    Finding,
    Headcount,
    InspectionPlan,
    Notice,
    NoticeEvent,
    NoticeState,
    PlanKind,
    Severity,
    SpotDraw,
)

NOTICE_KIND = "supervision.notice"


class Refusal(TextChoices):
    NOT_A_SPOT_CHECK = "not_spot", _("Only a spot check has a random draw.")
    ALREADY_DRAWN = "drawn", _("This spot check was drawn already; the draw is final.")
    TOO_FEW_INSPECTORS = (
        "few_inspectors",
        _("Too few inspectors left in the pool after recusal; add inspectors to the plan."),
    )
    NOT_STARTED = "not_started", _("The check has not started yet.")
    NOT_IN_DRAW = "not_drawn", _("This unit was not drawn for the check.")
    WRONG_STATE = "wrong_state", _("The notice is not at that step any more.")
    NOT_YOURS = "not_yours", _("This notice is not your unit's.")
    OWN_WORK = "own_work", _("Someone other than the person who reported the work must verify it.")
    DATE_NEEDED = "date", _("Give a new date after the current deadline.")
    TEXT_NEEDED = "text", _("Write what was done or why.")
    ITEM_PASSED = "passed", _("That checklist item passed; only a failed item becomes a finding.")


@dataclass
class Outcome:
    value: object = None
    refusal: str = ""

    @property
    def ok(self) -> bool:
        return not self.refusal

    @property
    def refusal_label(self) -> str:
        return str(Refusal(self.refusal).label) if self.refusal else ""


# --- Plans and the spot-check draw --------------------------------------------------------


def create_plan(
    *,
    actor,
    school: OrgUnit,
    kind: str,
    title: str,
    scope: list[OrgUnit],
    checklist: list[str],
    pool: list,
    starts_at: datetime,
    client_ip: str | None = None,
) -> InspectionPlan:
    with transaction.atomic():
        plan = InspectionPlan.objects.create(
            school=school,
            kind=kind,
            title=title,
            checklist=[line for line in checklist if line.strip()],
            starts_at=starts_at,
            created_by=actor,
            created_at=timezone.now(),
        )
        plan.scope.set(scope)
        plan.pool.set(pool)
        log_action(
            action="supervision.plan.created",
            actor=actor,
            client_ip=client_ip,
            data={"plan": plan.pk, "kind": kind, "units": sorted(u.pk for u in scope)},
        )
    return plan


def draw_inputs(plan: InspectionPlan) -> dict:
    """The draw's inputs, as recorded: units (id, path) and pool (user id, home path)."""
    homes = dict(
        Person.objects.filter(user__in=plan.pool.all()).values_list("user_id", "org_unit__path")
    )
    return {
        "units": [(u.pk, u.path) for u in plan.scope.all()],
        "pool": [
            (user_id, homes.get(user_id)) for user_id in plan.pool.values_list("pk", flat=True)
        ],
    }


def make_draw(
    *,
    actor,
    plan: InspectionPlan,
    units_count: int,
    inspectors_count: int | None = None,
    seed: str | None = None,
    client_ip: str | None = None,
) -> Outcome:
    """Draw the units and inspectors of a spot check and record seed and result in the
    audit log (R7.3). Final: a second draw is refused."""
    if plan.kind != PlanKind.SPOT:
        return Outcome(refusal=Refusal.NOT_A_SPOT_CHECK)
    inspectors_count = max(
        inspectors_count or 0, get_setting("supervision_min_inspectors", plan.school)
    )
    seed = seed or secrets.token_hex(16)
    inputs = draw_inputs(plan)
    result = draw_from(
        seed=seed, units_count=units_count, inspectors_count=inspectors_count, **inputs
    )
    if result is None:
        return Outcome(refusal=Refusal.TOO_FEW_INSPECTORS)
    with transaction.atomic():
        if SpotDraw.objects.select_for_update().filter(plan=plan).exists():
            return Outcome(refusal=Refusal.ALREADY_DRAWN)
        draw = SpotDraw.objects.create(
            plan=plan,
            seed=seed,
            units_count=units_count,
            inspectors_count=inspectors_count,
            units=result.units,
            inspectors=result.inspectors,
            recused=result.recused,
            drawn_by=actor,
            drawn_at=timezone.now(),
        )
        log_action(
            action="supervision.draw.made",
            actor=actor,
            client_ip=client_ip,
            data={
                "plan": plan.pk,
                "seed": seed,
                "units_count": units_count,
                "inspectors_count": inspectors_count,
                "inputs": inputs,
                "units": result.units,
                "inspectors": result.inspectors,
                "recused": result.recused,
            },
        )
    return Outcome(draw)


# --- Headcount on site -------------------------------------------------------------------


def records_for(*, unit: OrgUnit, day: date, period: str) -> list[str]:
    """Numbers of the people of `unit` the records show checked in for the window."""
    from campuscode.checkins.models import Checkin

    return sorted(
        set(
            Checkin.objects.filter(
                person__org_unit__path__startswith=unit.path, day=day, period=period
            ).values_list("person__number", flat=True)
        )
    )


def record_headcount(
    *,
    actor,
    plan: InspectionPlan,
    unit: OrgUnit,
    day: date,
    period: str,
    counted: int,
    present: list[str],
    now: datetime | None = None,
    client_ip: str | None = None,
) -> Outcome:
    """Compare the inspector's count (and roll call, if given) with the records; a
    difference becomes a finding with the comparison frozen as evidence. The people not
    found present are named only in that evidence, which only the group reads."""
    now = now or timezone.now()
    draw = SpotDraw.objects.filter(plan=plan).first()
    if plan.kind == PlanKind.SPOT:
        if draw is None or unit.pk not in draw.units:
            return Outcome(refusal=Refusal.NOT_IN_DRAW)
        if now < plan.starts_at:
            return Outcome(refusal=Refusal.NOT_STARTED)
    checked_in = records_for(unit=unit, day=day, period=period)
    present_set = {number.strip() for number in present if number.strip()}
    not_present = [n for n in checked_in if n not in present_set] if present_set else []
    with transaction.atomic():
        headcount = Headcount.objects.create(
            plan=plan,
            unit=unit,
            day=day,
            period=period,
            recorded=len(checked_in),
            counted=counted,
            not_present=not_present,
            entered_by=actor,
            entered_at=now,
        )
        log_action(
            action="supervision.headcount.recorded",
            actor=actor,
            client_ip=client_ip,
            data={
                "plan": plan.pk,
                "unit": unit.pk,
                "recorded": len(checked_in),
                "counted": counted,
            },
        )
        if headcount.recorded > counted or not_present:
            finding = record_finding(
                actor=actor,
                school=plan.school,
                plan=plan,
                unit=unit,
                severity=Severity.MAJOR,
                criterion=str(_("Check-in records match who is present")),
                description=str(
                    _("Records say %(recorded)s checked in; %(counted)s present on site.")
                    % {"recorded": headcount.recorded, "counted": counted}
                ),
                applies_on=day,
                client_ip=client_ip,
            )
            freeze(
                actor=actor,
                applies_on=day,
                record_type="supervision.headcount",
                record_id=str(headcount.pk),
                snapshot={
                    "unit": unit.name,
                    "day": day.isoformat(),
                    "period": period,
                    "recorded": headcount.recorded,
                    "counted": counted,
                    "checked_in": checked_in,
                    "not_present": not_present,
                },
                owner=finding,
                label=str(_("Headcount against the check-in records")),
                client_ip=client_ip,
            )
            # Append-only row: link the finding without rewriting the count.
            Headcount.objects.filter(pk=headcount.pk).update(finding=finding)
            headcount.finding = finding
    return Outcome(headcount)


# --- Findings and notices ----------------------------------------------------------------


def record_finding(
    *,
    actor,
    school: OrgUnit,
    unit: OrgUnit,
    severity: str,
    criterion: str,
    description: str,
    applies_on: date,
    plan: InspectionPlan | None = None,
    responsible=None,
    client_ip: str | None = None,
) -> Finding:
    finding = Finding.objects.create(
        school=school,
        plan=plan,
        unit=unit,
        responsible=responsible,
        severity=severity,
        criterion=criterion[:200],
        description=description,
        applies_on=applies_on,
        created_by=actor,
        created_at=timezone.now(),
    )
    log_action(
        action="supervision.finding.recorded",
        actor=actor,
        client_ip=client_ip,
        data={"finding": finding.pk, "unit": unit.pk, "severity": severity},
    )
    return finding


def deadline_for(*, severity: str, school, now: datetime) -> datetime:
    """End of the working day (17:00) the severity's number of days from now (R7.5)."""
    days = get_setting(f"supervision_deadline_{severity}_days", school)
    day = timezone.localdate(now) + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(17, 0)))


def issue_notice(
    *, actor, finding: Finding, now: datetime | None = None, client_ip: str | None = None
) -> Notice:
    """Number the notice (校督整〔2026〕N号) and set its deadline by severity."""
    now = now or timezone.now()
    with transaction.atomic():
        existing = Notice.objects.filter(finding=finding).first()
        if existing:
            return existing
        notice = Notice.objects.create(
            finding=finding,
            unit=finding.unit,
            number="",
            deadline=deadline_for(severity=finding.severity, school=finding.school, now=now),
            issued_by=actor,
            issued_at=now,
        )
        number = next_number(
            school=finding.school, kind=NOTICE_KIND, ref=key_of(notice), actor=actor, now=now
        )
        Notice.objects.filter(pk=notice.pk).update(number=number.number)
        notice.number = number.number
        NoticeEvent.objects.create(notice=notice, kind=EventKind.ISSUED, at=now, actor=actor)
        log_action(
            action="supervision.notice.issued",
            actor=actor,
            client_ip=client_ip,
            data={"notice": notice.pk, "number": notice.number, "finding": finding.pk},
        )
    return notice


# Which step may be taken from which state, and by whom: the department (RECTIFY over the
# notice's unit) or the group (INSPECT).
STEPS = {
    EventKind.ACKNOWLEDGED: ({NoticeState.ISSUED}, Cap.RECTIFY),
    EventKind.REPORTED: ({NoticeState.ACKNOWLEDGED, NoticeState.REOPENED}, Cap.RECTIFY),
    EventKind.EXTENSION_REQUESTED: (
        {NoticeState.ISSUED, NoticeState.ACKNOWLEDGED, NoticeState.REOPENED},
        Cap.RECTIFY,
    ),
    EventKind.EXTENSION_GRANTED: ({NoticeState.EXTENSION_REQUESTED}, Cap.INSPECT),
    EventKind.EXTENSION_REFUSED: ({NoticeState.EXTENSION_REQUESTED}, Cap.INSPECT),
    EventKind.CLOSED: ({NoticeState.SUBMITTED}, Cap.INSPECT),
    EventKind.REOPENED: ({NoticeState.SUBMITTED}, Cap.INSPECT),
}
AFTER = {
    EventKind.ACKNOWLEDGED: NoticeState.ACKNOWLEDGED,
    EventKind.REPORTED: NoticeState.SUBMITTED,
    EventKind.EXTENSION_REQUESTED: NoticeState.EXTENSION_REQUESTED,
    EventKind.EXTENSION_GRANTED: NoticeState.ACKNOWLEDGED,
    EventKind.EXTENSION_REFUSED: NoticeState.ACKNOWLEDGED,
    EventKind.CLOSED: NoticeState.CLOSED,
    EventKind.REOPENED: NoticeState.REOPENED,
}
NEEDS_TEXT = {
    EventKind.REPORTED,
    EventKind.EXTENSION_REQUESTED,
    EventKind.EXTENSION_REFUSED,
    EventKind.REOPENED,
}


def may_take(user, notice: Notice, step: str) -> bool:
    states, cap = STEPS[step]
    return notice.state in states and covers_unit(user, cap, notice.unit)


def take_step(
    *,
    actor,
    notice: Notice,
    step: str,
    text: str = "",
    until: date | None = None,
    now: datetime | None = None,
    client_ip: str | None = None,
) -> Outcome:
    """One step of the notice's workflow (R7.5), recorded as an append-only event."""
    now = now or timezone.now()
    text = text.strip()
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        states, cap = STEPS[step]
        if not covers_unit(actor, cap, notice.unit):
            return Outcome(notice, Refusal.NOT_YOURS)
        if notice.state not in states:
            return Outcome(notice, Refusal.WRONG_STATE)
        if step in NEEDS_TEXT and not text:
            return Outcome(notice, Refusal.TEXT_NEEDED)
        if step == EventKind.EXTENSION_REQUESTED and (
            until is None or until <= timezone.localdate(notice.deadline)
        ):
            return Outcome(notice, Refusal.DATE_NEEDED)
        if step in (EventKind.CLOSED, EventKind.REOPENED) and notice.remediator_id == actor.pk:
            return Outcome(notice, Refusal.OWN_WORK)
        changes = {"state": AFTER[step]}
        if step == EventKind.REPORTED:
            changes["remediator"] = actor
        if step == EventKind.CLOSED:
            changes["closed_at"] = now
        if step == EventKind.EXTENSION_GRANTED:
            requested = notice.events.filter(kind=EventKind.EXTENSION_REQUESTED).last()
            changes["deadline"] = timezone.make_aware(datetime.combine(requested.until, time(17)))
        for field, value in changes.items():
            setattr(notice, field, value)
        notice.save(update_fields=list(changes))
        NoticeEvent.objects.create(
            notice=notice, kind=step, at=now, actor=actor, text=text, until=until
        )
        log_action(
            action="supervision.notice.step",
            actor=actor,
            client_ip=client_ip,
            data={"notice": notice.pk, "step": step, "state": notice.state},
        )
    return Outcome(notice)


# --- Periodic data checks → findings (R7.2) --------------------------------------------------

CHECK_CRITERIA = {
    "rate": _("Check-in completeness"),
    "duplicates": _("Duplicate check-ins"),
    "flag_rate": _("Check-ins with honesty flags"),
    "manual_rate": _("Manually registered check-ins"),
    "overdue": _("Approvals overdue"),
    "silent": _("Check-in device silent"),
    "tamper": _("Check-in device tampering alerts"),
    "silent_hours": _("Check-in device not heard from"),
}


def finding_from_check(
    *,
    actor,
    school: OrgUnit,
    unit: OrgUnit,
    metric: str,
    row,
    first: date,
    last: date,
    plan: InspectionPlan | None = None,
    client_ip: str | None = None,
) -> Finding:
    """A computed check's row (recomputed by the caller, never from the browser) becomes a
    finding; the whole row is frozen as its evidence, applying to the period's last day."""
    from campuscode.supervision.checks import as_snapshot

    snapshot = as_snapshot(row, first, last)
    with transaction.atomic():
        finding = record_finding(
            actor=actor,
            school=school,
            plan=plan,
            unit=unit,
            severity=Severity.MINOR,
            criterion=str(CHECK_CRITERIA[metric]),
            description=str(
                _("%(unit)s, %(first)s to %(last)s: %(what)s = %(value)s (computed by the system).")
                % {
                    "unit": getattr(row, "unit", None) or row.name,
                    "first": first.isoformat(),
                    "last": last.isoformat(),
                    "what": CHECK_CRITERIA[metric],
                    "value": snapshot[metric],
                }
            ),
            applies_on=last,
            client_ip=client_ip,
        )
        freeze(
            actor=actor,
            applies_on=last,
            record_type="supervision.datacheck",
            record_id=f"{getattr(row, 'unit_id', None) or row.key}:{metric}",
            snapshot=snapshot,
            owner=finding,
            label=str(_("Data check computed by the system")),
            client_ip=client_ip,
        )
    return finding


# --- On-site point inspections (R7.4) -----------------------------------------------------


def record_point_inspection(
    *,
    actor,
    plan: InspectionPlan,
    point=None,
    gate=None,
    answers: list[dict],
    photos: list = (),
    now: datetime | None = None,
    client_ip: str | None = None,
):
    """The checklist answered at one point or gate, with its photos (type-checked and
    stored under a random name, as follow-up attachments are)."""
    from campuscode.followup.attachments import stored_file
    from campuscode.supervision.models import InspectionPhoto, PointInspection

    now = now or timezone.now()
    unit = point.campus if point else gate.place.campus
    with transaction.atomic():
        inspection = PointInspection.objects.create(
            plan=plan,
            point=point,
            gate=gate,
            unit=unit,
            answers=answers,
            entered_by=actor,
            entered_at=now,
        )
        for upload in photos:
            InspectionPhoto.objects.create(
                inspection=inspection, file=stored_file(upload), added_at=now
            )
        log_action(
            action="supervision.point.inspected",
            actor=actor,
            client_ip=client_ip,
            data={
                "plan": plan.pk,
                "inspection": inspection.pk,
                "failed": [a["item"] for a in answers if not a["ok"]],
                "photos": len(photos),
            },
        )
    return inspection


def finding_from_inspection(
    *, actor, inspection, item: int, client_ip: str | None = None
) -> Outcome:
    """A failed checklist item becomes a finding, the inspection frozen as evidence."""
    if item >= len(inspection.answers) or inspection.answers[item].get("ok"):
        return Outcome(refusal=Refusal.ITEM_PASSED)
    answer = inspection.answers[item]
    day = timezone.localdate(inspection.entered_at)
    with transaction.atomic():
        finding = record_finding(
            actor=actor,
            school=inspection.plan.school,
            plan=inspection.plan,
            unit=inspection.unit,
            severity=Severity.MINOR,
            criterion=answer["item"],
            description=f"{inspection.place}：{answer['item']} — {answer.get('note') or '—'}",
            applies_on=day,
            client_ip=client_ip,
        )
        freeze(
            actor=actor,
            applies_on=day,
            record_type="supervision.pointinspection",
            record_id=f"{inspection.pk}:{item}",
            snapshot={
                "place": inspection.place,
                "answers": inspection.answers,
                "photos": [p.file.name for p in inspection.photos.all()],
                "entered_at": inspection.entered_at.isoformat(),
            },
            owner=finding,
            label=str(_("On-site checklist")),
            client_ip=client_ip,
        )
    return Outcome(finding)
