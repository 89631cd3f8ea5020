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
from campuscode.people.access import Cap, scope_q, units_for


def excused_in_window(day: date, period: str, person_ids: list[int]) -> dict[int, str]:
    """The excuse provider of check-in reminders: who need not check in in one window."""
    return {
        pk: note
        for pk, _day, _period, note in excuses_between(
            first=day, last=day, people=person_ids, periods=(period,)
        )
    }


def excuses_between(*, first: date, last: date, people, periods=None):
    """The windows from `first` to `last` that people need not check in (R4.2, R5.5): an
    approved advance report for the window, or an isolation or medical observation on
    the day (its person sends health reports instead). `people` is a list of ids or a
    Person queryset. Yields (person id, day, period, note); periods None = every period.

    After a person reported back (销假) a report's window is excused only if it had closed
    by then: the rest of the report no longer applies."""
    from campuscode.checkins.models import Period

    periods = tuple(periods or Period.values)
    reports = AdvanceReport.objects.filter(
        person_id__in=people, state=Decision.APPROVED, first_day__lte=last, last_day__gte=first
    ).values_list(
        "person_id",
        "first_day",
        "last_day",
        "periods",
        "reason",
        "returned_at",
        "person__kind",
        "person__school_id",
    )
    for pk, start, end, covered, reason, returned_at, kind, school_id in reports:
        day = max(start, first)
        while day <= min(end, last):
            for period in periods:
                if period not in covered:
                    continue
                if returned_at is not None and not _closed_before(
                    day, period, returned_at, kind, school_id
                ):
                    continue
                yield pk, day, period, reason
            day += timedelta(days=1)
    isolations = Isolation.objects.filter(person_id__in=people, starts_on__lte=last).exclude(
        ended_at__date__lt=first
    )
    for iso in isolations.only("person_id", "kind", "starts_on", "ended_at"):
        # An isolation lasts until it is ended (the planned day may pass); the day it
        # ends is still excused.
        end = timezone.localdate(iso.ended_at) if iso.ended_at else last
        day = max(iso.starts_on, first)
        while day <= min(end, last):
            for period in periods:
                yield iso.person_id, day, period, str(iso.get_kind_display())
            day += timedelta(days=1)


def _closed_before(day: date, period: str, moment: datetime, kind: str, school_id) -> bool:
    if day > timezone.localdate(moment):
        return False
    if day < timezone.localdate(moment):
        return True
    from campuscode.checkins.windows import windows_on

    window = next(
        (w for w in windows_on(day, kind=kind, school_id=school_id) if w.period == period), None
    )
    return window is not None and window.end <= moment


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


def makeup_checkins(makeups) -> dict:
    """For pending make-ups: the check-in their window has after all, by make-up id.

    A make-up with one cannot be approved (the window is not missed); the queue says so
    and offers to close it instead of leaving it stuck."""
    from campuscode.checkins.models import Checkin

    if not makeups:
        return {}
    rows = (
        Checkin.objects.effective()
        .filter(
            person_id__in={m.person_id for m in makeups},
            day__in={m.day for m in makeups},
        )
        .select_related("point", "recorded_by__person__org_unit")
        .order_by("-at")
    )
    found = {(c.person_id, c.day, c.period): c for c in rows}  # the earliest wins
    return {
        m.pk: found[(m.person_id, m.day, m.period)]
        for m in makeups
        if (m.person_id, m.day, m.period) in found
    }


def decided_recently(user, *, limit: int = 30) -> list:
    reports = (
        AdvanceReport.objects.exclude(state=Decision.PENDING)
        .visible_to(user, Cap.APPROVE_REQUESTS)
        .select_related("person", "decided_by__person__org_unit")[:limit]
    )
    makeups = (
        MakeupRequest.objects.exclude(state=Decision.PENDING)
        .visible_to(user, Cap.APPROVE_REQUESTS)
        .select_related("person", "decided_by__person__org_unit")[:limit]
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
    scope = scope_q(
        user, Cap.APPROVE_REQUESTS, unit="person__org_unit", kind="person__kind"
    ) | scope_q(user, Cap.FOLLOW_CASES, unit="person__org_unit", kind="person__kind")
    schools = {
        unit.school_id
        for cap in (Cap.APPROVE_REQUESTS, Cap.FOLLOW_CASES)
        for unit in units_for(user, cap)
    }
    rows = []
    for school_id in sorted(schools):  # each school's limit and period for its people
        since = now - timedelta(days=get_setting("followup_manual_period_days", school_id))
        rows += (
            ManualRegistration.objects.filter(
                scope, person__school_id=school_id, created_at__gt=since
            )
            .values("person_id", "person__name", "person__number", "person__org_unit__name")
            .annotate(n=Count("pk"))
            .filter(n__gt=get_setting("followup_manual_limit", school_id))
        )
    return sorted(rows, key=lambda row: -row["n"])


def open_cases_count(user) -> int:
    return cases_visible_to(user).exclude(state="closed").count()


def my_items(person, *, limit: int = 20) -> dict:
    return {
        "reports": list(
            person.advance_reports.select_related("decided_by__person__org_unit")[:limit]
        ),
        "makeups": list(
            person.makeup_requests.select_related("decided_by__person__org_unit")[:limit]
        ),
        "cases": list(person.followup_cases.all()[:limit]),
        "isolations": list(person.isolations.filter(Q(ended_at__isnull=True))[:5]),
    }
