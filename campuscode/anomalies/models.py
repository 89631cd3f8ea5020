"""Anomaly cases (R6.4): a detector's hit, verified and handled by a person, on record.

A case never creates a violation by itself: a person verifies the reason and decides."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campuscode.people.models import Person, ScopedQuerySet


class AnomalyKind(models.TextChoices):
    """The kinds this app detects itself; other apps register theirs (registry.py), so the
    case's `kind` field keeps no choices and any registered kind needs no migration."""

    MISSED_CHECKINS = "missed_checkins", _("School days without a check-in")
    HEALTH = "health", _("Abnormal health data")
    LOW_RATE = "low_rate", _("Low check-in rate")
    DATA_QUALITY = "data_quality", _("Check-ins that look automated")


class AnomalyState(models.TextChoices):
    DETECTED = "detected", _("Detected")
    ASSIGNED = "assigned", _("Assigned")
    VERIFIED = "verified", _("Verified")
    HANDLED = "handled", _("Handled")
    CLOSED = "closed", _("Closed")


# The one path a case takes; each step is taken by a person (R6.4).
NEXT_STATE = {
    AnomalyState.DETECTED: AnomalyState.ASSIGNED,
    AnomalyState.ASSIGNED: AnomalyState.VERIFIED,
    AnomalyState.VERIFIED: AnomalyState.HANDLED,
    AnomalyState.HANDLED: AnomalyState.CLOSED,
}


class VerifiedReason(models.TextChoices):
    """Why it happened, as the adviser or the health office found out."""

    PHONE = "phone", _("Phone broken or lost")
    LEAVE = "leave", _("On leave")
    ILLNESS = "illness", _("Illness")
    FORGOT = "forgot", _("Forgot to check in")
    DATA_ERROR = "data_error", _("Wrong data entered")
    CONFIRMED = "confirmed", _("Abnormal health confirmed")
    NOT_MEASURED = "not_measured", _("Typed in values without measuring")
    AUTOMATED = "automated", _("Checked in by a script or someone else")
    SHARED_PHONE = "shared_phone", _("Shared or borrowed a phone")
    HONEST = "honest", _("Checked: the data are genuine")
    OTHER = "other", _("Other")


class HandledAction(models.TextChoices):
    """What was done about it."""

    FOLLOWUP = "followup", _("Follow-up case")
    MAKEUP = "makeup", _("Make-up check-in")
    REFERRAL = "referral", _("Referred to a doctor")
    TALK = "talk", _("Talked with the person")
    NONE = "none", _("Nothing needed")


class AnomalyCaseQuerySet(ScopedQuerySet):
    def open(self):
        return self.exclude(state=AnomalyState.CLOSED)


class AnomalyCase(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="anomaly_cases")
    # A registered detector's kind (registry.py): no `choices`, see AnomalyKind.
    kind = models.CharField(_("kind"), max_length=20)
    # The first and last day of the evidence: (person, kind, first_day) is the natural key
    # that makes a run of the detectors idempotent.
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    detail = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=AnomalyState.choices, default=AnomalyState.DETECTED
    )
    assigned_to = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="anomaly_cases"
    )
    opened_at = models.DateTimeField(_("detected at"))
    deadline = models.DateTimeField(_("deadline"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = AnomalyCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "first_day"], name="anomaly_case_once"
            )
        ]
        indexes = [models.Index(fields=["kind", "state"], name="anomaly_kind_state")]
        verbose_name = _("anomaly case")
        verbose_name_plural = _("anomaly cases")

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.first_day}"

    @property
    def is_open(self) -> bool:
        return self.state != AnomalyState.CLOSED

    @property
    def kind_label(self) -> str:
        from campuscode.anomalies.registry import label_of

        return label_of(self.kind)

    def overdue(self, now) -> bool:
        return self.is_open and self.deadline <= now

    @property
    def next_state(self) -> str | None:
        return NEXT_STATE.get(self.state)


class AnomalyEvent(models.Model):
    """The append-only record of a case: who moved it to which state, when, and why."""

    case = models.ForeignKey(AnomalyCase, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=AnomalyState.choices)
    reason = models.CharField(max_length=20, choices=VerifiedReason.choices, blank=True)
    action = models.CharField(max_length=20, choices=HandledAction.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    # The health office's follow-up case this step opened or joined (action "followup").
    followup_case = models.ForeignKey(
        "followup.FollowupCase",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.state}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("anomaly events are append-only")
        return super().save(*args, **kwargs)


class AnomalyReminder(models.Model):
    """One reminder per case and day to the people it is assigned to, when its deadline
    is near or past: the hourly job may run again without sending twice."""

    case = models.ForeignKey(AnomalyCase, on_delete=models.CASCADE, related_name="reminders")
    day = models.DateField()
    sent_at = models.DateTimeField()
    overdue = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "day"], name="anomaly_reminder_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.day}"
