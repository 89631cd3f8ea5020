from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "campuscode.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from campuscode.core import checks  # noqa: F401 (registers the deploy checks)
