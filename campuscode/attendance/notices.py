from django.utils.translation import gettext as _


def warning_text(data: dict) -> str:
    if data.get("kind") == "consecutive":
        return _(
            "%(name)s was absent from %(count)s sessions in a row (latest: %(title)s on %(day)s)."
        ) % {
            "name": data.get("name", ""),
            "count": data.get("count", ""),
            "title": data.get("title", ""),
            "day": data.get("day", ""),
        }
    return _(
        "The attendance rate of %(name)s is %(rate)s%% over %(sessions)s sessions, below "
        "%(threshold)s%%."
    ) % {
        "name": data.get("name", ""),
        "rate": data.get("rate", ""),
        "sessions": data.get("sessions", ""),
        "threshold": data.get("threshold", ""),
    }


def request_text(data: dict) -> str:
    if data.get("decided"):
        return _("Your make-up sign-in for %(title)s on %(day)s was %(decision)s.") % {
            "title": data.get("title", ""),
            "day": data.get("day", ""),
            "decision": data.get("decision", ""),
        }
    return _("%(name)s asks for a make-up sign-in for %(title)s on %(day)s.") % {
        "name": data.get("name", ""),
        "title": data.get("title", ""),
        "day": data.get("day", ""),
    }
