"""The one query path that decides whose data a user may see (R6.6).

Every view and API that shows another person's data starts from `people_visible_to()`
or `get_visible_person()`; the latter also writes the audit entry for the read.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from campuscode.people.models import Person, Role, RoleAssignment


class Cap:
    VIEW_PEOPLE = "people.view"
    EDIT_PEOPLE = "people.edit"
    IMPORT_PEOPLE = "people.import"
    REVEAL = "people.reveal"
    VIEW_HEALTH = "health.view"
    MANAGE_HEALTH = "health.manage"
    VIEW_GATES = "gates.view"
    MANAGE_GATES = "gates.manage"
    VIEW_AUDIT = "audit.view"
    MANAGE_SETTINGS = "settings.manage"
    MANAGE_ACCOUNTS = "accounts.manage"


ROLE_CAPABILITIES: dict[str, set[str]] = {
    Role.CLASS_ADVISER: {Cap.VIEW_PEOPLE, Cap.REVEAL, Cap.VIEW_HEALTH},
    Role.TEACHER: {Cap.VIEW_PEOPLE},
    Role.DEPARTMENT_ADMIN: {
        Cap.VIEW_PEOPLE,
        Cap.EDIT_PEOPLE,
        Cap.IMPORT_PEOPLE,
        Cap.REVEAL,
        Cap.VIEW_HEALTH,
    },
    Role.HR: {Cap.VIEW_PEOPLE, Cap.EDIT_PEOPLE, Cap.IMPORT_PEOPLE, Cap.REVEAL},
    Role.HEALTH_OFFICE: {Cap.VIEW_PEOPLE, Cap.REVEAL, Cap.VIEW_HEALTH, Cap.MANAGE_HEALTH},
    Role.GATE_STAFF: {Cap.VIEW_GATES, Cap.MANAGE_GATES},
    Role.SUPERVISION: {Cap.VIEW_PEOPLE, Cap.VIEW_HEALTH, Cap.VIEW_AUDIT, Cap.VIEW_GATES},
    # The system admin runs accounts and settings but reads health data only through
    # a health-scoped role, like anyone else.
    Role.SYSTEM_ADMIN: {
        Cap.VIEW_PEOPLE,
        Cap.EDIT_PEOPLE,
        Cap.IMPORT_PEOPLE,
        Cap.REVEAL,
        Cap.VIEW_AUDIT,
        Cap.MANAGE_SETTINGS,
        Cap.MANAGE_ACCOUNTS,
        Cap.MANAGE_GATES,
        Cap.VIEW_GATES,
    },
}

# HR's duty covers staff records, not students'.
ROLE_PERSON_KINDS: dict[str, set[str]] = {
    Role.HR: {Person.Kind.STAFF, Person.Kind.TEMPORARY},
}


def _assignments(user) -> list[RoleAssignment]:
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_campuscode_roles", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user).select_related("org_unit"))
        user._campuscode_roles = cached
    return cached


def roles_of(user) -> set[str]:
    return {a.role for a in _assignments(user)}


def has_capability(user, capability: str) -> bool:
    return any(capability in ROLE_CAPABILITIES[a.role] for a in _assignments(user))


def can_see_others(user) -> bool:
    """True for roles whose sessions end after the idle timeout."""
    return any(
        ROLE_CAPABILITIES[a.role]
        & {Cap.VIEW_PEOPLE, Cap.VIEW_HEALTH, Cap.VIEW_GATES, Cap.VIEW_AUDIT}
        for a in _assignments(user)
    )


def scope_filter(
    user, capability: str, *, unit_field: str = "org_unit", kind_field: str = "kind"
) -> Q:
    """A Q over a model with a person-like org unit: the rows `capability` covers."""
    q = Q(pk__in=[])
    for a in _assignments(user):
        if capability not in ROLE_CAPABILITIES[a.role]:
            continue
        part = Q(**{f"{unit_field}__path__startswith": a.org_unit.path})
        if kinds := ROLE_PERSON_KINDS.get(a.role):
            part &= Q(**{f"{kind_field}__in": kinds})
        q |= part
    return q


def scope_units(user, capability: str) -> list:
    """The org units at the top of the user's scope for `capability`."""
    return [a.org_unit for a in _assignments(user) if capability in ROLE_CAPABILITIES[a.role]]


def people_visible_to(
    user, capability: str = Cap.VIEW_PEOPLE, *, include_self: bool = True
) -> QuerySet[Person]:
    if not user.is_authenticated:
        return Person.objects.none()
    q = scope_filter(user, capability)
    if include_self:
        q |= Q(user=user)
    return Person.objects.filter(q).select_related("org_unit", "school")


def get_visible_person(
    request, pk, *, capability: str = Cap.VIEW_PEOPLE, what: str = "profile"
) -> Person:
    """The person `pk` if the user's scope covers them, else 404 (never 403: no probing ids).

    A read of someone else's record is written to the audit log with `what` was shown.
    """
    from campuscode.audit.services import log_action

    try:
        person = people_visible_to(request.user, capability).get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if person.user_id != request.user.pk:
        log_action(
            request=request, action=f"{capability.split('.')[0]}.{what}.viewed", subject=person
        )
    return person
