from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnomaliesConfig(AppConfig):
    name = "campuscode.anomalies"
    label = "anomalies"
    verbose_name = _("Anomaly cases")

    def ready(self):
        from campuscode.anomalies.kinds import register_all

        register_all()
