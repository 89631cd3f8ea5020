from django.utils.translation import gettext as _

from campuscode.casework.models import ReminderStage


def deadline_text(data: dict) -> str:
    words = {"text": data.get("text", ""), "deadline": data.get("deadline", "")}
    stage = data.get("stage")
    if stage == ReminderStage.ISSUED:
        return _("New: %(text)s. Please complete it by %(deadline)s.") % words
    if stage == ReminderStage.BEFORE:
        return _("Reminder: %(text)s is due on %(deadline)s.") % words
    if stage == ReminderStage.DUE:
        return _("Due today: %(text)s (deadline %(deadline)s).") % words
    return _("Overdue: %(text)s was due on %(deadline)s and is not done.") % words
