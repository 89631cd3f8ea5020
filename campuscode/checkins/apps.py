from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckinsConfig(AppConfig):
    name = "campuscode.checkins"
    label = "checkins"
    verbose_name = _("Check-ins")

    def ready(self):
        from campuscode.checkins.health import health_status
        from campuscode.codes.status import register_status_provider

        register_status_provider(health_status)
