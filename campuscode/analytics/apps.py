from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "campuscode.analytics"
    label = "analytics"
    verbose_name = _("Analysis and reports")

    def ready(self):
        from campuscode.analytics import builtin_panels, selectors
        from campuscode.checkins.selectors import trend_sources

        builtin_panels.register_all()
        if selectors.final_trend_days not in trend_sources:
            trend_sources.append(selectors.final_trend_days)
