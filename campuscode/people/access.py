"""The one access layer (R6.6): who may see or do what, for whom.

Every view, API, export and selector asks here and nowhere else:

- a duty is a capability (`Cap`); roles hold capabilities (`ROLE_CAPABILITIES`), each over
  the org-unit subtree of the assignment (a class adviser: their class);
- `units_for(user, cap)` answers "which units may this user reach for this duty";
- `scope_q(user, cap, unit=..., kind=...)` turns that into a filter over any model, and
  every model holding personal data has `Model.objects.visible_to(user, cap)` built on it;
- `covers(user, cap, person)` is the same answer for one person; deciding duties
  (`NOT_OVER_ONESELF`) never reach the user themself: nobody approves their own request;
- `@requires(cap, ...)` guards a view: signed in, and holding at least one of the caps,
  else 403;
- `get_visible_person()` fetches one person in scope (404 otherwise, so ids cannot be
  probed) and audits the read.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, TextChoices
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from campuscode.people.models import OrgUnit, Person, Role, RoleAssignment


class Cap(TextChoices):
    VIEW_PEOPLE = "people.view", _("View people")
    EDIT_PEOPLE = "people.edit", _("Edit people")
    IMPORT_PEOPLE = "people.import", _("Import rosters")
    REVEAL = "people.reveal", _("Reveal contact details")
    VIEW_HEALTH = "health.view", _("View health check-ins")
    MANAGE_HEALTH = "health.manage", _("Manage health status and isolation")
    FOLLOW_CASES = "health.follow", _("Follow up health cases")
    APPROVE_REQUESTS = "requests.approve", _("Approve advance reports and make-ups")
    DECIDE_VISITORS = "visitors.decide", _("Decide visitor applications")
    VIEW_GATES = "gates.view", _("View gate events")
    MANAGE_GATES = "gates.manage", _("Manage gates")
    VIEW_AUDIT = "audit.view", _("Read the audit log")
    MANAGE_SETTINGS = "settings.manage", _("Edit the school rules")
    MANAGE_ACCOUNTS = "accounts.manage", _("Manage accounts and roles")
    SECURITY_ALERTS = "security.alerts", _("Receive security alerts")
    # backups: the backup status page, backing up and verifying on demand
    MANAGE_BACKUPS = "backups.manage", _("Run and watch the backups")
    # supervision (R7)
    INSPECT = "supervision.inspect", _("Inspect and issue rectification notices")
    RECTIFY = "supervision.rectify", _("Answer rectification notices")
    # attendance (issue 11)
    TAKE_ATTENDANCE = "attendance.take", _("Take class attendance")
    VIEW_ATTENDANCE = "attendance.view", _("View attendance")
    MANAGE_TIMETABLE = "attendance.timetable", _("Import timetables and generate sessions")
    APPROVE_ATTENDANCE = "attendance.approve", _("Approve late attendance corrections")
    # events (R2.5)
    RUN_EVENTS = "events.run", _("Organise events and sign people in")
    # Violations (R8): report a case from evidence, read cases on a need-to-know basis,
    # decide, review appeals, and see the school's decisions in numbers.
    REPORT_VIOLATIONS = "violations.report", _("Report a violation")
    VIEW_VIOLATIONS = "violations.view", _("Read violation cases")
    DECIDE_VIOLATIONS = "violations.decide", _("Decide violation cases")
    REVIEW_APPEALS = "violations.review", _("Review appeals against decisions")
    VIOLATION_STATS = "violations.stats", _("See decisions by type, unit and step")


ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    # R4.2, R4.6: the class adviser approves their class's reports and make-ups.
    Role.CLASS_ADVISER: frozenset(
        {Cap.VIEW_PEOPLE, Cap.REVEAL, Cap.VIEW_HEALTH, Cap.APPROVE_REQUESTS}
    ),
    Role.TEACHER: frozenset({Cap.VIEW_PEOPLE}),
    Role.DEPARTMENT_ADMIN: frozenset(
        {
            Cap.VIEW_PEOPLE,
            Cap.EDIT_PEOPLE,
            Cap.IMPORT_PEOPLE,
            Cap.REVEAL,
            Cap.VIEW_HEALTH,
            Cap.APPROVE_REQUESTS,
            Cap.FOLLOW_CASES,  # R5.3: the person's department leadership follows up too
            Cap.DECIDE_VISITORS,  # R3.3: the managing department decides its visitors
        }
    ),
    Role.HR: frozenset(
        {Cap.VIEW_PEOPLE, Cap.EDIT_PEOPLE, Cap.IMPORT_PEOPLE, Cap.REVEAL, Cap.DECIDE_VISITORS}
    ),
    Role.HEALTH_OFFICE: frozenset(
        {Cap.VIEW_PEOPLE, Cap.REVEAL, Cap.VIEW_HEALTH, Cap.MANAGE_HEALTH, Cap.FOLLOW_CASES}
    ),
    Role.GATE_STAFF: frozenset({Cap.VIEW_GATES, Cap.MANAGE_GATES}),
    Role.SUPERVISION: frozenset({Cap.VIEW_PEOPLE, Cap.VIEW_HEALTH, Cap.VIEW_AUDIT, Cap.VIEW_GATES}),
    # Separation of duties: the system admin runs accounts, settings and devices, reads no
    # health data and not the audit log of their own actions; a health-scoped role is
    # granted only by another admin, audited.
    Role.SYSTEM_ADMIN: frozenset(
        {
            Cap.VIEW_PEOPLE,
            Cap.EDIT_PEOPLE,
            Cap.IMPORT_PEOPLE,
            Cap.REVEAL,
            Cap.MANAGE_SETTINGS,
            Cap.MANAGE_ACCOUNTS,
            Cap.MANAGE_GATES,
            Cap.VIEW_GATES,
            Cap.DECIDE_VISITORS,
            Cap.MANAGE_BACKUPS,  # backups
        }
    ),
    Role.SECURITY_ADMIN: frozenset({Cap.VIEW_AUDIT, Cap.SECURITY_ALERTS}),
    Role.AUDITOR: frozenset({Cap.VIEW_AUDIT}),
    # attendance (issue 11): the academic office runs the timetable and reads attendance.
    Role.ACADEMIC_OFFICE: frozenset({Cap.MANAGE_TIMETABLE, Cap.VIEW_ATTENDANCE}),
    # events (R2.5): their unit's events, the door scanners, and who attended them
    Role.EVENT_ORGANISER: frozenset({Cap.RUN_EVENTS}),
}
# supervision (R7.1, R7.5): the group inspects; a department's leadership answers its notices.
ROLE_CAPABILITIES[Role.SUPERVISION] |= {Cap.INSPECT}
ROLE_CAPABILITIES[Role.DEPARTMENT_ADMIN] |= {Cap.RECTIFY}

# attendance (issue 11): a teacher takes attendance of their own sessions; advisers read
# their class's, department admins their department's (and approve late corrections); the
# supervision group spot-checks (R7.3).
ROLE_CAPABILITIES[Role.TEACHER] |= {Cap.TAKE_ATTENDANCE}
ROLE_CAPABILITIES[Role.CLASS_ADVISER] |= {Cap.VIEW_ATTENDANCE}
ROLE_CAPABILITIES[Role.DEPARTMENT_ADMIN] |= {Cap.VIEW_ATTENDANCE, Cap.APPROVE_ATTENDANCE}
ROLE_CAPABILITIES[Role.SUPERVISION] |= {Cap.VIEW_ATTENDANCE}

# HR's duty covers staff records, not students' (nor visitors': they are decided by unit).
ROLE_PERSON_KINDS: dict[str, frozenset[str]] = {
    Role.HR: frozenset({Person.Kind.STAFF, Person.Kind.TEMPORARY}),
}

# Duties that decide about a person: nobody holds them over themself (their own reports,
# cases, isolation or visitor decisions go to someone else), whatever their scope.
NOT_OVER_ONESELF = frozenset(
    {Cap.APPROVE_REQUESTS, Cap.FOLLOW_CASES, Cap.MANAGE_HEALTH, Cap.DECIDE_VISITORS}
)

# Capabilities that read other people's data: their holders need a second factor and
# sign out when idle.
READS_OTHERS = frozenset(
    {Cap.VIEW_PEOPLE, Cap.VIEW_HEALTH, Cap.VIEW_GATES, Cap.VIEW_AUDIT, Cap.FOLLOW_CASES}
    | {Cap.RUN_EVENTS}  # events: attendance lists of the unit's events
)


# Violations (R8): need-to-know. The person's adviser and department leadership read the
# case; the deciding office decides; the appeals committee reads appealed cases only
# (violations.selectors); those who meet the evidence (advisers, health office, gate
# staff, the supervision group) may report, and reporting shows them nothing afterwards.
ROLE_CAPABILITIES[Role.CLASS_ADVISER] |= {Cap.REPORT_VIOLATIONS, Cap.VIEW_VIOLATIONS}
ROLE_CAPABILITIES[Role.DEPARTMENT_ADMIN] |= {Cap.REPORT_VIOLATIONS, Cap.VIEW_VIOLATIONS}
ROLE_CAPABILITIES[Role.HEALTH_OFFICE] |= {Cap.REPORT_VIOLATIONS}
ROLE_CAPABILITIES[Role.GATE_STAFF] |= {Cap.REPORT_VIOLATIONS}
ROLE_CAPABILITIES[Role.SUPERVISION] |= {Cap.REPORT_VIOLATIONS, Cap.VIOLATION_STATS}
ROLE_CAPABILITIES[Role.DISCIPLINE_OFFICE] = frozenset(
    {Cap.REPORT_VIOLATIONS, Cap.VIEW_VIOLATIONS, Cap.DECIDE_VIOLATIONS, Cap.VIOLATION_STATS}
)
ROLE_CAPABILITIES[Role.APPEALS_COMMITTEE] = frozenset({Cap.REVIEW_APPEALS, Cap.VIOLATION_STATS})
NOT_OVER_ONESELF |= {Cap.DECIDE_VIOLATIONS, Cap.REVIEW_APPEALS}
READS_OTHERS |= {Cap.VIEW_VIOLATIONS, Cap.REVIEW_APPEALS}


def assignments(user) -> list[RoleAssignment]:
    """The user's role assignments, read once per request (cached on the user object)."""
    if user is None or not user.is_authenticated:
        return []
    cached = getattr(user, "_campuscode_roles", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user).select_related("org_unit"))
        user._campuscode_roles = cached
    return cached


def forget_roles(user) -> None:
    """Drop the cached assignments after a grant or revoke in the same request."""
    if hasattr(user, "_campuscode_roles"):
        del user._campuscode_roles


def roles_of(user) -> set[str]:
    return {a.role for a in assignments(user)}


def capabilities_of(user) -> set[str]:
    return {cap for a in assignments(user) for cap in ROLE_CAPABILITIES[a.role]}


def has_capability(user, capability: str) -> bool:
    return any(capability in ROLE_CAPABILITIES[a.role] for a in assignments(user))


def reads_others(user) -> bool:
    """True for accounts whose duties read other people's data (second factor, idle logout)."""
    return bool(capabilities_of(user) & READS_OTHERS)


def units_for(user, capability: str) -> list[OrgUnit]:
    """The org units at the top of the user's scope for `capability`."""
    return [a.org_unit for a in assignments(user) if capability in ROLE_CAPABILITIES[a.role]]


def outermost_units(user, capability: str) -> list[OrgUnit]:
    """The units at the top of the user's scope for `capability`, outermost first, those
    inside another one left out (a college admin who also advises one of its classes has
    one subtree, not two)."""
    tops = sorted(units_for(user, capability), key=lambda u: (u.path.count("/"), u.path))
    kept: list[OrgUnit] = []
    for unit in tops:
        if not any(unit.path.startswith(other.path) for other in kept):
            kept.append(unit)
    return kept


def units_under(user, capability: str) -> QuerySet[OrgUnit]:
    """Every org unit inside the user's scope for `capability`, subtrees included."""
    q = Q(pk__in=[])
    for unit in units_for(user, capability):
        q |= Q(path__startswith=unit.path)
    return OrgUnit.objects.filter(q).select_related("parent").order_by("path")


def is_school_wide(user, capability: str) -> bool:
    return any(unit.parent_id is None for unit in units_for(user, capability))


def kinds_for(user, capability: str) -> set[str]:
    """The person kinds the user's roles holding `capability` cover (HR: staff/temporary)."""
    kinds: set[str] = set()
    for a in assignments(user):
        if capability in ROLE_CAPABILITIES[a.role]:
            kinds |= ROLE_PERSON_KINDS.get(a.role, set(Person.Kind.values))
    return kinds


def scope_q(user, capability: str, *, unit: str = "org_unit", kind: str | None = "kind") -> Q:
    """The rows `capability` covers for `user`, over a model whose unit is `unit` (a path to
    an OrgUnit) and whose person kind is `kind` (None where rows have no person kind)."""
    q = Q(pk__in=[])
    for a in assignments(user):
        if capability not in ROLE_CAPABILITIES[a.role]:
            continue
        part = Q(**{f"{unit}__path__startswith": a.org_unit.path})
        if kind is not None and (kinds := ROLE_PERSON_KINDS.get(a.role)):
            part &= Q(**{f"{kind}__in": kinds})
        q |= part
    return q


def covers(user, capability: str, person: Person) -> bool:
    """Whether `capability` reaches `person` for `user` (a deciding duty never reaches
    the user themself)."""
    if capability in NOT_OVER_ONESELF and person.user_id is not None and person.user_id == user.pk:
        return False
    path = person.org_unit.path
    return any(
        capability in ROLE_CAPABILITIES[a.role]
        and path.startswith(a.org_unit.path)
        and person.kind in ROLE_PERSON_KINDS.get(a.role, Person.Kind.values)
        for a in assignments(user)
    )


def covers_unit(user, capability: str, unit: OrgUnit) -> bool:
    return any(unit.path.startswith(top.path) for top in units_for(user, capability))


def holders_over(person: Person, *capabilities: str):
    """Active accounts whose role holds every one of `capabilities` over the person's unit
    (whom to alert: FOLLOW_CASES alone is the health office and the department
    leadership; with APPROVE_REQUESTS too, the department leadership only)."""
    from django.contrib.auth.models import User

    ids = [int(part) for part in person.org_unit.path.strip("/").split("/")]
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if caps.issuperset(capabilities)]
    return User.objects.filter(
        roles__role__in=roles, roles__org_unit_id__in=ids, is_active=True
    ).distinct()


def requires(*capabilities: str) -> Callable:
    """View decorator: signed in (else the sign-in page) and holding one of the
    capabilities (else 403)."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not any(has_capability(request.user, cap) for cap in capabilities):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate


def deny_unless(user, *capabilities: str) -> None:
    """The same check as `requires`, for a view that decides inside (e.g. by method)."""
    if not any(has_capability(user, cap) for cap in capabilities):
        raise PermissionDenied


def people_visible_to(
    user, capability: str = Cap.VIEW_PEOPLE, *, include_self: bool = True
) -> QuerySet[Person]:
    return Person.objects.visible_to(user, capability, include_own=include_self).select_related(
        "org_unit", "school"
    )


def get_visible_person(
    *,
    actor,
    pk,
    capability: str = Cap.VIEW_PEOPLE,
    action: str = "people.profile.viewed",
    client_ip=None,
) -> Person:
    """The person `pk` if the actor's scope covers them, else 404 (never 403: no probing
    ids). A read of someone else's record is written to the audit log."""
    from campuscode.audit.services import log_action

    try:
        person = people_visible_to(actor, capability).get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if person.user_id != actor.pk:
        log_action(
            actor=actor,
            client_ip=client_ip,
            action=action,
            subject=person,
        )
    return person
