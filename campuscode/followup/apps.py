from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "campuscode.followup"
    label = "followup"
    verbose_name = _("Exceptions and follow-up")

    def ready(self):
        from django.db.models.signals import post_save

        from campuscode.checkins.models import Checkin, ManualStatus
        from campuscode.checkins.selectors import excuse_providers
        from campuscode.codes.status import register_status_provider
        from campuscode.followup import banners, cases, isolation, selectors
        from campuscode.notify.selectors import banner_providers

        register_status_provider(
            isolation.isolation_status,
            candidates=isolation.isolated_people,
            colour_sql=isolation.isolation_colour_sql,
        )
        from campuscode.checkins import tally

        if selectors.excuses_between not in tally.excuse_providers:
            tally.excuse_providers.append(selectors.excuses_between)

        from campuscode.checkins.honesty import point_checks

        if isolation.isolation_at_point not in point_checks:
            point_checks.append(isolation.isolation_at_point)
        if banners.banners not in banner_providers:
            banner_providers.append(banners.banners)
        if selectors.excused_in_window not in excuse_providers:
            excuse_providers.append(selectors.excused_in_window)
        post_save.connect(
            cases.on_checkin_saved, sender=Checkin, dispatch_uid="followup.cases.checkin"
        )
        post_save.connect(
            cases.on_manual_status_saved,
            sender=ManualStatus,
            dispatch_uid="followup.cases.manual_status",
        )
