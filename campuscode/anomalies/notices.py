from django.utils.translation import gettext as _

from campuscode.anomalies.registry import label_of


def opened_text(data: dict) -> str:
    return _("An anomaly case was opened for %(name)s (%(what)s). Please verify and handle it.") % {
        "name": data.get("name", ""),
        "what": label_of(data.get("kind", "")),
    }


def reminder_text(data: dict) -> str:
    what = {"name": data.get("name", ""), "what": label_of(data.get("kind", ""))}
    if data.get("overdue"):
        return (
            _("The anomaly case of %(name)s (%(what)s) is past its deadline. Please handle it.")
            % what
        )
    return _("The anomaly case of %(name)s (%(what)s) is due %(deadline)s. Please handle it.") % {
        **what,
        "deadline": data.get("deadline", ""),
    }
