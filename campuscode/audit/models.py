import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campuscode.audit.keys import keyed_digest


class AuditEntry(models.Model):
    """One line of the append-only audit log; `hash` chains it to the line before.

    Actor and subject are PROTECTed: deleting them would rewrite the row and break the
    chain; people leave by state, accounts by deactivation. The application never
    updates or deletes these rows (the admin is read-only; on PostgreSQL a trigger
    refuses UPDATE and DELETE outside the retention purge); `campuscode verify-audit`
    finds rows changed or removed behind its back.

    `scheme` says how `hash` was made. Rows written before the chain was keyed keep
    plain SHA-256 (LEGACY); every later row is an HMAC under the audit key kept outside
    the database (KEYED). The first keyed row covers the last legacy hash, so the legacy
    part cannot be rewritten either once a keyed row follows it; verification refuses a
    legacy row after a keyed one (a downgrade), and signed anchors pin the head.
    """

    class Scheme(models.IntegerChoices):
        LEGACY = 1, "sha256"
        KEYED = 2, "hmac-sha256"

    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_label = models.CharField(_("who"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    subject = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("whom"),
    )
    subject_label = models.CharField(_("whom"), max_length=150, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    scheme = models.PositiveSmallIntegerField(choices=Scheme.choices, default=Scheme.KEYED)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.subject_label}"

    def compute_hash(self, *, create_key: bool = True) -> str:
        """The row's link: plain SHA-256 for legacy rows, HMAC-SHA256 under the audit key
        (which `create_key=False` refuses to make, for verification) for keyed ones."""
        body = json.dumps(
            [
                self.prev_hash,
                self.at.isoformat(),
                self.actor_id,
                self.actor_label,
                self.action,
                self.subject_id,
                self.subject_label,
                self.data,
                self.ip,
            ],
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
        if self.scheme == self.Scheme.LEGACY:
            return hashlib.sha256(body.encode()).hexdigest()
        return keyed_digest(b"campuscode-audit-chain-v2", body.encode(), create=create_key)


class AuditHead(models.Model):
    """A single row locked while appending, so concurrent writers chain in order."""

    last_hash = models.CharField(max_length=64, default="0" * 64)
    last_id = models.BigIntegerField(default=0)
    # False until the first keyed entry: that one is anchored at once (on commit), so a
    # chain recomputed wholesale as unkeyed no longer matches a signed anchor.
    keyed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"head #{self.last_id}"
