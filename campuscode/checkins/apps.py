from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckinsConfig(AppConfig):
    name = "campuscode.checkins"
    label = "checkins"
    verbose_name = _("Check-ins")

    def ready(self):
        from campuscode.checkins.health import (
            health_colour_sql,
            health_status,
            not_green_candidates,
        )
        from campuscode.codes.status import register_status_provider

        register_status_provider(
            health_status, candidates=not_green_candidates, colour_sql=health_colour_sql
        )

        from django.db.models.signals import post_delete, post_save

        from campuscode.checkins import cached
        from campuscode.checkins.models import CheckinPoint, WindowNotice

        for signal in (post_save, post_delete):
            signal.connect(cached.forget_point, sender=CheckinPoint, dispatch_uid=f"ci.p.{signal}")
            signal.connect(cached.forget_notice, sender=WindowNotice, dispatch_uid=f"ci.n.{signal}")
