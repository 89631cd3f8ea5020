"""What the backup jobs did: each backup, each verified restore and each alert (R6.2).

A run is a row from the moment it starts, so the status page can show a running job's
progress; it is finished once (state, size, checks) and never changed after that.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    QUEUED = "queued", _("Waiting for the background worker")
    RUNNING = "running", _("Running")
    OK = "ok", _("Succeeded")
    FAILED = "failed", _("Failed")


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", _("On schedule")
    COMMAND = "command", _("From the command line")
    PAGE = "page", _("From the status page")
    DEMO = "demo", _("Demo")


class Offsite(models.TextChoices):
    NONE = "none", _("Not configured")
    PENDING = "pending", _("Not copied yet")
    COPIED = "copied", _("Copied")
    FAILED = "failed", _("Copy failed")


class RunQuerySet(models.QuerySet):
    def finished(self):
        return self.filter(state__in=[State.OK, State.FAILED])

    def active(self):
        return self.filter(state__in=[State.QUEUED, State.RUNNING])


class _Run(models.Model):
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    trigger = models.CharField(_("started"), max_length=10, choices=Trigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("requested at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Progress while running, written by the job itself (a step label and a percentage);
    # `heartbeat_at` tells a job still working from one whose process died.
    step = models.CharField(max_length=200, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    file = models.CharField(_("file"), max_length=200, blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    problem = models.TextField(_("problem"), blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def is_active(self) -> bool:
        return self.state in (State.QUEUED, State.RUNNING)


class BackupRecord(_Run):
    """One backup: where it went, how big, and whether the off-site copy made it."""

    location = models.CharField(_("location"), max_length=500, blank=True)
    size = models.BigIntegerField(_("size"), null=True, blank=True)
    engine = models.CharField(max_length=20, blank=True)
    version = models.CharField(max_length=40, blank=True)
    rows = models.BigIntegerField(null=True, blank=True)
    offsite = models.CharField(
        _("off-site copy"), max_length=10, choices=Offsite.choices, default=Offsite.NONE
    )
    offsite_detail = models.TextField(blank=True)

    kind_label = _("Backup")

    class Meta(_Run.Meta):
        verbose_name = _("backup")
        verbose_name_plural = _("backups")

    def __str__(self) -> str:
        return self.file or f"backup {self.pk}"


class Check(models.TextChoices):
    """The checks of a verified restore, in the order they run."""

    ARCHIVE = "archive", _("Decrypted; every file matches its checksum")
    COMPATIBLE = "compatible", _("Same kind of database and a version this code knows")
    RESTORED = "restored", _("Restored into a scratch database")
    INTEGRITY = "integrity", _("Database integrity")
    MIGRATIONS = "migrations", _("Applied migrations match the backup")
    ROW_COUNTS = "row_counts", _("Rows per table match the backup")
    CODES = "codes", _("Campus codes still verify")
    AUDIT_CHAIN = "audit_chain", _("The audit chain still verifies")


class VerificationRecord(_Run):
    """One verified restore: the latest backup restored into a scratch database and checked.

    `checks`: [{"check": Check, "ok": bool, "detail": str}] in the order they ran."""

    backup = models.ForeignKey(
        BackupRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scratch = models.CharField(_("scratch database"), max_length=300, blank=True)
    checks = models.JSONField(default=list, blank=True)
    tables = models.PositiveIntegerField(null=True, blank=True)
    rows = models.BigIntegerField(null=True, blank=True)
    # The time to bring the database back (the restore alone): the recovery time to expect.
    restore_seconds = models.FloatField(_("restore time (seconds)"), null=True, blank=True)

    kind_label = _("Verified restore")

    class Meta(_Run.Meta):
        verbose_name = _("verified restore")
        verbose_name_plural = _("verified restores")

    def __str__(self) -> str:
        return f"verified restore {self.pk} of {self.file}"

    @property
    def check_rows(self) -> list[dict]:
        labels = dict(Check.choices)
        return [
            {**row, "label": labels.get(row.get("check"), row.get("check"))} for row in self.checks
        ]


class BackupAlert(models.Model):
    """One alert per incident: the same missed backup or failed run is never alerted twice
    (the unique `incident` makes a second, concurrent check find the first one's row)."""

    class Kind(models.TextChoices):
        MISSED = "missed", _("No recent backup")
        BACKUP_FAILED = "backup_failed", _("A backup failed")
        VERIFY_FAILED = "verify_failed", _("A verified restore failed")
        OFFSITE_FAILED = "offsite_failed", _("The off-site copy failed")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    incident = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("backup alert")
        verbose_name_plural = _("backup alerts")

    def __str__(self) -> str:
        return self.incident
