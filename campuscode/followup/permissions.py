"""Who may decide for whom in this app. Built on people.scopes' role assignments, but by
role rather than capability: an approval is a duty of named roles (R4.2, R5.3, R3.3)."""

from django.db.models import Q, QuerySet

from campuscode.people.models import OrgUnit, Person, Role
from campuscode.people.scopes import _assignments

# R4.2, R4.6: "their class adviser or department admin".
APPROVER_ROLES = frozenset({Role.CLASS_ADVISER, Role.DEPARTMENT_ADMIN})
# R5.3: the health office's scope and the person's own department leadership.
CASE_ROLES = frozenset({Role.HEALTH_OFFICE, Role.DEPARTMENT_ADMIN})
HEALTH_ROLES = frozenset({Role.HEALTH_OFFICE})
# R3.3: the managing department applies; an approver with the host unit in scope decides.
VISITOR_ROLES = frozenset({Role.DEPARTMENT_ADMIN, Role.HR, Role.SYSTEM_ADMIN})


def role_units(user, roles) -> list[OrgUnit]:
    return [a.org_unit for a in _assignments(user) if a.role in roles]


def has_any_role(user, roles) -> bool:
    return bool(role_units(user, roles))


def role_q(user, roles, *, unit_field: str = "org_unit") -> Q:
    """Rows whose unit lies under a unit where the user holds one of `roles`."""
    q = Q(pk__in=[])
    for unit in role_units(user, roles):
        q |= Q(**{f"{unit_field}__path__startswith": unit.path})
    return q


def people_for(user, roles) -> QuerySet[Person]:
    """The people the user acts for in `roles`, never the user themself."""
    if not user.is_authenticated:
        return Person.objects.none()
    return (
        Person.objects.filter(role_q(user, roles))
        .exclude(user=user)
        .select_related("org_unit", "school")
    )


def covers(user, roles, person: Person) -> bool:
    if person.user_id is not None and person.user_id == user.pk:
        return False  # nobody approves or follows up their own request
    path = person.org_unit.path
    return any(path.startswith(unit.path) for unit in role_units(user, roles))


def covers_unit(user, roles, unit: OrgUnit) -> bool:
    return any(unit.path.startswith(u.path) for u in role_units(user, roles))


def department_admins_of(person: Person):
    """Accounts of the department leadership over the person's unit (for flags, R4.6)."""
    from django.contrib.auth.models import User

    ids = [int(part) for part in person.org_unit.path.strip("/").split("/")]
    return User.objects.filter(
        roles__role=Role.DEPARTMENT_ADMIN, roles__org_unit_id__in=ids, is_active=True
    ).distinct()


def health_officers_of(person: Person):
    from django.contrib.auth.models import User

    ids = [int(part) for part in person.org_unit.path.strip("/").split("/")]
    return User.objects.filter(
        roles__role=Role.HEALTH_OFFICE, roles__org_unit_id__in=ids, is_active=True
    ).distinct()
