"""Personal data protection (PIPL): a person's requests about their data, the runs of the
retention job, and the bulk-read alerts raised to the security admin."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campuscode.people.models import Person, ScopedQuerySet

USER = settings.AUTH_USER_MODEL


class DataRequestQuerySet(ScopedQuerySet):
    pass


class DataRequest(models.Model):
    """A person asks to correct or delete data held about them (PIPL Art. 44–47).

    Append-only: the person files it, the responsible office answers it once (done or
    refused, with the answer); nobody edits or deletes it afterwards, so it stays the
    record of who decided what and why."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correct my data")
        DELETION = "deletion", _("Delete my data")
        OTHER = "other", _("Other request about my data")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the responsible office")
        DONE = "done", pgettext_lazy("data request", "Done")
        REFUSED = "refused", pgettext_lazy("data request", "Refused")

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="data_requests", verbose_name=_("person")
    )
    kind = models.CharField(_("request"), max_length=12, choices=Kind.choices)
    text = models.TextField(_("what should change"), max_length=2000)
    reason = models.TextField(_("why"), max_length=1000, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(_("filed at"))
    idempotency_key = models.CharField(max_length=64)
    handled_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    response = models.TextField(_("answer"), max_length=2000, blank=True)

    objects = DataRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A double tap or a retried post files one request, not two.
            models.UniqueConstraint(
                fields=["person", "idempotency_key"], name="datarequest_unique_key"
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="datarequest_state")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.state}"

    @property
    def pending(self) -> bool:
        return self.state == self.State.PENDING


class RetentionRun(models.Model):
    """One run of the retention job: when, up to which cut-off, what it removed so far.

    `counts` is updated after every batch, so a long run shows its progress and a run cut
    short says how far it got; the next run simply continues (it is idempotent)."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    cutoffs = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.counts}"


class BulkReadAlert(models.Model):
    """An account read or exported many people's data in a short time; the security admin
    was told. `until` is the end of the window counted: later checks count only reads
    after it, so the same reads never alert twice."""

    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField()
    until = models.DateTimeField()
    people = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["actor", "until"], name="bulkread_actor_until")]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.people} {self.since:%H:%M}–{self.until:%H:%M}"
