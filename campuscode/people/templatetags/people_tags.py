"""`{{ user|person_label }}`: who did something, as staff know them.

Approvers, registrars, uploaders and handlers are accounts; what a reader recognises is
the person behind the account and their unit ("王芳（高一(3)班）"), never `T1001@DEMO`.
Registered as a template builtin (config/settings.py), so no `{% load %}` is needed.
"""

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _

register = template.Library()


def person_label(user) -> str:
    if user is None or not getattr(user, "pk", None):
        return ""
    try:
        person = user.person
    except (ObjectDoesNotExist, AttributeError):
        person = None
    if person is None:
        # An account without a registry entry (the first administrator): its full name if
        # set, else the account name, the only thing there is.
        return user.get_full_name() or user.get_username()
    unit = person.org_unit.label if person.org_unit_id else ""
    if not unit:
        return person.name
    return _("%(name)s (%(unit)s)") % {"name": person.name, "unit": unit}


register.filter("person_label", person_label)
