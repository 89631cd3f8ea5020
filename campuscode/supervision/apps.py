from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "campuscode.supervision"
    label = "supervision"
    verbose_name = _("Supervision")

    def ready(self):
        from campuscode.casework.registry import (
            DeadlineKind,
            DocumentKind,
            register_deadlines,
            register_document,
        )
        from campuscode.supervision.deadlines import open_notices

        register_document(
            DocumentKind(name="supervision.notice", prefix_setting="supervision_notice_prefix")
        )
        register_deadlines(DeadlineKind(name="supervision.notice", open_items=open_notices))
