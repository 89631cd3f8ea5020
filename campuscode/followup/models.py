"""Exceptions to the daily check-in and the follow-up of health concerns (issue 4):

- advance reports (报备) and make-up check-ins (补卡), approved by the class adviser or the
  department admin (R4.2);
- manual registrations by an adviser for someone without a phone (R4.6);
- visitor and temporary-worker code applications (R3.3);
- follow-up cases of fever, persistent symptoms or a red status (R5.3);
- isolation and observation with their own health reports (R5.5);
- in-app notifications of decisions.

Every decision keeps who, when and why on the row, and in the audit log.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campuscode.checkins.models import Checkin, CheckinPoint, Contact, Period
from campuscode.people.models import OrgUnit, Person, ScopedQuerySet

USER = settings.AUTH_USER_MODEL


class VisitorApplicationQuerySet(ScopedQuerySet):
    # Decided by the host unit (R3.3); the applicant always sees their own applications.
    scope_unit = "host_unit"
    scope_kind = None
    scope_owner = "applied_by"


class CaseEventQuerySet(ScopedQuerySet):
    scope_unit = "case__person__org_unit"
    scope_kind = "case__person__kind"
    scope_owner = "case__person__user"


class IsolationReportQuerySet(ScopedQuerySet):
    scope_unit = "isolation__person__org_unit"
    scope_kind = "isolation__person__kind"
    scope_owner = "isolation__person__user"


class Decision(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # Closed by an approver because nothing is left to decide (the person checked in after
    # all): neither an approval nor a rejection of what they sent.
    CLOSED = "closed", _("Closed: no longer needed")


class DecisionFields(models.Model):
    """Who decided, when and why: the same on every request that is approved."""

    state = models.CharField(
        _("state"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        abstract = True

    @property
    def pending(self) -> bool:
        return self.state == Decision.PENDING


# The only suffixes a stored attachment may carry (followup.attachments names the file by
# its verified image type; anything else would be a bug, stored as an inert .bin).
ATTACHMENT_SUFFIXES = frozenset({"jpg", "png", "webp"})


def _report_attachment_path(instance, filename: str) -> str:
    # As for case photos: a random name with the verified type's extension only.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    suffix = suffix if suffix in ATTACHMENT_SUFFIXES else "bin"
    return f"followup/reports/{instance.person_id}/{secrets.token_hex(12)}.{suffix}"


class AdvanceReport(DecisionFields):
    """报备: "I cannot check in in these windows", filed before they close (R4.2).

    When the absence ends early the person reports back (销假): `returned_at` and
    `returned_by` say when and by whom, and the windows after it are no longer excused.
    Set once, never changed (the audit log has the same)."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("Personal leave")
        SICK = "sick", _("Sick leave")
        OFFICIAL = "official", _("Official business")
        OTHER = "other", _("Other")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="advance_reports")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.OTHER)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    periods = models.JSONField(_("windows"), default=list)
    reason = models.CharField(_("reason"), max_length=300)
    destination = models.CharField(_("destination"), max_length=200, blank=True)
    phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    attachment = models.FileField(_("proof (photo)"), upload_to=_report_attachment_path, blank=True)
    created_at = models.DateTimeField(_("filed at"))
    idempotency_key = models.CharField(max_length=64)
    returned_at = models.DateTimeField(_("reported back at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("advance report")
        verbose_name_plural = _("advance reports")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "idempotency_key"], name="advance_report_unique_key"
            ),
        ]
        indexes = [models.Index(fields=["state", "first_day", "last_day"], name="advance_state")]

    def __str__(self) -> str:
        return f"{self.person} {self.first_day}–{self.last_day}"

    @property
    def period_labels(self) -> list[str]:
        return [str(Period(p).label) for p in self.periods if p in Period.values]

    def covers(self, day, period) -> bool:
        return self.first_day <= day <= self.last_day and period in self.periods

    @property
    def may_report_back(self) -> bool:
        from django.utils import timezone

        return (
            self.state == Decision.APPROVED
            and self.returned_at is None
            and self.last_day >= timezone.localdate()
        )


class MakeupRequest(DecisionFields):
    """补卡: the health data of a missed window, sent afterwards with a reason (R4.2).

    Approval stores a Checkin marked as a make-up (via="makeup") for the original window;
    its time is when the person sent it, so it never counts as on time.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="makeup_requests")
    day = models.DateField(_("date"))
    period = models.CharField(_("window"), max_length=10, choices=Period.choices)
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    symptom_detail = models.CharField(_("symptom details"), max_length=500, blank=True)
    contact = models.CharField(
        _("contact history"), max_length=10, choices=Contact.choices, default=Contact.NONE
    )
    contact_at = models.DateTimeField(_("contact time"), null=True, blank=True)
    contact_place = models.CharField(_("contact place"), max_length=200, blank=True)
    contact_manner = models.CharField(_("manner of contact"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    submitted_at = models.DateTimeField(_("sent at"))
    idempotency_key = models.CharField(max_length=64)
    checkin = models.OneToOneField(
        Checkin, null=True, blank=True, on_delete=models.SET_NULL, related_name="makeup"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("make-up check-in")
        verbose_name_plural = _("make-up check-ins")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["person", "idempotency_key"], name="makeup_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.day} {self.period}"

    @property
    def symptom_labels(self) -> list[str]:
        from campuscode.checkins.models import Symptom

        return [str(Symptom(code).label) for code in self.symptoms if code in Symptom.values]


class ManualRegistration(models.Model):
    """人工登记 (R4.6): the check-in row is via="manual"; this keeps the place and why."""

    checkin = models.OneToOneField(Checkin, on_delete=models.CASCADE, related_name="manual")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    point = models.ForeignKey(
        CheckinPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    recorded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("manual registration")
        verbose_name_plural = _("manual registrations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["person", "created_at"], name="manual_person_time")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.created_at:%Y-%m-%d}"


def _claim_token() -> str:
    return secrets.token_urlsafe(18)


class VisitorApplication(DecisionFields):
    """A managing department's application for a visitor or temporary-worker code (R3.3).

    Approval creates the Person (valid only between the dates) and mails a claim link.
    """

    class Kind(models.TextChoices):
        VISITOR = Person.Kind.VISITOR, _("Visitor")
        TEMPORARY = Person.Kind.TEMPORARY, _("Temporary worker")

    school = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    host_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("host department")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    # As for every person: a keyed hash and the last four characters, never the number.
    id_hash = models.CharField(max_length=64, blank=True, editable=False)
    id_last4 = models.CharField(_("ID number (last 4)"), max_length=4, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    purpose = models.CharField(_("purpose"), max_length=300)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    applied_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    applied_at = models.DateTimeField(_("applied at"))
    idempotency_key = models.CharField(max_length=64)
    # A returning visitor's applications all name their one registry entry.
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )

    objects = VisitorApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("visitor / temporary worker application")
        verbose_name_plural = _("visitor / temporary worker applications")
        ordering = ["-applied_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["applied_by", "idempotency_key"], name="visitor_app_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class CaseState(models.TextChoices):
    OPEN = "open", _("Open")
    TREATMENT = "treatment", _("Under treatment")
    RECOVERED = "recovered", _("Recovered")
    CLOSED = "closed", _("Closed")


class FollowupCase(models.Model):
    """A health concern followed until the health office closes it (R5.3)."""

    class Trigger(models.TextChoices):
        FEVER = "fever", _("Fever")
        PERSISTENT = "persistent", _("Persistent symptoms")
        RED = "red", _("Red status")
        MANUAL = "manual", _("Opened by the health office")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="followup_cases")
    trigger = models.CharField(_("opened because of"), max_length=12, choices=Trigger.choices)
    detail = models.JSONField(default=dict, blank=True)
    checkin = models.ForeignKey(
        Checkin, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=CaseState.choices, default=CaseState.OPEN
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    close_note = models.CharField(_("closing note"), max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up case")
        verbose_name_plural = _("follow-up cases")
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["person", "state"], name="case_person_state")]

    def __str__(self) -> str:
        return f"{self.person} {self.trigger} {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state != CaseState.CLOSED


def _attachment_path(instance, filename: str) -> str:
    # A random name: the original may carry the person's name.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    suffix = suffix if suffix in ATTACHMENT_SUFFIXES else "bin"
    return f"followup/{instance.case_id}/{secrets.token_hex(12)}.{suffix}"


class CaseEvent(models.Model):
    """One step of a case: opened, a progress report, a change of state, the closing."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        PROGRESS = "progress", _("Progress report")
        STATE = "state", _("State changed")
        NOTE = "note", _("Note")
        CLOSED = "closed", _("Closed")

    case = models.ForeignKey(FollowupCase, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("text"), blank=True)
    state = models.CharField(max_length=10, choices=CaseState.choices, blank=True)
    attachment = models.FileField(
        _("photo of a medical note"), upload_to=_attachment_path, blank=True
    )
    idempotency_key = models.CharField(max_length=64, blank=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class Isolation(models.Model):
    """Isolation or observation placed by the health office (R5.5): the code is red until
    it is ended, and the person sends health reports at the school's report times."""

    class Kind(models.TextChoices):
        ISOLATION = "isolation", _("Isolation")
        OBSERVATION = "observation", _("Medical observation")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="isolations")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    place = models.CharField(_("place"), max_length=200)
    reason = models.CharField(_("reason"), max_length=300)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("planned last day"))
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_note = models.CharField(_("note at the end"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("isolation / observation")
        verbose_name_plural = _("isolations / observations")
        ordering = ["-starts_on"]
        indexes = [models.Index(fields=["person", "ended_at"], name="isolation_current")]

    def __str__(self) -> str:
        return f"{self.person} {self.kind} {self.starts_on}–{self.ends_on}"


class IsolationReport(models.Model):
    """One health report during isolation, for one report time of one day."""

    isolation = models.ForeignKey(Isolation, on_delete=models.CASCADE, related_name="reports")
    day = models.DateField(_("date"))
    slot = models.PositiveSmallIntegerField()
    at = models.DateTimeField(_("sent at"))
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    note = models.CharField(_("how are you feeling"), max_length=500, blank=True)

    objects = IsolationReportQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "-slot"]
        constraints = [
            # A retried report for the same time finds the first one.
            models.UniqueConstraint(fields=["isolation", "day", "slot"], name="iso_report_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.isolation_id} {self.day} #{self.slot}"
