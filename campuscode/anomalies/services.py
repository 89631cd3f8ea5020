"""Writes of anomaly cases: opening them from the detectors' hits, and the steps a person
takes (assign → verify with a reason → handle with an action → close). Each step is
appended to the case's events and to the audit log. A case never creates a violation."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscode.anomalies import registry
from campuscode.anomalies.detectors import Hit
from campuscode.anomalies.models import (
    AnomalyCase,
    AnomalyEvent,
    AnomalyReminder,
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


def duty_of(kind: str) -> str:
    """Who verifies and handles a case of `kind` (its detector's duty, registry.py); a
    kind whose detector is gone falls to the health office, who sees every case."""
    detector = registry.get(kind)
    return detector.duty if detector else Cap.MANAGE_HEALTH


class Refusal(TextChoices):
    NOT_YOURS = "not_yours", _("You are not responsible for this case.")
    WRONG_STEP = "wrong_step", _("The case has moved on; please reload the page.")
    REASON_NEEDED = "reason_needed", _("Choose the reason you found.")
    ACTION_NEEDED = "action_needed", _("Choose what was done.")
    CLOSED = "closed", _("The case is closed.")
    NOTE_NEEDED = "note_needed", _("Write down what you found or to whom you referred.")


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
        for detector in registry.detectors():
            for hit in detector.detect(school_id=school_id, now=now):
                result.hits += 1
                case, extended = open_or_extend(hit=hit, now=now)
                if case is not None:
                    result.opened.append(case)
                result.extended += extended
    return result


def evidence_after(hit: Hit, day) -> Hit | None:
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
    detector = registry.get(hit.kind)
    with transaction.atomic():
        # Two runs at once (the beat task and the command) decide one after the other.
        list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk"))
        overlapping = (
            AnomalyCase.objects.filter(person=person, kind=hit.kind, first_day__lte=hit.last_day)
            .filter(last_day__gte=hit.first_day)
            .order_by("-last_day")
            .first()
        )
        if overlapping is None and (detector is None or detector.one_open):
            overlapping = AnomalyCase.objects.filter(person=person, kind=hit.kind).open().first()
        if overlapping is not None and overlapping.is_open:
            return None, _extend(overlapping, hit, detector)
        if overlapping is not None:
            after = detector.after_closed if detector else registry.trim_after_closed
            hit = after(hit, overlapping, person.school_id)
            if hit is None:
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
        staff = [u for u in holders_over(person, duty_of(hit.kind)) if u.pk != person.user_id]
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


def _extend(case: AnomalyCase, hit: Hit, detector: "registry.Detector | None") -> bool:
    """Add a hit's new evidence to an open case; whether anything was new."""
    if detector is not None and detector.merge is not None:
        detail = detector.merge(dict(case.detail), hit.detail)
        changed = detail != case.detail
        return _save_extended(case, hit, detail, changed)
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
    return _save_extended(case, hit, detail, changed)


def _save_extended(case: AnomalyCase, hit: Hit, detail: dict, changed: bool) -> bool:
    if not changed and hit.last_day <= case.last_day and hit.first_day >= case.first_day:
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
        user, duty_of(case.kind), case.person
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
        needs_note = (to_state == AnomalyState.VERIFIED and reason == VerifiedReason.OTHER) or (
            to_state == AnomalyState.HANDLED and action == HandledAction.REFERRAL
        )
        if needs_note and not note.strip():
            return Outcome(case, Refusal.NOTE_NEEDED)
        followup_case = None
        if to_state == AnomalyState.HANDLED and action == HandledAction.FOLLOWUP:
            followup_case = _open_followup(case, actor=actor, now=now)
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
            followup_case=followup_case,
        )
        log_action(
            action="anomalies.case.changed",
            actor=actor,
            client_ip=client_ip,
            subject=case.person,
            data={
                "case": case.pk,
                "state": to_state,
                "reason": reason,
                "action": action,
                **({"followup_case": followup_case.pk} if followup_case else {}),
            },
        )
    return Outcome(case)


def _open_followup(case: AnomalyCase, *, actor, now: datetime):
    """Hand the person to the health office's follow-up (R5.3): a new follow-up case, or
    the one already open for them (followup keeps one open case per person)."""
    from campuscode.followup.cases import OPEN_STATES, open_case
    from campuscode.followup.models import FollowupCase

    opened = open_case(
        person=case.person,
        trigger=FollowupCase.Trigger.MANUAL,
        detail={"anomaly_case": case.pk, "kind": case.kind},
        user=actor,
        now=now,
    )
    return opened or (
        FollowupCase.objects.filter(person=case.person, state__in=OPEN_STATES)
        .order_by("-opened_at")
        .first()
    )


def remind(*, now: datetime | None = None) -> int:
    """Remind the people a case is assigned to (or, with nobody assigned, those holding
    its duty over the person) once a day from `anomaly_remind_hours` before its deadline
    until it is closed; the number of reminders sent. Safe to re-run."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    cases = (
        AnomalyCase.objects.open()
        .select_related("person", "person__org_unit")
        .exclude(reminders__day=today)
        .order_by("deadline", "pk")
    )
    for case in cases:
        ahead = timedelta(hours=get_setting("anomaly_remind_hours", case.person.school_id))
        if case.deadline - ahead > now:
            continue
        with transaction.atomic():
            _reminder, created = AnomalyReminder.objects.get_or_create(
                case=case, day=today, defaults={"sent_at": now, "overdue": case.overdue(now)}
            )
            if not created:
                continue
            staff = list(case.assigned_to.filter(is_active=True)) or [
                u
                for u in holders_over(case.person, duty_of(case.kind))
                if u.pk != case.person.user_id
            ]
            for account in staff:
                notify(
                    user=account,
                    kind=Kind.ANOMALY_REMINDER,
                    data={
                        "case": case.pk,
                        "name": case.person.name,
                        "kind": case.kind,
                        "overdue": case.overdue(now),
                        "deadline": timezone.localtime(case.deadline).strftime("%Y-%m-%d %H:%M"),
                    },
                    url=f"/anomalies/{case.pk}/",
                    now=now,
                )
                sent += 1
    return sent
