"""Writes of violation cases (R8): each step of due process, by a person, appended to the
case's events and to the audit log. Deadlines are school settings; the daily run
(`run_daily`, beat + `campuscode lift-sanctions`) makes unappealed decisions final,
lifts sanctions whose term is over (解除) and retires closed cases past retention."""

from dataclasses import dataclass, field
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscode.audit.services import log_action
from campuscode.casework.documents import next_number
from campuscode.casework.evidence import freeze
from campuscode.core.rules import get_setting
from campuscode.notify.models import Kind
from campuscode.notify.services import notify
from campuscode.people.access import Cap, covers, holders_over
from campuscode.violations import ladder
from campuscode.violations.deadlines import add_working_days, days_later
from campuscode.violations.models import (
    LADDER,
    TERM_SETTING,
    CaseEvent,
    Decision,
    EventKind,
    Outcome,
    Person,
    State,
    Step,
    ViolationCase,
    ViolationType,
)
from campuscode.violations.sources import Found

DECISION_DOC = "violations.decision"
REVIEW_DOC = "violations.review"


class Refusal(TextChoices):
    NOT_YOURS = "not_yours", _("You may not take this step in this case.")
    WRONG_STEP = "wrong_step", _("The case has moved on; please reload the page.")
    NO_EVIDENCE = "no_evidence", _("A case needs evidence: nothing was found to freeze.")
    FACTS_NEEDED = "facts_needed", _("Describe the facts.")
    TYPE_NEEDED = "type_needed", _("Choose the type of violation.")
    WINDOW_OPEN = (
        "window_open",
        _("The person may still give a statement; decide after they have or after the deadline."),
    )
    WINDOW_CLOSED = "window_closed", _("The deadline for this has passed.")
    TEXT_NEEDED = "text_needed", _("Write your statement or self-review, or give up the statement.")
    REASONS_NEEDED = "reasons_needed", _("Give the reasons for the decision.")
    DEVIATION_REASON = (
        "deviation_reason",
        _("The step differs from the proposal: record why you depart from it."),
    )
    FINE_OFF = "fine_off", _("The school's rules do not allow fines for this person.")
    FINE_AMOUNT = "fine_amount", _("Enter the amount of the fine in yuan.")
    OWN_DECISION = "own_decision", _("Whoever made the decision may not review it.")
    EXTENDED = "extended", _("The review has already been extended once.")
    OUTCOME_NEEDED = "outcome_needed", _("Choose the outcome of the review.")


@dataclass(frozen=True)
class Result:
    case: ViolationCase | None = None
    refusal: str | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def refusal_label(self) -> str:
        return str(Refusal(self.refusal).label) if self.refusal else ""


def _event(case, kind, *, actor, now, text="", data=None) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, kind=kind, at=now, actor=actor, text=text, data=data or {}
    )


def _audit(case, action, *, actor, client_ip, data=None) -> None:
    log_action(
        action=action,
        actor=actor,
        client_ip=client_ip,
        subject=case.person,
        data={"case": case.pk, **(data or {})},
    )


def _locked(case) -> ViolationCase:
    return (
        ViolationCase.objects.select_for_update()
        .select_related("person__org_unit", "school")
        .get(pk=case.pk)
    )


# --- Opening a case ---------------------------------------------------------------------


def open_case(
    *,
    actor,
    found: Found | None,
    vtype: str,
    facts: str,
    client_ip: str | None = None,
    now: datetime | None = None,
) -> Result:
    """Open a case from evidence: the records are frozen (copy + SHA-256 + the day they
    apply to) with the reporter's account of the facts, and the deciding office is told."""
    now = now or timezone.now()
    if found is None or found.person is None:
        return Result(refusal=Refusal.NO_EVIDENCE)
    if vtype not in ViolationType.values:
        return Result(refusal=Refusal.TYPE_NEEDED)
    facts = (facts or "").strip()
    if not facts:
        return Result(refusal=Refusal.FACTS_NEEDED)
    person = found.person
    with transaction.atomic():
        case = ViolationCase.objects.create(
            school_id=person.school_id,
            person=person,
            unit=person.org_unit,
            vtype=vtype,
            source=found.source,
            source_ref=found.ref,
            facts=facts[:2000],
            opened_by=actor,
            opened_at=now,
        )
        for record, label, applies_on in found.records:
            freeze(
                actor=actor,
                applies_on=applies_on,
                record=record,
                owner=case.owner_ref,
                label=str(label),
                client_ip=client_ip,
                subject=person,
            )
        # The reporter's account is evidence too, frozen like the records.
        freeze(
            actor=actor,
            applies_on=timezone.localdate(now),
            record_type="violations.report",
            record_id=str(case.pk),
            snapshot={"facts": case.facts, "summary": found.summary, "source": found.ref},
            owner=case.owner_ref,
            label=str(_("Account of the person reporting")),
            client_ip=client_ip,
            subject=person,
        )
        _event(case, EventKind.OPENED, actor=actor, now=now, text=case.facts)
        _audit(
            case,
            "violations.case.opened",
            actor=actor,
            client_ip=client_ip,
            data={"type": vtype, "source": found.source, "ref": found.ref},
        )
        for account in holders_over(person, Cap.DECIDE_VIOLATIONS):
            if account.pk != person.user_id:
                notify(
                    user=account,
                    kind=Kind.VIOLATION_OPENED,
                    data={"case": case.pk, "name": person.name, "type": vtype},
                    url=f"/violations/{case.pk}/",
                    now=now,
                )
    return Result(case)


# --- Due process ------------------------------------------------------------------------


def may_decide(user, case: ViolationCase) -> bool:
    return covers(user, Cap.DECIDE_VIOLATIONS, case.person)


def may_review(user, case: ViolationCase) -> bool:
    return covers(user, Cap.REVIEW_APPEALS, case.person)


def is_the_person(user, case: ViolationCase) -> bool:
    return user.is_authenticated and case.person.user_id == user.pk


def send_notice(
    *, case: ViolationCase, actor, client_ip: str | None = None, now: datetime | None = None
) -> Result:
    """告知: tell the person the facts and their rights; the statement window opens."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        if not may_decide(actor, case):
            return Result(case, Refusal.NOT_YOURS)
        if case.state != State.OPEN:
            return Result(case, Refusal.WRONG_STEP)
        days = get_setting("violation_statement_days", case.school_id)
        case.state, case.notified_at = State.NOTIFIED, now
        case.statement_due = days_later(now, days)
        case.save(update_fields=["state", "notified_at", "statement_due"])
        _event(
            case,
            EventKind.NOTIFIED,
            actor=actor,
            now=now,
            data={"statement_due": case.statement_due.isoformat()},
        )
        _audit(case, "violations.case.notified", actor=actor, client_ip=client_ip)
        notify(
            person=case.person,
            kind=Kind.VIOLATION_NOTICE,
            data={
                "case": case.pk,
                "due": timezone.localtime(case.statement_due).date().isoformat(),
            },
            url=f"/violations/{case.pk}/",
            now=now,
        )
    return Result(case)


def has_answered(case: ViolationCase) -> bool:
    return case.events.filter(
        kind__in=[EventKind.STATEMENT, EventKind.SELF_REVIEW, EventKind.WAIVED]
    ).exists()


def give_statement(
    *,
    case: ViolationCase,
    actor,
    statement: str = "",
    self_review: str = "",
    waive: bool = False,
    client_ip: str | None = None,
    now: datetime | None = None,
) -> Result:
    """陈述申辩 and 书面检讨, by the person, within the window; more may follow until
    the deadline. Giving up the statement lets the office decide at once."""
    now = now or timezone.now()
    statement, self_review = (statement or "").strip(), (self_review or "").strip()
    with transaction.atomic():
        case = _locked(case)
        if not is_the_person(actor, case):
            return Result(case, Refusal.NOT_YOURS)
        if case.state != State.NOTIFIED:
            return Result(case, Refusal.WRONG_STEP)
        if now > case.statement_due:
            return Result(case, Refusal.WINDOW_CLOSED)
        if not (statement or self_review or waive):
            return Result(case, Refusal.TEXT_NEEDED)
        if statement:
            _event(case, EventKind.STATEMENT, actor=actor, now=now, text=statement[:4000])
        if self_review:
            _event(case, EventKind.SELF_REVIEW, actor=actor, now=now, text=self_review[:4000])
        if waive and not (statement or self_review):
            _event(case, EventKind.WAIVED, actor=actor, now=now)
        _audit(
            case,
            "violations.statement.given",
            actor=actor,
            client_ip=client_ip,
            data={"statement": bool(statement), "self_review": bool(self_review), "waived": waive},
        )
    return Result(case)


def basis_text(case: ViolationCase) -> str:
    item = ViolationType.values.index(case.vtype) + 1
    return str(
        _("Section 8, item (%(item)s) of the Campus Code Check-in Rules (%(type)s).")
        % {"item": item, "type": case.get_vtype_display()}
    )


def fines_allowed(person: Person) -> bool:
    key = (
        "violation_fines_students"
        if person.kind == Person.Kind.STUDENT
        else "violation_fines_staff"
    )
    return get_setting(key, person.school_id)


def _start_term(case: ViolationCase, step: str, term_months: int | None, now: datetime) -> None:
    if step in TERM_SETTING and term_months:
        case.sanction_from = timezone.localdate(now)
        case.sanction_until = case.sanction_from + relativedelta(months=term_months)
    else:
        case.sanction_from = case.sanction_until = None


def decide(
    *,
    case: ViolationCase,
    actor,
    step: str,
    reasons: str,
    deviation_reason: str = "",
    term_months: int | None = None,
    fine_yuan: int | None = None,
    suspend_on_appeal: bool = True,
    epidemic_referral: bool = False,
    client_ip: str | None = None,
    now: datetime | None = None,
) -> Result:
    """A decision by the deciding office, with reasons, after the person was heard (or
    the window passed). Departing from the ladder's proposal needs a recorded reason; a
    fine needs the school's rule for this kind of person. A numbered decision letter
    follows; the appeal window opens."""
    now = now or timezone.now()
    reasons, deviation_reason = (reasons or "").strip(), (deviation_reason or "").strip()
    with transaction.atomic():
        case = _locked(case)
        if not may_decide(actor, case):
            return Result(case, Refusal.NOT_YOURS)
        if case.state != State.NOTIFIED:
            return Result(case, Refusal.WRONG_STEP)
        if now <= case.statement_due and not has_answered(case):
            return Result(case, Refusal.WINDOW_OPEN)
        if step not in Step.values:
            return Result(case, Refusal.WRONG_STEP)
        if not reasons:
            return Result(case, Refusal.REASONS_NEEDED)
        proposal = ladder.propose(case, now=now)
        if proposal.departs(step) and not deviation_reason:
            return Result(case, Refusal.DEVIATION_REASON)
        if step == Step.FINE:
            if not fines_allowed(case.person):
                return Result(case, Refusal.FINE_OFF)
            if not fine_yuan or fine_yuan <= 0:
                return Result(case, Refusal.FINE_AMOUNT)
        if step in TERM_SETTING:
            term_months = term_months or get_setting(TERM_SETTING[step], case.school_id)
        else:
            term_months = None
        number = (
            ""
            if step == Step.NONE
            else next_number(
                school=case.school, kind=DECISION_DOC, ref=case.owner_ref, actor=actor, now=now
            ).number
        )
        decision = Decision.objects.create(
            case=case,
            step=step,
            proposed_step=proposal.step,
            range_low=proposal.low,
            range_high=proposal.high,
            deviation_reason=deviation_reason if proposal.departs(step) else "",
            reasons=reasons,
            basis=basis_text(case),
            term_months=term_months,
            fine_yuan=fine_yuan if step == Step.FINE else None,
            suspend_on_appeal=suspend_on_appeal,
            epidemic_referral=epidemic_referral,
            number=number,
            decided_by=actor,
            decided_at=now,
        )
        case.step, case.decided_at = step, now
        case.departed = bool(decision.deviation_reason)
        case.epidemic_referral = epidemic_referral
        if step == Step.NONE:
            case.state, case.closed_at = State.CLOSED, now
        else:
            case.state = State.DECIDED
            case.appeal_due = days_later(now, get_setting("violation_appeal_days", case.school_id))
            _start_term(case, step, term_months, now)
        case.save()
        _event(
            case,
            EventKind.DECIDED,
            actor=actor,
            now=now,
            text=reasons,
            data={
                "decision": decision.pk,
                "step": step,
                "proposed": proposal.step,
                "number": number,
                "deviation": decision.deviation_reason,
            },
        )
        _audit(
            case,
            "violations.case.decided",
            actor=actor,
            client_ip=client_ip,
            data={
                "step": step,
                "proposed": proposal.step,
                "deviates": bool(decision.deviation_reason),
                "number": number,
                "referral": epidemic_referral,
            },
        )
        notify(
            person=case.person,
            kind=Kind.VIOLATION_DECIDED,
            data={"case": case.pk, "step": step, "number": number},
            url=f"/violations/{case.pk}/",
            now=now,
        )
    return Result(case)


def appeal(
    *,
    case: ViolationCase,
    actor,
    text: str,
    client_ip: str | None = None,
    now: datetime | None = None,
) -> Result:
    """申诉: by the person, within the appeal window. The committee's review deadline is
    counted in working days; the sanction is suspended if the decision said so."""
    now = now or timezone.now()
    text = (text or "").strip()
    with transaction.atomic():
        case = _locked(case)
        if not is_the_person(actor, case):
            return Result(case, Refusal.NOT_YOURS)
        if case.state != State.DECIDED:
            return Result(case, Refusal.WRONG_STEP)
        if now > case.appeal_due:
            return Result(case, Refusal.WINDOW_CLOSED)
        if not text:
            return Result(case, Refusal.TEXT_NEEDED)
        days = get_setting("violation_review_working_days", case.school_id)
        case.state, case.appealed_at = State.APPEALED, now
        case.review_due = add_working_days(now, days, school_id=case.school_id)
        decision = case.decisions.last()
        suspend = bool(decision and decision.suspend_on_appeal and case.sanction_from)
        case.execution_suspended = suspend
        case.save()
        _event(case, EventKind.APPEALED, actor=actor, now=now, text=text[:4000])
        if suspend:
            _event(case, EventKind.SUSPENDED, actor=None, now=now)
        _audit(case, "violations.case.appealed", actor=actor, client_ip=client_ip)
        for account in holders_over(case.person, Cap.REVIEW_APPEALS):
            if account.pk != case.person.user_id:
                notify(
                    user=account,
                    kind=Kind.VIOLATION_APPEALED,
                    data={"case": case.pk, "name": case.person.name},
                    url=f"/violations/{case.pk}/",
                    now=now,
                )
    return Result(case)


def _first_decider_id(case: ViolationCase) -> int | None:
    first = case.decisions.filter(kind=Decision.Kind.FIRST).first()
    return first.decided_by_id if first else None


def extend_review(
    *,
    case: ViolationCase,
    actor,
    reason: str,
    client_ip: str | None = None,
    now: datetime | None = None,
) -> Result:
    """The committee extends its review once, by working days (a setting), with a reason."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        case = _locked(case)
        if not may_review(actor, case) or actor.pk == _first_decider_id(case):
            return Result(case, Refusal.NOT_YOURS)
        if case.state != State.APPEALED:
            return Result(case, Refusal.WRONG_STEP)
        if case.review_extended:
            return Result(case, Refusal.EXTENDED)
        if not reason:
            return Result(case, Refusal.REASONS_NEEDED)
        days = get_setting("violation_review_extension_working_days", case.school_id)
        case.review_due = add_working_days(case.review_due, days, school_id=case.school_id)
        case.review_extended = True
        case.save(update_fields=["review_due", "review_extended"])
        _event(
            case,
            EventKind.EXTENDED,
            actor=actor,
            now=now,
            text=reason,
            data={"review_due": case.review_due.isoformat()},
        )
        _audit(case, "violations.review.extended", actor=actor, client_ip=client_ip)
    return Result(case)


def review(
    *,
    case: ViolationCase,
    actor,
    outcome: str,
    reasons: str,
    step: str = "",
    client_ip: str | None = None,
    now: datetime | None = None,
) -> Result:
    """The committee's outcome: upheld, changed (to another step) or revoked; a review is
    a new decision row. Execution resumes with the term counted from the review."""
    now = now or timezone.now()
    reasons = (reasons or "").strip()
    with transaction.atomic():
        case = _locked(case)
        if not may_review(actor, case):
            return Result(case, Refusal.NOT_YOURS)
        if actor.pk == _first_decider_id(case):
            return Result(case, Refusal.OWN_DECISION)
        if case.state != State.APPEALED:
            return Result(case, Refusal.WRONG_STEP)
        if outcome not in Outcome.values:
            return Result(case, Refusal.OUTCOME_NEEDED)
        if not reasons:
            return Result(case, Refusal.REASONS_NEEDED)
        first = case.decisions.last()
        if outcome == Outcome.UPHELD:
            step = first.step
        elif outcome == Outcome.REVOKED:
            step = Step.NONE
        elif step not in Step.values or step == first.step:
            return Result(case, Refusal.OUTCOME_NEEDED)
        if step == Step.FINE and not fines_allowed(case.person):
            return Result(case, Refusal.FINE_OFF)
        term = get_setting(TERM_SETTING[step], case.school_id) if step in TERM_SETTING else None
        number = next_number(
            school=case.school, kind=REVIEW_DOC, ref=case.owner_ref, actor=actor, now=now
        ).number
        decision = Decision.objects.create(
            case=case,
            kind=Decision.Kind.REVIEW,
            outcome=outcome,
            step=step,
            proposed_step=first.proposed_step,
            range_low=first.range_low,
            range_high=first.range_high,
            deviation_reason=reasons if step not in (first.proposed_step, Step.NONE) else "",
            reasons=reasons,
            basis=first.basis,
            term_months=term,
            fine_yuan=first.fine_yuan if step == Step.FINE else None,
            suspend_on_appeal=first.suspend_on_appeal,
            epidemic_referral=first.epidemic_referral,
            number=number,
            decided_by=actor,
            decided_at=now,
        )
        case.step, case.execution_suspended = step, False
        case.departed = bool(decision.deviation_reason)
        if outcome != Outcome.UPHELD or first.suspend_on_appeal:
            _start_term(case, step, term, now)
        if step in TERM_SETTING:
            case.state = State.IN_FORCE
        else:
            case.state, case.closed_at = State.CLOSED, now
        case.save()
        _event(
            case,
            EventKind.REVIEWED,
            actor=actor,
            now=now,
            text=reasons,
            data={"decision": decision.pk, "outcome": outcome, "step": step, "number": number},
        )
        _audit(
            case,
            "violations.case.reviewed",
            actor=actor,
            client_ip=client_ip,
            data={"outcome": outcome, "step": step, "number": number},
        )
        notify(
            person=case.person,
            kind=Kind.VIOLATION_REVIEWED,
            data={"case": case.pk, "outcome": outcome, "number": number},
            url=f"/violations/{case.pk}/",
            now=now,
        )
    return Result(case)


# --- The daily run ------------------------------------------------------------------------


@dataclass
class DailyResult:
    final: list[int] = field(default_factory=list)
    lifted: list[int] = field(default_factory=list)
    archived: list[int] = field(default_factory=list)


def run_daily(*, now: datetime | None = None) -> DailyResult:
    """Idempotent: each case moves at most once per state, under its row lock."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = DailyResult()
    for pk in ViolationCase.objects.filter(state=State.DECIDED, appeal_due__lt=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            case = ViolationCase.objects.select_for_update().select_related("person").get(pk=pk)
            if case.state != State.DECIDED or case.appeal_due >= now:
                continue
            if case.step in TERM_SETTING and case.sanction_until:
                case.state = State.IN_FORCE
            else:
                case.state, case.closed_at = State.CLOSED, now
            case.save(update_fields=["state", "closed_at"])
            _event(case, EventKind.FINAL, actor=None, now=now)
            _audit(case, "violations.case.final", actor=None, client_ip=None)
            result.final.append(pk)
    for pk in ViolationCase.objects.filter(
        state=State.IN_FORCE, execution_suspended=False, sanction_until__lte=today
    ).values_list("pk", flat=True):
        with transaction.atomic():
            case = ViolationCase.objects.select_for_update().select_related("person").get(pk=pk)
            if case.state != State.IN_FORCE or case.sanction_until > today:
                continue
            case.state, case.lifted_at, case.closed_at = State.CLOSED, now, now
            case.save(update_fields=["state", "lifted_at", "closed_at"])
            _event(
                case,
                EventKind.LIFTED,
                actor=None,
                now=now,
                data={"until": case.sanction_until.isoformat()},
            )
            _audit(case, "violations.sanction.lifted", actor=None, client_ip=None)
            notify(
                person=case.person,
                kind=Kind.VIOLATION_LIFTED,
                data={"case": case.pk, "step": case.step},
                url=f"/violations/{case.pk}/",
                now=now,
            )
            result.lifted.append(pk)
    for case in ViolationCase.objects.filter(
        state=State.CLOSED, archived_at__isnull=True, closed_at__isnull=False
    ).select_related("person"):
        months = get_setting("violation_retention_months", case.school_id)
        if case.closed_at > now - relativedelta(months=months):
            continue
        with transaction.atomic():
            updated = ViolationCase.objects.filter(pk=case.pk, archived_at__isnull=True).update(
                archived_at=now
            )
            if not updated:
                continue
            _event(case, EventKind.ARCHIVED, actor=None, now=now)
            _audit(case, "violations.case.archived", actor=None, client_ip=None)
            result.archived.append(case.pk)
    return result


def step_label(step: str) -> str:
    try:
        return str(Step(step).label)
    except ValueError:
        return step


__all__ = ["LADDER"]
