from django.db import models
from django.utils.translation import gettext_lazy as _


class Setting(models.Model):
    """One school rule an admin may change (R9.1): check-in windows, code lifetime, ...

    The keys, types, defaults and limits are declared in `core.rules.SPECS`; a row exists
    only once an admin has changed the default.
    """

    key = models.CharField(_("key"), max_length=64, unique=True)
    value = models.JSONField(_("value"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("setting")
        verbose_name_plural = _("settings")

    def __str__(self) -> str:
        return f"{self.key}={self.value!r}"
