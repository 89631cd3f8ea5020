"""Reads of the people pages. Every one starts from the access layer (people.access)."""

from django.contrib.auth.models import User
from django.db.models import Prefetch, Q, QuerySet

from campuscode.people.access import (
    Cap,
    kinds_for,
    people_visible_to,
    scope_q,
    units_for,
    units_under,
)
from campuscode.people.models import OrgUnit, Person, RoleAssignment

PAGE_SIZE = 50


def units_in_scope(*, user, capability: str) -> QuerySet[OrgUnit]:
    """The org units inside the user's scope for `capability`, subtrees included."""
    return units_under(user, capability)


def kinds_in_scope(*, user, capability: str) -> list[tuple[str, str]]:
    """The person kinds the user's roles holding `capability` cover (HR: staff/temporary)."""
    kinds = kinds_for(user, capability)
    return [(value, label) for value, label in Person.Kind.choices if value in kinds]


def people_list(
    *, user, unit: OrgUnit | None = None, kind: str = "", state: str = "", q: str = ""
) -> QuerySet[Person]:
    """The people the user may see, narrowed by the list filters."""
    people = people_visible_to(user, Cap.VIEW_PEOPLE).select_related("org_unit__parent", "user")
    if unit is not None:
        people = people.filter(org_unit__path__startswith=unit.path)
    if kind:
        people = people.filter(kind=kind)
    if state:
        people = people.filter(state=state)
    if q:
        people = people.filter(Q(name__icontains=q) | Q(number__icontains=q))
    return people.order_by("number", "pk")


def person_in_scope(*, user, capability: str, pk, include_self: bool = False) -> Person | None:
    """The person `pk` if `capability` covers them for this user, else None (no audit)."""
    try:
        return people_visible_to(user, capability, include_self=include_self).get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        return None


def roles_of_account(user_id) -> list[RoleAssignment]:
    return list(
        RoleAssignment.objects.filter(user_id=user_id)
        .select_related("org_unit__parent")
        .order_by("role", "org_unit__path")
    )


def accounts_visible_to(user, *, q: str = "") -> QuerySet[User]:
    """Accounts a system admin may manage: those of people in scope, those holding a role
    inside the scope, and (for a school-wide admin) accounts tied to nobody yet."""
    condition = scope_q(user, Cap.MANAGE_ACCOUNTS, unit="person__org_unit", kind="person__kind")
    units = units_for(user, Cap.MANAGE_ACCOUNTS)
    for unit in units:
        condition |= Q(roles__org_unit__path__startswith=unit.path)
    if any(unit.parent_id is None for unit in units):
        condition |= Q(person__isnull=True, roles__isnull=True)
    ids = User.objects.filter(condition).values("pk")
    accounts = (
        User.objects.filter(pk__in=ids)
        .select_related("person__org_unit__parent")
        .prefetch_related(
            Prefetch(
                "roles",
                queryset=RoleAssignment.objects.select_related("org_unit").order_by("role"),
            )
        )
        .order_by("username")
    )
    if q:
        accounts = accounts.filter(
            Q(username__icontains=q) | Q(person__name__icontains=q) | Q(person__number__icontains=q)
        )
    return accounts


def account_in_scope(user, pk) -> User | None:
    try:
        return accounts_visible_to(user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        return None


def unit_within(unit: OrgUnit, scope: list[OrgUnit]) -> bool:
    return any(unit.path.startswith(top.path) for top in scope)
