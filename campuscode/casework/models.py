"""The casework engine's records (R7.5, R8.2): numbered documents, reminders sent, frozen
evidence. Every row here is append-only except the per-year counter of a document kind."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campuscode.people.models import OrgUnit

USER = settings.AUTH_USER_MODEL


class AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(f"{self._meta.label} rows are append-only")
        return super().save(*args, **kwargs)


class DocumentCounter(models.Model):
    """The last number given to a kind of document in a school and year; locked while
    the next number is taken, so two clerks never get the same one."""

    school = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "kind", "year"], name="casework_counter_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class DocumentNumber(AppendOnly):
    """One number given out, e.g. 校督整〔2026〕3号, and what it was given to."""

    school = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind of document"), max_length=40)
    year = models.PositiveSmallIntegerField(_("year"))
    seq = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("document number"), max_length=60)
    ref = models.CharField(max_length=80, blank=True)  # "supervision.notice:12"
    issued_at = models.DateTimeField(_("issued"))
    issued_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "year", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "kind", "year", "seq"], name="casework_number_once"
            )
        ]
        verbose_name = _("document number")
        verbose_name_plural = _("document numbers")

    def __str__(self) -> str:
        return self.number


class ReminderStage(models.TextChoices):
    ISSUED = "issued", _("At issue")
    BEFORE = "before", _("Before the deadline")
    DUE = "due", _("On the deadline")
    ESCALATED_1 = "escalated_1", _("Overdue: escalated to the unit head")
    ESCALATED_2 = "escalated_2", _("Overdue: escalated to the group lead")


class ReminderSent(AppendOnly):
    """A reminder of one item at one stage for the day it was due: the unique key makes a
    re-run of the job (or two workers at once) send it once. A moved deadline gives new
    days, so an extension re-arms the reminders."""

    item = models.CharField(max_length=80)  # "supervision.notice:12"
    stage = models.CharField(_("reminder"), max_length=12, choices=ReminderStage.choices)
    day = models.DateField(_("day"))
    recipients = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "stage", "day"], name="casework_reminder_once")
        ]
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")

    def __str__(self) -> str:
        return f"{self.item} {self.stage} {self.day}"


class EvidenceItem(AppendOnly):
    """A copy of a record as it was when frozen, with its SHA-256: later edits of the
    record (or of this copy) show. `applies_on` is the day the evidence is about, not the
    day it was frozen (a check-in list of 3 March frozen on 10 March applies on 3 March)."""

    owner = models.CharField(max_length=80, blank=True, db_index=True)  # "supervision.finding:4"
    record_type = models.CharField(_("kind of record"), max_length=60)  # "checkins.checkin"
    record_id = models.CharField(_("record"), max_length=60, blank=True)
    label = models.CharField(_("description"), max_length=200, blank=True)
    snapshot = models.JSONField(_("copy of the record"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    applies_on = models.DateField(_("applies to the day"))
    frozen_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    frozen_at = models.DateTimeField(_("frozen at"))

    class Meta:
        ordering = ["applies_on", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return f"{self.record_type}:{self.record_id} {self.sha256[:12]}"

    @property
    def intact(self) -> bool:
        from campuscode.casework.evidence import digest

        return digest(self.snapshot) == self.sha256
