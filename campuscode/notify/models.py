"""Notifications: the in-app notice, each send on an outside channel, each person's choice.

`services.notify()` is the one way anything tells a person (or a unit's group chat)
something; it writes these rows and nothing else does.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


class Kind(models.TextChoices):
    """What a notification is about; its text is rendered from `data` by `texts.text_for`."""

    CHECKIN_REMINDER = "checkin_reminder", _("Check-in reminder")
    REPORT_DECIDED = "report_decided", _("Advance report decided")
    MAKEUP_DECIDED = "makeup_decided", _("Make-up check-in decided")
    MANUAL_LIMIT = "manual_limit", _("Too many manual registrations")
    CASE_OPENED = "case_opened", _("Follow-up case opened")
    ISOLATION = "isolation", _("Isolation / observation")
    ISOLATED_AT_POINT = "isolated_at_point", _("Check-in on campus during isolation")
    VISITOR_DECIDED = "visitor_decided", _("Visitor application decided")
    VISITOR_CLAIM = "visitor_claim", _("Visitor code approved")
    BULK_READ = "bulk_read", _("Bulk read of personal data")
    CLAIM_CODE = "claim_code", _("One-time code")
    CONTACT_CHANGED = "contact_changed", _("Contact details changed")
    PASSWORD_RESET = "password_reset", _("Password reset")
    ANOMALY_OPENED = "anomaly_opened", _("Anomaly case opened")
    BACKUP_ALERT = "backup_alert", _("Backup problem")  # backups
    ANALYSIS_REPORT = "analysis_report", _("Health check-in report")  # analytics
    # casework engine
    DEADLINE_REMINDER = "deadline_reminder", _("Deadline reminder")
    DEADLINE_ESCALATED = "deadline_escalated", _("Overdue item escalated")
    # anomalies2: a case's deadline is near or past.
    ANOMALY_REMINDER = "anomaly_reminder", _("Anomaly case due")
    # attendance (issue 11)
    ATTENDANCE_WARNING = "attendance_warning", _("Attendance warning")
    ATTENDANCE_REQUEST = "attendance_request", _("Attendance request")
    # events (R2.5)
    EVENT_ABSENCE = "event_absence", _("Absence from a mandatory event to review")
    EVENT_REGISTRATION = "event_registration", _("Event registration decided")
    # Violations (R8)
    VIOLATION_OPENED = "violation_opened", _("Violation case opened")
    VIOLATION_NOTICE = "violation_notice", _("Notice of facts and rights")
    VIOLATION_DECIDED = "violation_decided", _("Violation case decided")
    VIOLATION_APPEALED = "violation_appealed", _("Appeal against a decision")
    VIOLATION_REVIEWED = "violation_reviewed", _("Appeal reviewed")
    VIOLATION_LIFTED = "violation_lifted", _("Sanction lifted")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Text message")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class Notice(models.Model):
    """The in-app channel: a notice to one account, shown once on its next full page."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="notices")
    # No `choices`: a new kind needs no migration; `Kind` gives the labels.
    kind = models.CharField(_("kind"), max_length=40)
    data = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "seen_at"], name="notify_notice_unseen")]
        verbose_name = _("in-app notice")
        verbose_name_plural = _("in-app notices")

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"

    @property
    def text(self) -> str:
        from campuscode.notify.texts import text_for

        return text_for(self.kind, self.data or {})


class Preference(models.Model):
    """How a person wants to be reached outside the app (in-app notices always show)."""

    class Choice(models.TextChoices):
        AUTO = "auto", _("Text message if a mobile number is on file, otherwise e-mail")
        SMS = "sms", _("Text message")
        EMAIL = "email", _("E-mail")
        IN_APP = "in_app", _("Only in the app")

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="notify_preference")
    channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Choice.choices, default=Choice.AUTO
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel}"


class Delivery(models.Model):
    """One message on one outside channel, with its outcome: never lost silently.

    `address`, `body` and `attach` are kept only until the message is sent (or no longer worth
    sending): a retry needs them, a record of the send does not."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired before it could be sent")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=40)
    user = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recipient = models.CharField(_("recipient"), max_length=200)  # masked, for display
    address = models.CharField(max_length=500, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(blank=True)
    # E-mail only: the arguments of the kind's attachment builder (notify.attachments),
    # which makes the files at send time; never the files or the figures themselves.
    attach = models.JSONField(null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"))
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_delivery_due")]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient} {self.status}"

    @property
    def kind_label(self) -> str:
        from campuscode.notify.texts import label_of

        return label_of(self.kind)
