"""The words of this app's notifications (notify.texts points here), rendered in the
reader's language when shown and in the school's when sent."""

from django.utils.translation import gettext as _

from campuscode.followup.models import Decision
from campuscode.notify.models import Kind
from campuscode.notify.texts import label_of


def notification_text(kind: str, data: dict) -> str:
    state = data.get("state")
    if kind == Kind.REPORT_DECIDED:
        text = (
            _("Your advance report was approved.")
            if state == Decision.APPROVED
            else _("Your advance report was rejected.")
        )
    elif kind == Kind.MAKEUP_DECIDED:
        text = {
            Decision.APPROVED: _("Your make-up check-in was approved."),
            Decision.CLOSED: _("Your make-up check-in was closed: it is no longer needed."),
        }.get(state, _("Your make-up check-in was rejected."))
    elif kind == Kind.MANUAL_LIMIT:
        return _("%(name)s was registered manually %(count)s times in the period.") % {
            "name": data.get("name", ""),
            "count": data.get("count", ""),
        }
    elif kind == Kind.CASE_OPENED:
        if data.get("own"):
            return _(
                "A health follow-up was opened for you. Please see a doctor and report your "
                "progress on the 'My reports and cases' page."
            )
        return _("A follow-up case was opened for %(name)s.") % {"name": data.get("name", "")}
    elif kind == Kind.ISOLATION:
        if data.get("started"):
            return _(
                "You are under isolation/observation. Send your health report at each report "
                "time on the 'My reports and cases' page."
            )
        return _("Your isolation/observation has ended.")
    elif kind == Kind.ISOLATED_AT_POINT:
        text = (
            _(
                "%(name)s (%(number)s), under isolation/observation, was refused at %(point)s at %(time)s."
            )
            if data.get("refused")
            else _(
                "%(name)s (%(number)s), under isolation/observation, checked in at %(point)s at %(time)s."
            )
        )
        return text % {
            "name": data.get("name", ""),
            "number": data.get("number", ""),
            "point": data.get("point", ""),
            "time": data.get("time", ""),
        }
    elif kind == Kind.VISITOR_DECIDED:
        text = (
            _("The code application for %(name)s was approved.")
            if state == Decision.APPROVED
            else _("The code application for %(name)s was rejected.")
        ) % {"name": data.get("name", "")}
    else:
        return label_of(kind)
    if data.get("note") and state == Decision.REJECTED:
        text += " " + _("Reason: %(note)s") % {"note": data["note"]}
    elif data.get("note"):
        text += " " + _("Note: %(note)s") % {"note": data["note"]}
    return text
