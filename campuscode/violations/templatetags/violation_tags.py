"""`{% if request.user|may_report_violations %}`: whether to offer "report a violation"."""

from django import template

from campuscode.people.access import Cap, has_capability

register = template.Library()


@register.filter
def may_report_violations(user) -> bool:
    return has_capability(user, Cap.REPORT_VIOLATIONS)
