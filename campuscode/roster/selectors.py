"""Reads of roster imports, always limited to what the user may see."""

from django.db.models import Q, QuerySet

from campuscode.people import access
from campuscode.people.access import Cap
from campuscode.people.models import OrgUnit, RoleAssignment
from campuscode.roster.models import ImportJob, ImportRowError

# A grant: (unit path, person kinds or None for every kind).
Grant = tuple[str, frozenset | None]


def _grants(assignments) -> list[Grant]:
    grants = []
    for a in assignments:
        if Cap.IMPORT_PEOPLE in access.ROLE_CAPABILITIES[a.role]:
            kinds = access.ROLE_PERSON_KINDS.get(a.role)
            grants.append((a.org_unit.path, frozenset(kinds) if kinds else None))
    return grants


def _extent(starter_grants: list[Grant] | None, school: OrgUnit) -> list[Grant]:
    """Where a job's rows may land: the starter's import grants inside the job's school
    (its preview refused every row outside them). A job from the command line, or by
    someone who holds no import role any more, may hold anything of the school."""
    inside = [g for g in starter_grants or [] if g[0].startswith(school.path)]
    return inside or [(school.path, None)]


def _covers(grants: list[Grant], extent: list[Grant]) -> bool:
    """Whether `grants` reach every unit and every kind of person of `extent`."""
    return all(
        any(
            path.startswith(top) and (kinds is None or (need is not None and need <= kinds))
            for top, kinds in grants
        )
        for path, need in extent
    )


def jobs_visible_to(user) -> QuerySet[ImportJob]:
    """A user's own imports, and those of others whose whole extent (units and person
    kinds) the user's own import duty covers: HR (staff only) never sees nor commits a
    student roster someone else started, a college's admin never another college's."""
    if not user.is_authenticated or not access.has_capability(user, Cap.IMPORT_PEOPLE):
        return ImportJob.objects.none()
    mine = _grants(access.assignments(user))
    q = Q(created_by=user)
    pairs = (
        ImportJob.objects.exclude(created_by=user)
        .values_list("school_id", "created_by_id")
        .distinct()
    )
    pairs = list(pairs)
    starters = {starter for _school, starter in pairs if starter is not None}
    held: dict[int, list] = {pk: [] for pk in starters}
    for a in RoleAssignment.objects.filter(user_id__in=starters).select_related("org_unit"):
        held[a.user_id].append(a)
    schools = OrgUnit.objects.in_bulk({school for school, _starter in pairs})
    for school_id, starter in pairs:
        starter_grants = _grants(held[starter]) if starter is not None else None
        if _covers(mine, _extent(starter_grants, schools[school_id])):
            q |= Q(school_id=school_id, created_by_id=starter)
    return ImportJob.objects.filter(q).select_related("school")


def job_errors(job: ImportJob) -> QuerySet[ImportRowError]:
    return job.errors.order_by("row", "id")
