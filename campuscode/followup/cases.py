"""Follow-up cases (R5.3): a fever, the same symptom on N check-ins in a row, or a red
status opens a case for the health office and the person's department; the person is
told to see a doctor and reports progress until the health office closes the case."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from campuscode.audit.services import log_action
from campuscode.checkins.models import Checkin, ManualStatus, Symptom
from campuscode.codes.tokens import Colour
from campuscode.core.rules import get_setting
from campuscode.followup import attachments
from campuscode.followup.models import CaseEvent, CaseState, FollowupCase
from campuscode.followup.services import Refusal, Result
from campuscode.notify.models import Kind
from campuscode.notify.services import notify
from campuscode.people.access import Cap, covers, holders_over
from campuscode.people.models import Person

OPEN_STATES = [CaseState.OPEN, CaseState.TREATMENT, CaseState.RECOVERED]


def on_checkin_saved(sender, instance: Checkin, created: bool, raw: bool = False, **kwargs):
    """post_save of a check-in: decide after the commit, so a failure here never loses
    the check-in itself and the superseding of an earlier one is already visible."""
    # Most check-ins are green with no symptom: none of the triggers below can fire
    # (a persistent symptom needs one on this check-in too), so skip the queries.
    worth_a_look = instance.colour != Colour.GREEN or instance.symptoms or _fever(instance)
    if created and not raw and worth_a_look:
        checkin_id = instance.pk
        transaction.on_commit(lambda: open_case_for_checkin(checkin_id), robust=True)


def on_manual_status_saved(sender, instance: ManualStatus, created: bool, **kwargs):
    if created and instance.colour == Colour.RED:
        status_id = instance.pk
        transaction.on_commit(lambda: open_case_for_manual_red(status_id), robust=True)


def _fever(checkin: Checkin) -> bool:
    # A fresh instance may still hold the temperature as given (a str), not as loaded.
    temperature = Decimal(str(checkin.temperature)) if checkin.temperature is not None else None
    hot = temperature is not None and temperature >= Decimal(
        str(get_setting("health_yellow_temperature", checkin.person.school_id))
    )
    return hot or Symptom.FEVER in (checkin.symptoms or [])


def _persistent_symptom(person_id: int, school_id: int) -> str | None:
    """A symptom present on each of the last N effective check-ins, or None."""
    n = get_setting("followup_persistent_checkins", school_id)
    latest = list(
        Checkin.objects.effective()
        .filter(person_id=person_id)
        .order_by("-day", "-period", "-at")
        .values_list("symptoms", flat=True)[:n]
    )
    if len(latest) < n:
        return None
    common = set(latest[0] or [])
    for symptoms in latest[1:]:
        common &= set(symptoms or [])
    return sorted(common)[0] if common else None


def open_case_for_checkin(checkin_id: int) -> FollowupCase | None:
    checkin = (
        Checkin.objects.select_related("person", "person__org_unit")
        .filter(pk=checkin_id, superseded_at__isnull=True)
        .first()
    )
    if checkin is None:
        return None
    detail: dict = {"temperature": str(checkin.temperature), "symptoms": checkin.symptoms}
    if checkin.colour == Colour.RED:
        trigger = FollowupCase.Trigger.RED
        detail["reason"] = checkin.reason
    elif _fever(checkin):
        trigger = FollowupCase.Trigger.FEVER
    elif symptom := _persistent_symptom(checkin.person_id, checkin.person.school_id):
        trigger = FollowupCase.Trigger.PERSISTENT
        detail["symptom"] = symptom
        detail["checkins"] = get_setting("followup_persistent_checkins", checkin.person.school_id)
    else:
        return None
    return open_case(person=checkin.person, trigger=trigger, detail=detail, checkin=checkin)


def open_case_for_manual_red(status_id: int) -> FollowupCase | None:
    status = ManualStatus.objects.select_related("person", "person__org_unit").get(pk=status_id)
    return open_case(
        person=status.person,
        trigger=FollowupCase.Trigger.RED,
        detail={"reason": "manual", "note": status.reason},
        user=status.set_by,
    )


def open_case(
    *,
    person: Person,
    trigger: str,
    detail: dict | None = None,
    checkin: Checkin | None = None,
    user=None,
    now: datetime | None = None,
) -> FollowupCase | None:
    """Open a case unless one is still open for the person (then that one goes on)."""
    now = now or timezone.now()
    with transaction.atomic():
        list(Person.objects.select_for_update().filter(pk=person.pk).order_by().values_list("pk"))
        if FollowupCase.objects.filter(person=person, state__in=OPEN_STATES).exists():
            return None
        case = FollowupCase.objects.create(
            person=person, trigger=trigger, detail=detail or {}, checkin=checkin, opened_at=now
        )
        CaseEvent.objects.create(
            case=case, kind=CaseEvent.Kind.OPENED, at=now, actor=user, state=CaseState.OPEN
        )
        url = f"/followup/cases/{case.pk}/"
        notify(
            person=person,
            kind=Kind.CASE_OPENED,
            data={"case": case.pk, "own": True},
            url=url,
            now=now,
        )
        staff = {u.pk: u for u in holders_over(person, Cap.FOLLOW_CASES)}
        for account in staff.values():
            notify(
                user=account,
                kind=Kind.CASE_OPENED,
                data={"case": case.pk, "name": person.name, "trigger": trigger},
                url=url,
                now=now,
            )
    log_action(
        actor=user,
        action="followup.case.opened",
        subject=person,
        data={"case": case.pk, "trigger": trigger},
    )
    return case


def add_progress(
    *,
    case: FollowupCase,
    user,
    text: str,
    attachment=None,
    idempotency_key: str = "",
    client_ip: str | None = None,
) -> Result:
    """The person's progress report (or a note from the staff following the case)."""
    own = case.person.user_id == user.pk
    if not own and not covers(user, Cap.FOLLOW_CASES, case.person):
        return Result(refusal=Refusal.NOT_ALLOWED)
    if not case.is_open:
        return Result(refusal=Refusal.NOT_PENDING)
    existing = CaseEvent.objects.filter(case=case, idempotency_key=idempotency_key)
    if idempotency_key and (first := existing.first()):
        return Result(first)
    # Checked again here, not only by the form: the stored name and type come from the
    # content, whoever calls this.
    photo = attachments.stored_file(attachment) if attachment else None
    event = CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.PROGRESS if own else CaseEvent.Kind.NOTE,
        at=timezone.now(),
        actor=user,
        text=text.strip()[:2000],
        attachment=photo or "",
        idempotency_key=idempotency_key,
    )
    log_action(
        actor=user,
        client_ip=client_ip,
        action="followup.case.progress" if own else "followup.case.noted",
        subject=case.person,
        data={"case": case.pk, "event": event.pk, "attachment": bool(attachment)},
    )
    return Result(event, created=True)


def set_state(
    *, case: FollowupCase, user, state: str, note: str = "", client_ip: str | None = None
) -> Result:
    """Under treatment / recovered / open again; closing is `close_case`."""
    if state not in (CaseState.OPEN, CaseState.TREATMENT, CaseState.RECOVERED):
        return Result(refusal=Refusal.NOT_ALLOWED)
    if not covers(user, Cap.FOLLOW_CASES, case.person):
        return Result(refusal=Refusal.NOT_ALLOWED)
    with transaction.atomic():
        case = FollowupCase.objects.select_for_update().get(pk=case.pk)
        if not case.is_open:
            return Result(case, refusal=Refusal.NOT_PENDING)
        case.state = state
        case.save(update_fields=["state"])
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.STATE,
            at=timezone.now(),
            actor=user,
            state=state,
            text=note.strip()[:2000],
        )
    log_action(
        actor=user,
        client_ip=client_ip,
        action="followup.case.state",
        subject=case.person,
        data={"case": case.pk, "state": state},
    )
    return Result(case)


def close_case(*, case: FollowupCase, user, note: str, client_ip: str | None = None) -> Result:
    """Only the health office closes a case, always with a note (R5.3)."""
    if not covers(user, Cap.MANAGE_HEALTH, case.person):
        return Result(refusal=Refusal.NOT_ALLOWED)
    now = timezone.now()
    with transaction.atomic():
        case = FollowupCase.objects.select_for_update().get(pk=case.pk)
        if not case.is_open:
            return Result(case, refusal=Refusal.NOT_PENDING)
        case.state = CaseState.CLOSED
        case.closed_at, case.closed_by, case.close_note = now, user, note.strip()[:500]
        case.save(update_fields=["state", "closed_at", "closed_by", "close_note"])
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.CLOSED,
            at=now,
            actor=user,
            state=CaseState.CLOSED,
            text=case.close_note,
        )
    log_action(
        actor=user,
        client_ip=client_ip,
        action="followup.case.closed",
        subject=case.person,
        data={"case": case.pk, "note": case.close_note},
    )
    return Result(case)
