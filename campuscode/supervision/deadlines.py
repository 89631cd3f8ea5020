"""Open rectification notices as items of the casework engine's reminders (R7.5)."""

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from campuscode.casework.registry import OpenItem, key_of, unit_heads
from campuscode.people.models import Role
from campuscode.supervision.models import Notice, NoticeState


def group_leads(school) -> list[User]:
    """The group lead: supervision members appointed over the whole school."""
    return list(
        User.objects.filter(
            roles__role=Role.SUPERVISION, roles__org_unit=school, is_active=True
        ).distinct()
    )


def open_notices(now):
    """Every notice the department still has to act on (awaiting the group's verification
    or decision, it is not the department's to be reminded of)."""
    waiting = [NoticeState.ISSUED, NoticeState.ACKNOWLEDGED, NoticeState.REOPENED]
    notices = Notice.objects.filter(state__in=waiting).select_related(
        "unit", "finding__responsible", "finding__school"
    )
    for notice in notices:
        heads = unit_heads(notice.unit)
        responsible = [notice.finding.responsible] if notice.finding.responsible else heads
        yield OpenItem(
            key=key_of(notice),
            deadline=notice.deadline,
            issued_at=notice.issued_at,
            text=_text(notice),
            url=reverse("supervision:notice", args=[notice.pk]),
            responsible=responsible,
            escalation=[heads, group_leads(notice.finding.school)],
            school=notice.finding.school,
        )


def _text(notice) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Rectification notice %(number)s (%(unit)s)") % {
            "number": notice.number,
            "unit": notice.unit.name,
        }
