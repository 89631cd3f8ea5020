from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    name = "campuscode.attendance"
    label = "attendance"
    verbose_name = _("Attendance")

    def ready(self):
        from campuscode.attendance import analysis, anomalies

        analysis.register_all()
        anomalies.register_all()
