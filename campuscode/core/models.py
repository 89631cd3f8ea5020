from django.db import models
from django.utils.translation import gettext_lazy as _


class Setting(models.Model):
    """One school rule an admin may change (R9.1): check-in windows, code lifetime, ...

    The keys, types, defaults and limits are declared in `core.rules.SPECS`; a row exists
    only once an admin has changed the default. Rules are per school: a row belongs to one
    school (OrgUnit of kind school). A row without a school is the installation's own
    default for every school that has not set the rule (what `set_setting` writes before
    any school exists, e.g. a fresh installation or the demo).
    """

    school = models.ForeignKey(
        "people.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind": "school"},
        verbose_name=_("school"),
    )
    key = models.CharField(_("key"), max_length=64)
    value = models.JSONField(_("value"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("setting")
        verbose_name_plural = _("settings")
        constraints = [
            models.UniqueConstraint(fields=["school", "key"], name="setting_unique_key_per_school"),
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(school__isnull=True),
                name="setting_unique_installation_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value!r}"
