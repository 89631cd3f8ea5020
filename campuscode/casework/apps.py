from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "campuscode.casework"
    label = "casework"
    verbose_name = _("Casework: documents, deadlines and evidence")
