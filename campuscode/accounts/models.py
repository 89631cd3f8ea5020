from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A copy of every e-mail the demo's mail backend 'sent', shown on the outbox page."""

    sent_at = models.DateTimeField(auto_now_add=True)
    to = models.CharField(_("to"), max_length=500)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")

    def __str__(self) -> str:
        return f"{self.sent_at:%Y-%m-%d %H:%M} → {self.to}: {self.subject}"
