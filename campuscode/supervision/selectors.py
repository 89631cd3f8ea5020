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
