"""Reads of this app, always through the role scope of the user (R6.6)."""

from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from campuscode.core.rules import get_setting
from campuscode.followup.models import (
    AdvanceReport,
    Decision,
    FollowupCase,
    Isolation,
    MakeupRequest,
    ManualRegistration,
    VisitorApplication,
)
from campuscode.people.access import Cap, scope_q


def excused_in_window(day: date, period: str, person_ids: list[int]) -> dict[int, str]:
    """The excuse provider of checkins' lists: approved advance reports covering the window."""
    reports = AdvanceReport.objects.filter(
        person_id__in=person_ids,
        state=Decision.APPROVED,
        first_day__lte=day,
        last_day__gte=day,
    ).values_list("person_id", "periods", "reason")
    return {pk: reason for pk, periods, reason in reports if period in periods}


def pending_reports(user) -> QuerySet[AdvanceReport]:
    return (
        AdvanceReport.objects.filter(state=Decision.PENDING)
        .visible_to(user, Cap.APPROVE_REQUESTS)
        .select_related("person", "person__org_unit", "person__org_unit__parent")
    )


def pending_makeups(user) -> QuerySet[MakeupRequest]:
    return (
        MakeupRequest.objects.filter(state=Decision.PENDING)
        .visible_to(user, Cap.APPROVE_REQUESTS)
        .select_related("person", "person__org_unit", "person__org_unit__parent")
    )


def decided_recently(user, *, limit: int = 30) -> list:
    reports = (
        AdvanceReport.objects.exclude(state=Decision.PENDING)
        .visible_to(user, Cap.APPROVE_REQUESTS)
        .select_related("person", "decided_by")[:limit]
    )
    makeups = (
        MakeupRequest.objects.exclude(state=Decision.PENDING)
        .visible_to(user, Cap.APPROVE_REQUESTS)
        .select_related("person", "decided_by")[:limit]
    )
    items = [*reports, *makeups]
    items.sort(key=lambda i: i.decided_at or timezone.now(), reverse=True)
    return items[:limit]


def pending_count(user) -> int:
    return pending_reports(user).count() + pending_makeups(user).count()


def pending_visitor_applications(user) -> QuerySet[VisitorApplication]:
    return (
        VisitorApplication.objects.visible_to(user, Cap.DECIDE_VISITORS, include_own=True)
        .filter(state=Decision.PENDING)
        .exclude(applied_by=user)
        .select_related("host_unit", "applied_by")
    )


def visitor_applications(user) -> QuerySet[VisitorApplication]:
    return VisitorApplication.objects.visible_to(
        user, Cap.DECIDE_VISITORS, include_own=True
    ).select_related("host_unit", "applied_by", "decided_by", "person")


def cases_visible_to(user) -> QuerySet[FollowupCase]:
    return FollowupCase.objects.visible_to(user, Cap.FOLLOW_CASES).select_related(
        "person", "person__org_unit", "person__org_unit__parent"
    )


def isolations_visible_to(user) -> QuerySet[Isolation]:
    return Isolation.objects.visible_to(user, Cap.MANAGE_HEALTH).select_related(
        "person", "person__org_unit", "person__org_unit__parent"
    )


def manual_over_limit(user, *, now: datetime | None = None) -> list[dict]:
    """People in the user's approver or case scope over the manual registration limit."""
    now = now or timezone.now()
    since = now - timedelta(days=get_setting("followup_manual_period_days"))
    limit = get_setting("followup_manual_limit")
    scope = scope_q(
        user, Cap.APPROVE_REQUESTS, unit="person__org_unit", kind="person__kind"
    ) | scope_q(user, Cap.FOLLOW_CASES, unit="person__org_unit", kind="person__kind")
    rows = (
        ManualRegistration.objects.filter(scope, created_at__gt=since)
        .values("person_id", "person__name", "person__number", "person__org_unit__name")
        .annotate(n=Count("pk"))
        .filter(n__gt=limit)
        .order_by("-n")
    )
    return list(rows)


def open_cases_count(user) -> int:
    return cases_visible_to(user).exclude(state="closed").count()


def my_items(person, *, limit: int = 20) -> dict:
    return {
        "reports": list(person.advance_reports.select_related("decided_by")[:limit]),
        "makeups": list(person.makeup_requests.select_related("decided_by")[:limit]),
        "cases": list(person.followup_cases.all()[:limit]),
        "isolations": list(person.isolations.filter(Q(ended_at__isnull=True))[:5]),
    }
