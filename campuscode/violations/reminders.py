"""What the casework engine reminds about (R8.2): the person's statement window (a right,
so it is never escalated), and the committee's review deadline (escalated to the deciding
office when overdue)."""

from collections.abc import Iterator
from datetime import datetime

from django.utils.translation import gettext as _

from campuscode.casework.registry import OpenItem
from campuscode.people.access import Cap, holders_over
from campuscode.violations.models import EventKind, State, ViolationCase


def statements_due(now: datetime) -> Iterator[OpenItem]:
    cases = (
        ViolationCase.objects.filter(state=State.NOTIFIED, person__user__isnull=False)
        .exclude(events__kind__in=[EventKind.STATEMENT, EventKind.SELF_REVIEW, EventKind.WAIVED])
        .select_related("person", "school")
        .distinct()
    )
    for case in cases:
        yield OpenItem(
            key=case.owner_ref,
            deadline=case.statement_due,
            issued_at=case.notified_at,
            text=_("Your statement in a violation case (%(type)s)")
            % {"type": case.get_vtype_display()},
            url=f"/violations/{case.pk}/",
            responsible=[case.person.user],
            escalation=(),
            school=case.school,
        )


def reviews_due(now: datetime) -> Iterator[OpenItem]:
    cases = ViolationCase.objects.filter(state=State.APPEALED).select_related(
        "person__org_unit", "school"
    )
    for case in cases:
        person = case.person
        committee = [u for u in holders_over(person, Cap.REVIEW_APPEALS) if u.pk != person.user_id]
        office = [u for u in holders_over(person, Cap.DECIDE_VIOLATIONS) if u.pk != person.user_id]
        yield OpenItem(
            key=f"{case.owner_ref}:review",
            deadline=case.review_due,
            issued_at=case.appealed_at,
            text=_("Review of an appeal by %(name)s") % {"name": person.name},
            url=f"/violations/{case.pk}/",
            responsible=committee,
            escalation=[office],
            school=case.school,
        )
