"""The text of a notification, rendered in the reader's language when shown."""

from django.utils.translation import gettext as _

from campuscode.followup.models import Decision, Notification


def notification_text(note: Notification) -> str:
    data = note.data or {}
    state = data.get("state")
    if note.kind == Notification.Kind.REPORT_DECIDED:
        text = (
            _("Your advance report was approved.")
            if state == Decision.APPROVED
            else _("Your advance report was rejected.")
        )
    elif note.kind == Notification.Kind.MAKEUP_DECIDED:
        text = {
            Decision.APPROVED: _("Your make-up check-in was approved."),
            Decision.CLOSED: _("Your make-up check-in was closed: it is no longer needed."),
        }.get(state, _("Your make-up check-in was rejected."))
    elif note.kind == Notification.Kind.MANUAL_LIMIT:
        return _("%(name)s was registered manually %(count)s times in the period.") % {
            "name": data.get("name", ""),
            "count": data.get("count", ""),
        }
    elif note.kind == Notification.Kind.CASE_OPENED:
        if data.get("own"):
            return _(
                "A health follow-up was opened for you. Please see a doctor and report your "
                "progress on the 'My reports and cases' page."
            )
        return _("A follow-up case was opened for %(name)s.") % {"name": data.get("name", "")}
    elif note.kind == Notification.Kind.ISOLATION:
        if data.get("started"):
            return _(
                "You are under isolation/observation. Send your health report at each report "
                "time on the 'My reports and cases' page."
            )
        return _("Your isolation/observation has ended.")
    elif note.kind == Notification.Kind.VISITOR_DECIDED:
        text = (
            _("The code application for %(name)s was approved.")
            if state == Decision.APPROVED
            else _("The code application for %(name)s was rejected.")
        ) % {"name": data.get("name", "")}
    elif note.kind == "bulk_read":  # privacy.alerts.NOTIFICATION_KIND, to the security admin
        from campuscode.privacy.alerts import bulk_read_text

        return bulk_read_text(data)
    else:
        return str(note.get_kind_display())
    if data.get("note") and state == Decision.REJECTED:
        text += " " + _("Reason: %(note)s") % {"note": data["note"]}
    elif data.get("note"):
        text += " " + _("Note: %(note)s") % {"note": data["note"]}
    return text
