"""Visitor and temporary-worker codes (R3.3): the managing department applies, an approver
with the host unit in scope decides, and approval creates the person, valid only between
the dates (verify_token then refuses them as "expired"), and sends a claim link (by text message, or else e-mail)."""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.audit.services import log_action
from campuscode.followup.models import Decision, VisitorApplication
from campuscode.followup.services import Refusal, Result
from campuscode.notify.models import Kind
from campuscode.notify.services import notify
from campuscode.people.access import Cap, covers_unit
from campuscode.people.models import OrgUnit, Person, PersonStateChange
from campuscode.people.services import id_fields, record_state


def apply_for_code(
    *,
    user,
    host_unit: OrgUnit,
    kind: str,
    name: str,
    id_number: str,
    phone: str,
    email: str,
    purpose: str,
    valid_from: date,
    valid_until: date,
    idempotency_key: str,
    now: datetime | None = None,
    client_ip: str | None = None,
) -> Result:
    now = now or timezone.now()
    if not covers_unit(user, Cap.DECIDE_VISITORS, host_unit):
        return Result(refusal=Refusal.NOT_ALLOWED)
    if first := VisitorApplication.objects.filter(
        applied_by=user, idempotency_key=idempotency_key
    ).first():
        return Result(first)
    if valid_until < valid_from or valid_until < timezone.localdate(now):
        return Result(refusal=Refusal.BAD_DATES)
    try:
        with transaction.atomic():
            application = VisitorApplication.objects.create(
                school_id=host_unit.school_id,
                host_unit=host_unit,
                kind=kind,
                name=name.strip(),
                phone=phone,
                email=email,
                purpose=purpose.strip()[:300],
                valid_from=valid_from,
                valid_until=valid_until,
                applied_by=user,
                applied_at=now,
                idempotency_key=idempotency_key,
                **id_fields(id_number),
            )
    except IntegrityError:
        return Result(
            VisitorApplication.objects.get(applied_by=user, idempotency_key=idempotency_key)
        )
    log_action(
        actor=user,
        client_ip=client_ip,
        action="followup.visitor.applied",
        data={"application": application.pk, "kind": kind, "host": host_unit.pk},
    )
    return Result(application, created=True)


def person_number(application: VisitorApplication) -> str:
    """'V000012' for a visitor, 'W000013' for a temporary worker: never a student number."""
    prefix = "V" if application.kind == VisitorApplication.Kind.VISITOR else "W"
    return f"{prefix}{application.pk:06d}"


VISITING_KINDS = (Person.Kind.VISITOR, Person.Kind.TEMPORARY)


def _person_for(application: VisitorApplication) -> Person | str:
    """The registry entry an approved application gives its visitor: a new one, or, for
    someone who came before (the same ID number in this school), their earlier entry,
    made valid for this visit. The school holds one person per ID number (a database
    constraint), so a second approval never creates a second person. A Refusal instead
    when the number is a student's or staff member's (they carry their own code) or the
    earlier entry was suspended (a new application must not lift that)."""
    fields = {
        "name": application.name,
        "kind": application.kind,
        "org_unit": application.host_unit,
        "phone": application.phone,
        "email": application.email,
        "id_last4": application.id_last4,
        "valid_from": application.valid_from,
        "valid_until": application.valid_until,
        "state": Person.State.ACTIVE,
    }
    for _attempt in range(2):  # a second approval racing this one may win the insert
        earlier = (
            Person.objects.holding_id(application.id_hash)
            .filter(school=application.school)
            .select_for_update()
            .first()
        )
        if earlier is not None:
            if earlier.kind not in VISITING_KINDS:
                return Refusal.REGISTERED_MEMBER
            if earlier.state == Person.State.SUSPENDED:
                return Refusal.INACTIVE
            for name, value in fields.items():
                setattr(earlier, name, value)
            earlier.save(update_fields=[*fields, "updated_at"])
            return earlier
        try:
            with transaction.atomic():
                return Person.objects.create(
                    school=application.school,
                    number=person_number(application),
                    id_hash=application.id_hash,
                    **fields,
                )
        except IntegrityError:
            continue
    raise RuntimeError("an ID number was taken and released again during one approval")


def decide_application(
    *,
    application: VisitorApplication,
    user,
    approve: bool,
    note: str = "",
    claim_url: str = "",
    client_ip: str | None = None,
) -> Result:
    """Approve (create the person, send the claim link) or reject; never one's own."""
    now = timezone.now()
    with transaction.atomic():
        application = (
            VisitorApplication.objects.select_for_update(of=("self",))
            .select_related("host_unit", "school")
            .get(pk=application.pk)
        )
        if application.applied_by_id == user.pk or not covers_unit(
            user, Cap.DECIDE_VISITORS, application.host_unit
        ):
            return Result(refusal=Refusal.NOT_ALLOWED)
        if application.state != Decision.PENDING:
            return Result(application, refusal=Refusal.NOT_PENDING)
        if approve:
            person = _person_for(application)
            if not isinstance(person, Person):
                return Result(application, refusal=person)
            record_state(person=person, by=user, reason=PersonStateChange.Reason.VISITOR)
            application.person = person
        application.state = Decision.APPROVED if approve else Decision.REJECTED
        application.decided_by, application.decided_at = user, now
        application.decision_note = note.strip()[:300]
        application.save()
        notify(
            user=application.applied_by,
            kind=Kind.VISITOR_DECIDED,
            data={"state": application.state, "name": application.name, "id": application.pk},
            url=f"/followup/visitors/{application.pk}/",
            now=now,
        )
    log_action(
        actor=user,
        client_ip=client_ip,
        action=(
            "followup.visitor.approved"
            if application.state == Decision.APPROVED
            else "followup.visitor.rejected"
        ),
        subject=application.person,
        data={"application": application.pk, "note": application.decision_note},
    )
    if approve and claim_url:
        send_claim_link(application=application, claim_url=claim_url)
    return Result(application)


def claim_message(application: VisitorApplication, claim_url: str) -> str:
    return claim_text(_claim_data(application, claim_url))


def _claim_data(application: VisitorApplication, claim_url: str) -> dict:
    return {
        "kind": application.kind,
        "first": str(application.valid_from),
        "last": str(application.valid_until),
        "url": claim_url,
        "number": application.person.number,
        "by_phone": bool(application.person.phone),
    }


def claim_text(data: dict) -> str:
    values = {
        "kind": VisitorApplication.Kind(data["kind"]).label,
        "first": data["first"],
        "last": data["last"],
        "url": data["url"],
        "number": data["number"],
    }
    if data.get("by_phone"):
        return (
            _(
                "Your campus code has been approved (%(kind)s, %(first)s to %(last)s).\n\n"
                "Claim it on your phone: %(url)s\n"
                "Your number: %(number)s. You will be asked for your name and the last 4 characters "
                "of your ID number, then for a one-time code sent to this mobile number.\n\n"
                "When you arrive, fill in the health check-in at a check-in point."
            )
            % values
        )
    return (
        _(
            "Your campus code has been approved (%(kind)s, %(first)s to %(last)s).\n\n"
            "Claim it on your phone: %(url)s\n"
            "Your number: %(number)s. You will be asked for your name and the last 4 characters "
            "of your ID number, then for a one-time code sent to this address.\n\n"
            "When you arrive, fill in the health check-in at a check-in point."
        )
        % values
    )


def send_claim_link(*, application: VisitorApplication, claim_url: str) -> None:
    """To the visitor's mobile number (or else e-mail), after the commit; a failed send is
    retried, and the link stays on the application page for the host department."""
    from campuscode.accounts.services import code_channel

    person = application.person
    notify(
        person=person,
        kind=Kind.VISITOR_CLAIM,
        data=_claim_data(application, claim_url),
        channels=[code_channel(person)],
    )
