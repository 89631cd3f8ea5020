from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "campuscode.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self):
        # The engine asks events who is expected at an event sitting and who runs it.
        from campuscode.attendance import engine
        from campuscode.attendance.models import Session
        from campuscode.events import roster

        engine.register_roster(Session.Kind.EVENT, roster.expected)
        engine.register_runner(Session.Kind.EVENT, roster.may_run)
