"""Writes of anomaly cases: opening them from the detectors' hits, and the steps a person
takes (assign → verify with a reason → handle with an action → close). Each step is
appended to the case's events and to the audit log. A case never creates a violation."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscode.anomalies.detectors import DETECTORS, Hit
from campuscode.anomalies.models import (
    AnomalyCase,
    AnomalyEvent,
    AnomalyKind,
    AnomalyState,
    HandledAction,
    VerifiedReason,
)
from campuscode.audit.services import log_action
from campuscode.core.rules import get_setting
from campuscode.notify.models import Kind
from campuscode.notify.services import notify
from campuscode.people.access import Cap, covers, holders_over
from campuscode.people.models import OrgUnit, Person

# Who verifies and handles a case of each kind: for missed check-ins the class adviser
# (and the department above, who approve the person's reports), for health data the
# health office.
DUTY = {
    AnomalyKind.MISSED_CHECKINS: Cap.APPROVE_REQUESTS,
    AnomalyKind.HEALTH: Cap.MANAGE_HEALTH,
}


class Refusal(TextChoices):
    NOT_YOURS = "not_yours", _("You are not responsible for this case.")
    WRONG_STEP = "wrong_step", _("The case has moved on; please reload the page.")
    REASON_NEEDED = "reason_needed", _("Choose the reason you found.")
    ACTION_NEEDED = "action_needed", _("Choose what was done.")
    CLOSED = "closed", _("The case is closed.")


@dataclass(frozen=True)
class Outcome:
    case: AnomalyCase | None = None
    refusal: str | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def refusal_label(self) -> str:
        return str(Refusal(self.refusal).label) if self.refusal else ""


@dataclass
class RunResult:
    opened: list[AnomalyCase] = field(default_factory=list)
    extended: int = 0
    hits: int = 0


def run_detectors(*, now: datetime | None = None) -> RunResult:
    """Run every detector for every school; idempotent: a hit whose days a case already
    covers extends that case (while open) and opens nothing."""
    now = now or timezone.now()
    result = RunResult()
    for school_id in OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL).values_list("pk", flat=True):
        for detector in DETECTORS:
            for hit in detector(school_id=school_id, now=now):
                result.hits += 1
                case, extended = open_or_extend(hit=hit, now=now)
                if case is not None:
                    result.opened.append(case)
                result.extended += extended
    return result


def _evidence_after(hit: Hit, day) -> Hit | None:
    """The part of a hit after `day` (what a closed case did not cover), or None."""
    days = [d for d in hit.days if d > day]
    if not days:
        return None
    detail = dict(hit.detail)
    if "days" in detail:
        detail["days"] = [d.isoformat() for d in days]
    if "checkins" in detail:
        detail["checkins"] = [e for e in detail["checkins"] if e["day"] > day.isoformat()]
    return Hit(hit.person_id, hit.kind, days, detail)


def open_or_extend(*, hit: Hit, now: datetime) -> tuple[AnomalyCase | None, bool]:
    """Open a case for the hit, unless a case of the kind already covers some of its days:
    an open one then takes the new evidence; after a closed one, only days after it count
    (and a missed-days run must again be long enough)."""
    person = Person.objects.select_related("org_unit").get(pk=hit.person_id)
    with transaction.atomic():
        # Two runs at once (the beat task and the command) decide one after the other.
        list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk"))
        overlapping = (
            AnomalyCase.objects.filter(person=person, kind=hit.kind, first_day__lte=hit.last_day)
            .filter(last_day__gte=hit.first_day)
            .order_by("-last_day")
            .first()
        )
        if overlapping is None and hit.kind == AnomalyKind.HEALTH:
            overlapping = AnomalyCase.objects.filter(person=person, kind=hit.kind).open().first()
        if overlapping is not None and overlapping.is_open:
            return None, _extend(overlapping, hit)
        if overlapping is not None:
            hit = _evidence_after(hit, overlapping.last_day)
            if hit is None:
                return None, False
            if hit.kind == AnomalyKind.MISSED_CHECKINS and len(hit.days) < get_setting(
                "anomaly_missed_days", person.school_id
            ):
                return None, False
        try:
            with transaction.atomic():
                case = AnomalyCase.objects.create(
                    person=person,
                    kind=hit.kind,
                    first_day=hit.first_day,
                    last_day=hit.last_day,
                    detail=hit.detail,
                    opened_at=now,
                    deadline=now
                    + timedelta(days=get_setting("anomaly_deadline_days", person.school_id)),
                )
        except IntegrityError:
            return None, False
        AnomalyEvent.objects.create(case=case, at=now, state=AnomalyState.DETECTED)
        staff = [u for u in holders_over(person, DUTY[hit.kind]) if u.pk != person.user_id]
        if staff:
            case.assigned_to.set(staff)
            case.state = AnomalyState.ASSIGNED
            case.save(update_fields=["state"])
            AnomalyEvent.objects.create(case=case, at=now, state=AnomalyState.ASSIGNED)
        for account in staff:
            notify(
                user=account,
                kind=Kind.ANOMALY_OPENED,
                data={"case": case.pk, "name": person.name, "kind": hit.kind},
                url=f"/anomalies/{case.pk}/",
                now=now,
            )
    log_action(
        action="anomalies.case.opened",
        subject=person,
        data={"case": case.pk, "kind": hit.kind, "first_day": hit.first_day.isoformat()},
    )
    return case, False


def _extend(case: AnomalyCase, hit: Hit) -> bool:
    """Add a hit's new evidence to an open case; whether anything was new."""
    detail = dict(case.detail)
    changed = False
    if "days" in hit.detail:
        days = sorted(set(detail.get("days", [])) | set(hit.detail["days"]))
        changed = days != detail.get("days")
        detail["days"] = days
    if "checkins" in hit.detail:
        known = {e["checkin"] for e in detail.get("checkins", [])}
        new = [e for e in hit.detail["checkins"] if e["checkin"] not in known]
        changed = changed or bool(new)
        detail["checkins"] = [*detail.get("checkins", []), *new]
    if not changed and hit.last_day <= case.last_day:
        return False
    case.detail = detail
    case.last_day = max(case.last_day, hit.last_day)
    case.first_day = min(case.first_day, hit.first_day)
    try:
        with transaction.atomic():
            case.save(update_fields=["detail", "last_day", "first_day"])
    except IntegrityError:  # another case starts on that day: keep this one's start
        case.refresh_from_db()
        return False
    return True


def may_act(user, case: AnomalyCase) -> bool:
    """The assignees, and whoever holds the case kind's duty over the person."""
    if user.pk == case.person.user_id:
        return False
    return case.assigned_to.filter(pk=user.pk).exists() or covers(
        user, DUTY[case.kind], case.person
    )


def advance(
    *,
    case: AnomalyCase,
    actor,
    to_state: str,
    reason: str = "",
    action: str = "",
    note: str = "",
    client_ip: str | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Take the case's next step. Verifying needs the reason found, handling the action
    taken; a stale form (the case moved on) is refused, nothing changes."""
    now = now or timezone.now()
    with transaction.atomic():
        case = AnomalyCase.objects.select_for_update().select_related("person").get(pk=case.pk)
        if not may_act(actor, case):
            return Outcome(case, Refusal.NOT_YOURS)
        if not case.is_open:
            return Outcome(case, Refusal.CLOSED)
        if to_state != case.next_state:
            return Outcome(case, Refusal.WRONG_STEP)
        if to_state == AnomalyState.VERIFIED and reason not in VerifiedReason.values:
            return Outcome(case, Refusal.REASON_NEEDED)
        if to_state == AnomalyState.HANDLED and action not in HandledAction.values:
            return Outcome(case, Refusal.ACTION_NEEDED)
        case.state = to_state
        fields = ["state"]
        if to_state == AnomalyState.ASSIGNED:
            case.assigned_to.add(actor)
        if to_state == AnomalyState.CLOSED:
            case.closed_at = now
            fields.append("closed_at")
        case.save(update_fields=fields)
        AnomalyEvent.objects.create(
            case=case,
            at=now,
            actor=actor,
            state=to_state,
            reason=reason if to_state == AnomalyState.VERIFIED else "",
            action=action if to_state == AnomalyState.HANDLED else "",
            note=note[:500],
        )
        log_action(
            action="anomalies.case.changed",
            actor=actor,
            client_ip=client_ip,
            subject=case.person,
            data={"case": case.pk, "state": to_state, "reason": reason, "action": action},
        )
    return Outcome(case)
