from django.utils.translation import gettext as _

from campuscode.anomalies.models import AnomalyKind


def opened_text(data: dict) -> str:
    try:
        what = str(AnomalyKind(data.get("kind")).label)
    except ValueError:
        what = ""
    return _("An anomaly case was opened for %(name)s (%(what)s). Please verify and handle it.") % {
        "name": data.get("name", ""),
        "what": what,
    }
