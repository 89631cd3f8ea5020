from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "campuscode.analytics"
    label = "analytics"
    verbose_name = _("Analysis and reports")

    def ready(self):
        from campuscode.analytics import builtin_panels

        builtin_panels.register_all()
