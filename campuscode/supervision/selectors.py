"""Supervision reads, always through the access layer: the group (INSPECT) sees what its
scope covers; a department (RECTIFY) sees only its own unit's notices."""

from django.db.models import Count, Q
from django.utils import timezone

from campuscode.people.access import Cap, has_capability
from campuscode.supervision.models import Finding, InspectionPlan, Notice, NoticeState


def notices_for(user):
    caps = [cap for cap in (Cap.INSPECT, Cap.RECTIFY) if has_capability(user, cap)]
    q = Notice.objects.none()
    for cap in caps:
        q = q | Notice.objects.visible_to(user, cap)
    return q.distinct().select_related("finding", "unit", "finding__responsible")


def findings_for(user):
    return Finding.objects.visible_to(user, Cap.INSPECT).select_related(
        "unit", "plan", "notice", "responsible"
    )


def plans_for(user):
    from campuscode.people.access import units_for

    schools = {unit.path.strip("/").split("/")[0] for unit in units_for(user, Cap.INSPECT)}
    return InspectionPlan.objects.filter(school_id__in=[int(s) for s in schools])


def responsibility(notices) -> list[dict]:
    """责任清单: per responsible unit, notices open, overdue and closed."""
    now = timezone.now()
    rows = (
        notices.values("unit__id", "unit__name")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=~Q(state=NoticeState.CLOSED)),
            overdue=Count("id", filter=~Q(state=NoticeState.CLOSED) & Q(deadline__lt=now)),
            closed=Count("id", filter=Q(state=NoticeState.CLOSED)),
        )
        .order_by("unit__name")
    )
    return list(rows)


def checks_under_way(user, now=None) -> list[dict]:
    """Spot checks of the user's units (RECTIFY) that have started (R7.3): a unit learns
    it is being checked at the start time, never before, and never the seed."""
    from campuscode.people.access import covers_unit
    from campuscode.people.models import OrgUnit
    from campuscode.supervision.models import PlanKind, SpotDraw

    if not has_capability(user, Cap.RECTIFY):
        return []
    now = now or timezone.now()
    rows = []
    draws = SpotDraw.objects.filter(
        plan__kind=PlanKind.SPOT, plan__starts_at__lte=now
    ).select_related("plan")
    for draw in draws:
        units = [
            u
            for u in OrgUnit.objects.filter(pk__in=draw.units)
            if covers_unit(user, Cap.RECTIFY, u)
        ]
        if units:
            rows.append({"title": draw.plan.title, "since": draw.plan.starts_at, "units": units})
    return rows


def draw_hidden_from(user, plan, now=None) -> bool:
    """Before the start, a group member recused from the draw (from a unit checked) does
    not see which units were drawn, nor the seed."""
    draw = getattr(plan, "draw", None)
    now = now or timezone.now()
    return bool(draw) and now < plan.starts_at and user.pk in draw.recused
