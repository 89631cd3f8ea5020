"""Writes of the privacy app: a person files a request about their data; the responsible
office answers it once (PIPL Art. 44–47, 50: the handler decides and gives the reason)."""

from dataclasses import dataclass

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscode.audit.services import log_action
from campuscode.people.access import Cap, covers
from campuscode.people.models import Person
from campuscode.privacy.models import DataRequest


class Refusal(models.TextChoices):
    NO_PERSON = "no_person", _("This account is not linked to a person in the registry.")
    NOT_ALLOWED = "not_allowed", _("You may not handle this request.")
    NOT_PENDING = "not_pending", _("This request has already been answered.")


@dataclass(frozen=True)
class Outcome:
    value: DataRequest | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def reason_label(self) -> str:
        return str(Refusal(self.reason).label) if self.reason else ""


def file_request(
    *,
    actor,
    kind: str,
    text: str,
    reason: str,
    idempotency_key: str,
    client_ip: str | None = None,
) -> Outcome:
    """The signed-in person asks to correct, delete or otherwise change their data. A retry
    with the same key returns the first request."""
    person = Person.objects.filter(user=actor).first() if actor.is_authenticated else None
    if person is None:
        return Outcome(reason=Refusal.NO_PERSON)
    existing = DataRequest.objects.filter(person=person, idempotency_key=idempotency_key).first()
    if existing is not None:
        return Outcome(existing)
    try:
        with transaction.atomic():
            request = DataRequest.objects.create(
                person=person,
                kind=kind,
                text=text.strip(),
                reason=reason.strip(),
                created_at=timezone.now(),
                idempotency_key=idempotency_key,
            )
            log_action(
                action="privacy.request.filed",
                actor=actor,
                client_ip=client_ip,
                subject=person,
                data={"request": request.pk, "kind": kind},
            )
    except IntegrityError:  # the same key sent twice at once: the other one won
        return Outcome(DataRequest.objects.get(person=person, idempotency_key=idempotency_key))
    return Outcome(request)


def handle_request(
    *, actor, pk: int, state: str, response: str, client_ip: str | None = None
) -> Outcome:
    """Answer a pending request, once: done or refused, with the answer the person reads.
    Only an account holding the duty to edit the person's record (their office) may."""
    if state not in (DataRequest.State.DONE, DataRequest.State.REFUSED):
        raise ValueError(state)
    with transaction.atomic():
        request = (
            DataRequest.objects.select_for_update()
            .select_related("person__org_unit")
            .filter(pk=pk)
            .first()
        )
        if request is None or not covers(actor, Cap.EDIT_PEOPLE, request.person):
            return Outcome(reason=Refusal.NOT_ALLOWED)
        if not request.pending:
            return Outcome(request, reason=Refusal.NOT_PENDING)
        request.state = state
        request.handled_by = actor
        request.handled_at = timezone.now()
        request.response = response.strip()
        request.save(update_fields=["state", "handled_by", "handled_at", "response"])
        log_action(
            action=(
                "privacy.request.done"
                if state == DataRequest.State.DONE
                else "privacy.request.refused"
            ),
            actor=actor,
            client_ip=client_ip,
            subject=request.person,
            data={"request": request.pk, "kind": request.kind, "response": request.response},
        )
    return Outcome(request)
