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
    Notification,
    VisitorApplication,
)
from campuscode.followup.permissions import (
    APPROVER_ROLES,
    CASE_ROLES,
    HEALTH_ROLES,
    VISITOR_ROLES,
    role_q,
)


def excused_in_window(day: date, period: str, person_ids: list[int]) -> dict[int, str]:
    """The excuse provider of checkins' lists: approved advance reports covering the window."""
    reports = AdvanceReport.objects.filter(
        person_id__in=person_ids,
        state=Decision.APPROVED,
        first_day__lte=day,
        last_day__gte=day,
    ).values_list("person_id", "periods", "reason")
    return {pk: reason for pk, periods, reason in reports if period in periods}


def _in_scope(qs: QuerySet, user, roles) -> QuerySet:
    return qs.filter(role_q(user, roles, unit_field="person__org_unit")).exclude(person__user=user)


def pending_reports(user) -> QuerySet[AdvanceReport]:
    return _in_scope(
        AdvanceReport.objects.filter(state=Decision.PENDING), user, APPROVER_ROLES
    ).select_related("person", "person__org_unit", "person__org_unit__parent")


def pending_makeups(user) -> QuerySet[MakeupRequest]:
    return _in_scope(
        MakeupRequest.objects.filter(state=Decision.PENDING), user, APPROVER_ROLES
    ).select_related("person", "person__org_unit", "person__org_unit__parent")


def decided_recently(user, *, limit: int = 30) -> list:
    reports = _in_scope(
        AdvanceReport.objects.exclude(state=Decision.PENDING), user, APPROVER_ROLES
    ).select_related("person", "decided_by")[:limit]
    makeups = _in_scope(
        MakeupRequest.objects.exclude(state=Decision.PENDING), user, APPROVER_ROLES
    ).select_related("person", "decided_by")[:limit]
    items = [*reports, *makeups]
    items.sort(key=lambda i: i.decided_at or timezone.now(), reverse=True)
    return items[:limit]


def pending_count(user) -> int:
    return pending_reports(user).count() + pending_makeups(user).count()


def pending_visitor_applications(user) -> QuerySet[VisitorApplication]:
    return (
        VisitorApplication.objects.filter(role_q(user, VISITOR_ROLES, unit_field="host_unit"))
        .filter(state=Decision.PENDING)
        .exclude(applied_by=user)
        .select_related("host_unit", "applied_by")
    )


def visitor_applications(user) -> QuerySet[VisitorApplication]:
    return VisitorApplication.objects.filter(
        role_q(user, VISITOR_ROLES, unit_field="host_unit")
    ).select_related("host_unit", "applied_by", "decided_by", "person")


def cases_visible_to(user) -> QuerySet[FollowupCase]:
    return _in_scope(FollowupCase.objects.all(), user, CASE_ROLES).select_related(
        "person", "person__org_unit", "person__org_unit__parent"
    )


def isolations_visible_to(user) -> QuerySet[Isolation]:
    return _in_scope(Isolation.objects.all(), user, HEALTH_ROLES).select_related(
        "person", "person__org_unit", "person__org_unit__parent"
    )


def manual_over_limit(user, *, now: datetime | None = None) -> list[dict]:
    """People in the user's approver or case scope over the manual registration limit."""
    now = now or timezone.now()
    since = now - timedelta(days=get_setting("followup_manual_period_days"))
    limit = get_setting("followup_manual_limit")
    scope = role_q(user, APPROVER_ROLES | CASE_ROLES, unit_field="person__org_unit")
    rows = (
        ManualRegistration.objects.filter(scope, created_at__gt=since)
        .values("person_id", "person__name", "person__number", "person__org_unit__name")
        .annotate(n=Count("pk"))
        .filter(n__gt=limit)
        .order_by("-n")
    )
    return list(rows)


def unseen_notifications(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, seen_at__isnull=True).order_by("created_at"))


def open_cases_count(user) -> int:
    return cases_visible_to(user).exclude(state="closed").count()


def my_items(person, *, limit: int = 20) -> dict:
    return {
        "reports": list(person.advance_reports.select_related("decided_by")[:limit]),
        "makeups": list(person.makeup_requests.select_related("decided_by")[:limit]),
        "cases": list(person.followup_cases.all()[:limit]),
        "isolations": list(person.isolations.filter(Q(ended_at__isnull=True))[:5]),
    }
