"""Reads of violation cases, through the one access layer (need-to-know, R8)."""

from collections import Counter, defaultdict

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, When

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
    cases = ViolationCase.objects.active().filter(q).exclude(step="").order_by()
    steps = [Step.NONE, *LADDER, Step.FINE]
    by_type: dict[str, Counter] = defaultdict(Counter)
    by_unit: dict[str, Counter] = defaultdict(Counter)
    deviations: Counter = Counter()
    total = 0
    departed = Sum(Case(When(departed=True, then=1), default=0, output_field=IntegerField()))
    for row in cases.values("vtype", "step").annotate(n=Count("pk"), n_departed=departed):
        by_type[row["vtype"]][row["step"]] += row["n"]
        deviations[row["vtype"]] += row["n_departed"] or 0
        total += row["n"]
    # A class counts under its college: units compare at the level that decides alike.
    rows = cases.values("unit__kind", "unit__name", "unit__parent__name", "step").annotate(
        n=Count("pk")
    )
    for row in rows:
        name = row["unit__parent__name"] if row["unit__kind"] == "class" else row["unit__name"]
        by_unit[name][row["step"]] += row["n"]
    return {
        "steps": steps,
        "by_type": by_type,
        "by_unit": dict(sorted(by_unit.items())),
        "deviations": deviations,
        "total": total,
    }
