"""The words of the events' notifications (notify.texts points here)."""

from django.utils.translation import gettext as _


def absence_text(data: dict) -> str:
    return _(
        "%(name)s was absent from the mandatory event “%(event)s” (%(when)s). Please review "
        "the absence: excused or not. Nothing is recorded against them until you decide."
    ) % {"name": data.get("name", ""), "event": data.get("event", ""), "when": data.get("when", "")}


def registration_text(data: dict) -> str:
    if data.get("approved"):
        return _("Your registration for “%(event)s” was approved.") % {
            "event": data.get("event", "")
        }
    return _("Your registration for “%(event)s” was not approved. %(note)s") % {
        "event": data.get("event", ""),
        "note": data.get("note", ""),
    }
