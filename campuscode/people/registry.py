"""Writes of the people pages: one person's record, accounts and roles. Each is audited.

Expected refusals come back as data (`Outcome` with a `Refusal` code), never as 500s.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from campuscode.accounts.forms import person_username
from campuscode.audit.services import log_action
from campuscode.people.access import Cap, units_for
from campuscode.people.models import OrgUnit, Person, RoleAssignment
from campuscode.people.selectors import unit_within
from campuscode.people.services import save_person

# What proves an account is its owner's (the claim flow mails a code to the e-mail and asks
# for the last 4 of the ID number): changing them on a role holder is an account takeover.
CREDENTIAL_FIELDS = ("email", "phone", "id_number")

PERSON_FIELDS = (
    "number",
    "name",
    "kind",
    "org_unit",
    "phone",
    "email",
    "state",
    "valid_from",
    "valid_until",
)


class Refusal(models.TextChoices):
    OUT_OF_SCOPE = "out_of_scope", _("That is outside your scope.")
    SELF = "self", _("You cannot change your own roles or account; ask another administrator.")
    HAS_ACCOUNT = "has_account", _("This person already has an account.")
    NOT_ACTIVE = "not_active", _("This person is not active.")
    USERNAME_TAKEN = "username_taken", _("An account with this name exists already.")
    ROLE_HOLDER = (
        "role_holder",
        _(
            "This person's account holds roles beyond the accounts you manage: only a system "
            "administrator can change their e-mail, mobile number or ID number."
        ),
    )


@dataclass
class Outcome:
    ok: bool
    reason: Refusal | None = None
    value: Any = None


class _Refused(Exception):
    def __init__(self, reason: Refusal):
        self.reason = reason


def record_person(
    *,
    actor,
    client_ip: str | None = None,
    person: Person | None = None,
    id_number: str = "",
    **fields,
) -> Outcome:
    """Create (`person` None) or change one person within the editor's scope.

    Raises ValidationError for bad input (shown on the form). The audit entry names the
    changed fields, never their values: an ID number must not reach the log (PIPL).
    """
    try:
        with transaction.atomic():
            before: dict[str, Any] = {}
            if person is not None:
                # Two editors saving at once: the second sees the first one's values, so
                # the changed-field list in the log is true for each save.
                person = Person.objects.select_for_update().get(pk=person.pk)
                before = {name: getattr(person, name) for name in PERSON_FIELDS}
                before["id_hash"] = person.id_hash
            school = OrgUnit.objects.get(pk=fields["org_unit"].school_id)
            saved = save_person(
                person=person, school=school, id_number=id_number, by=actor, **fields
            )
            # The one query path decides: a record moved or re-kinded out of the editor's
            # scope (another college, a student for HR) is refused and rolled back.
            if not Person.objects.visible_to(actor, Cap.EDIT_PEOPLE).filter(pk=saved.pk).exists():
                raise _Refused(Refusal.OUT_OF_SCOPE)
            if not before:
                log_action(
                    actor=actor, client_ip=client_ip, action="people.person.created", subject=saved
                )
            else:
                changed = [name for name in PERSON_FIELDS if getattr(saved, name) != before[name]]
                if saved.id_hash != before["id_hash"]:
                    changed.append("id_number")
                credentials = [name for name in CREDENTIAL_FIELDS if name in changed]
                if credentials and not may_change_credentials(
                    actor=actor, account_id=saved.user_id
                ):
                    raise _Refused(Refusal.ROLE_HOLDER)
                if saved.user_id and {"email", "phone"} & set(credentials):
                    _announce_on_commit(person=saved, before=before, editor=actor)
                if changed:
                    log_action(
                        actor=actor,
                        client_ip=client_ip,
                        action="people.person.changed",
                        subject=saved,
                        data={"changed": changed},
                    )
    except _Refused as refused:
        return Outcome(False, refused.reason)
    return Outcome(True, value=saved)


def may_change_credentials(*, actor, account_id: int | None) -> bool:
    """Whether `actor` may change the e-mail, mobile or ID number of the person whose account
    is `account_id`. Of an account holding roles, only someone who manages accounts over
    every unit of those roles may (HR or a college's admin may correct a student's e-mail,
    never the health office's): otherwise the claim flow would hand them the account."""
    if account_id is None:
        return True
    held = list(RoleAssignment.objects.filter(user_id=account_id).select_related("org_unit"))
    if not held:
        return True
    if account_id == actor.pk:
        return False
    scope = units_for(actor, Cap.MANAGE_ACCOUNTS)
    return all(unit_within(a.org_unit, scope) for a in held)


def _announce_on_commit(*, person: Person, before: dict, editor) -> None:
    from campuscode.accounts.notices import announce_contact_change

    old = {
        name: before[name] for name in ("email", "phone") if getattr(person, name) != before[name]
    }
    transaction.on_commit(lambda: announce_contact_change(person=person, old=old, editor=editor))


def create_account(*, actor, client_ip: str | None = None, person: Person) -> Outcome:
    """An account for a person who has none, with no usable password: the person sets one
    through the claim flow (R3.4), so no password ever passes through an admin."""
    with transaction.atomic():
        person = (
            Person.objects.select_for_update(of=("self",))
            .select_related("school")
            .get(pk=person.pk)
        )
        if person.user_id:
            return Outcome(False, Refusal.HAS_ACCOUNT)
        if person.state != Person.State.ACTIVE:
            return Outcome(False, Refusal.NOT_ACTIVE)
        username = person_username(school=person.school, number=person.number)
        if User.objects.filter(username=username).exists():
            return Outcome(False, Refusal.USERNAME_TAKEN)
        account = User(username=username, email=person.email)
        account.set_unusable_password()
        account.save()
        person.user = account
        person.save(update_fields=["user", "updated_at"])
        log_action(
            actor=actor,
            client_ip=client_ip,
            action="people.account.created",
            subject=person,
            data={"account": username},
        )
    return Outcome(True, value=account)


def _person_of(account: User) -> Person | None:
    return Person.objects.filter(user=account).first()


def grant_role(
    *, actor, client_ip: str | None = None, account: User, role: str, org_unit: OrgUnit
) -> Outcome:
    admin = actor
    if account.pk == admin.pk:
        return Outcome(False, Refusal.SELF)
    if not unit_within(org_unit, units_for(admin, Cap.MANAGE_ACCOUNTS)):
        return Outcome(False, Refusal.OUT_OF_SCOPE)
    # A double-clicked or retried grant finds the first row (unique user/role/unit).
    assignment, created = RoleAssignment.objects.get_or_create(
        user=account, role=role, org_unit=org_unit, defaults={"granted_by": admin}
    )
    if created:
        log_action(
            actor=actor,
            client_ip=client_ip,
            action="people.role.granted",
            subject=_person_of(account),
            data={"account": account.username, "role": role, "unit": org_unit.name},
        )
    return Outcome(True, value=assignment)


def revoke_role(*, actor, client_ip: str | None = None, assignment: RoleAssignment) -> Outcome:
    admin = actor
    if assignment.user_id == admin.pk:
        return Outcome(False, Refusal.SELF)
    if not unit_within(assignment.org_unit, units_for(admin, Cap.MANAGE_ACCOUNTS)):
        return Outcome(False, Refusal.OUT_OF_SCOPE)
    account = assignment.user
    deleted, _rows = RoleAssignment.objects.filter(pk=assignment.pk).delete()
    if deleted:
        log_action(
            actor=actor,
            client_ip=client_ip,
            action="people.role.revoked",
            subject=_person_of(account),
            data={
                "account": account.username,
                "role": assignment.role,
                "unit": assignment.org_unit.name,
            },
        )
    return Outcome(True)


def set_account_active(
    *, actor, client_ip: str | None = None, account: User, active: bool
) -> Outcome:
    """Deactivate (or reactivate) an account; its sessions stop working at once, because
    Django's backend refuses inactive users on every request."""
    admin = actor
    if account.pk == admin.pk:
        return Outcome(False, Refusal.SELF)
    scope = units_for(admin, Cap.MANAGE_ACCOUNTS)
    # A college's admin cannot switch off someone whose duty reaches beyond the college.
    held = RoleAssignment.objects.filter(user=account).select_related("org_unit")
    if any(not unit_within(a.org_unit, scope) for a in held):
        return Outcome(False, Refusal.OUT_OF_SCOPE)
    if account.is_active != active:
        User.objects.filter(pk=account.pk).update(is_active=active)
        account.is_active = active
        log_action(
            actor=actor,
            client_ip=client_ip,
            action="people.account.activated" if active else "people.account.deactivated",
            subject=_person_of(account),
            data={"account": account.username},
        )
    return Outcome(True, value=account)
