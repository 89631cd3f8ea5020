"""Background work of check-ins: reminders before a window closes (also a command:
`campuscode send-checkin-reminders`). Scheduled every 5 minutes by django-celery-beat
(the PeriodicTask is made by migration 0002)."""

from celery import shared_task

from campuscode.checkins.reminders import send_reminders


@shared_task(name="checkins.send_reminders")
def send_reminders_task() -> int:
    return send_reminders()


@shared_task(name="checkins.check_silent_displays")
def check_silent_displays_task() -> int:
    """Alerts for registered point screens not heard from (also `campuscode kiosk_alerts`)."""
    from campuscode.checkins.devices import check_silent_displays

    return check_silent_displays()
