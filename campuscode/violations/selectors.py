"""Reads of violation cases, through the one access layer (need-to-know, R8)."""

from collections import Counter, defaultdict

from django.db.models import Q, QuerySet

from campuscode.casework.evidence import evidence_of
from campuscode.people.access import Cap, has_capability, scope_q
from campuscode.violations.models import LADDER, Step, ViolationCase


def visible_cases(user) -> QuerySet[ViolationCase]:
    """The cases `user` may read: their adviser and department leadership
    (VIEW_VIOLATIONS over the person's unit), the deciding office (school-wide), the
    appeals committee for appealed cases only, and the person themself once notified.
    Cases past retention have left the active history; only the deciding office still
    finds them."""
    if not user.is_authenticated:
        return ViolationCase.objects.none()
    unit, kind = "person__org_unit", "person__kind"
    staff = scope_q(user, Cap.VIEW_VIOLATIONS, unit=unit, kind=kind)
    staff |= scope_q(user, Cap.REVIEW_APPEALS, unit=unit, kind=kind) & Q(appealed_at__isnull=False)
    staff &= ~Q(person__user=user)
    own = Q(person__user=user, notified_at__isnull=False)
    cases = ViolationCase.objects.filter(staff | own)
    if not has_capability(user, Cap.DECIDE_VIOLATIONS):
        cases = cases.active()
    return cases.select_related("person__org_unit", "unit", "school")


def appealed_cases(user) -> QuerySet[ViolationCase]:
    """What the appeals committee works on: appealed cases in its scope."""
    q = scope_q(user, Cap.REVIEW_APPEALS, unit="person__org_unit", kind="person__kind")
    return (
        ViolationCase.objects.active()
        .filter(q, appealed_at__isnull=False)
        .exclude(person__user=user)
        .select_related("person__org_unit", "unit", "school")
    )


def own_cases(user) -> QuerySet[ViolationCase]:
    return (
        ViolationCase.objects.active()
        .filter(person__user=user, notified_at__isnull=False)
        .select_related("person")
        .order_by("-opened_at")
    )


def evidence(case: ViolationCase) -> list:
    return list(evidence_of(case.owner_ref).order_by("applies_on", "id"))


def consistency(user) -> dict:
    """Decisions in force by type × step and by unit × step, with the share that departed
    from the proposal: so disproportion shows. Counts only, no names."""
    q = scope_q(user, Cap.VIOLATION_STATS, unit="person__org_unit", kind="person__kind")
    cases = list(
        ViolationCase.objects.active()
        .filter(q)
        .exclude(step="")
        .select_related("unit__parent")
        .prefetch_related("decisions")
    )
    steps = [Step.NONE, *LADDER, Step.FINE]
    by_type: dict[str, Counter] = defaultdict(Counter)
    by_unit: dict[str, Counter] = defaultdict(Counter)
    deviations: Counter = Counter()
    for case in cases:
        by_type[case.vtype][case.step] += 1
        college = case.unit if case.unit.kind != "class" else case.unit.parent
        by_unit[college.name][case.step] += 1
        latest = list(case.decisions.all())[-1:]
        if latest and latest[0].deviation_reason:
            deviations[case.vtype] += 1
    return {
        "steps": steps,
        "by_type": by_type,
        "by_unit": dict(sorted(by_unit.items())),
        "deviations": deviations,
        "total": len(cases),
    }
