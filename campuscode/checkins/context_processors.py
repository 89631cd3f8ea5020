from django.utils import timezone

from campuscode.checkins.reminders import reminder_text
from campuscode.checkins.selectors import unseen_reminders


def reminders(request):
    """Unseen check-in reminders as in-app notices, shown once on the next full page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "htmx", False):
        return {}
    if request.method != "GET":
        return {}
    unseen = unseen_reminders(user)
    if not unseen:
        return {}
    from campuscode.checkins.models import Reminder

    Reminder.objects.filter(pk__in=[r.pk for r in unseen]).update(seen_at=timezone.now())
    return {"notices": [*getattr(request, "notices", []), *(reminder_text(r) for r in unseen)]}
