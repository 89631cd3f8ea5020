"""Violation cases (R8): evidence → notice of facts and rights → statement and
self-review → a decision by a person, with reasons → appeal → review → outcome; a
sanction's term and its lifting (解除); retention.

A case never opens by itself and never decides by itself: the ladder only proposes."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campuscode.people.models import OrgUnit, Person, ScopedQuerySet

USER = settings.AUTH_USER_MODEL


class ViolationType(models.TextChoices):
    """R8.1 (1)–(5)."""

    MISSED = "missed", _("Missed check-in without advance report or make-up")
    FALSE = "false", _("False or concealed health information")
    BORROWED = "borrowed", _("Using someone else's campus code")
    DEVICE = "device", _("Interfering with or damaging check-in devices")
    OTHER = "other", _("Other breach of the check-in rules")


class Step(models.TextChoices):
    """What a decision may be. The ladder (LADDER) runs from criticism to expulsion; a
    fine stands beside it (a school setting per kind of person), and "no sanction"
    closes a case where the facts did not hold."""

    NONE = "none", _("No sanction")
    CRITICISM = "criticism", _("Criticism and education, with a written self-review")
    WARNING = "warning", _("Warning")
    SERIOUS_WARNING = "serious_warning", _("Serious warning")
    DEMERIT = "demerit", _("Demerit")
    PROBATION = "probation", _("Probation")
    EXPULSION = "expulsion", _("Expulsion")
    FINE = "fine", _("Fine")


LADDER = [
    Step.CRITICISM,
    Step.WARNING,
    Step.SERIOUS_WARNING,
    Step.DEMERIT,
    Step.PROBATION,
    Step.EXPULSION,
]
# Steps that are a sanction with a term (a school setting each), lifted when it ends.
TERM_SETTING = {
    Step.WARNING: "violation_term_warning",
    Step.SERIOUS_WARNING: "violation_term_serious_warning",
    Step.DEMERIT: "violation_term_demerit",
    Step.PROBATION: "violation_term_probation",
}


def ladder_choices() -> list[tuple[str, str]]:
    """The ladder's steps for the school-rules form (the range of each type)."""
    return [(step.value, step.label) for step in LADDER]


class Source(models.TextChoices):
    """Where the evidence came from: a case starts from evidence, never by itself."""

    ANOMALY = "anomaly", _("Anomaly case")
    FLAG = "flag", _("Check-in honesty flag")
    GATE = "gate", _("Gate refusals")
    GATE_ALERT = "gate_alert", _("Gate device alert")
    FINDING = "finding", _("Supervision finding")
    REPORT = "report", _("Staff report")


class State(models.TextChoices):
    OPEN = "open", _("Opened, evidence frozen")
    NOTIFIED = "notified", _("Notified: waiting for the statement")
    DECIDED = "decided", _("Decided: open to appeal")
    APPEALED = "appealed", _("Under appeal")
    IN_FORCE = "in_force", _("Sanction in force")
    CLOSED = "closed", _("Closed")


class ViolationCaseQuerySet(ScopedQuerySet):
    def active(self):
        """Cases still in the active history (not past the retention period)."""
        return self.filter(archived_at__isnull=True)


class ViolationCase(models.Model):
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="violation_cases")
    # The person's unit when the case opened: the consistency view counts by it even
    # after the person moves on.
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    vtype = models.CharField(_("type of violation"), max_length=10, choices=ViolationType.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    source_ref = models.CharField(max_length=80, blank=True)  # "anomalies.case:5"
    facts = models.TextField(_("facts"), max_length=2000)
    opened_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    opened_at = models.DateTimeField(_("opened at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    statement_due = models.DateTimeField(_("statement due"), null=True, blank=True)
    # The decision in force (the latest Decision), kept here for lists and the ladder.
    step = models.CharField(_("step"), max_length=16, choices=Step.choices, blank=True)
    # Whether the decision in force departed from the ladder's proposal (consistency view).
    departed = models.BooleanField(default=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    appeal_due = models.DateTimeField(_("appeal due"), null=True, blank=True)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    review_due = models.DateTimeField(_("review due"), null=True, blank=True)
    review_extended = models.BooleanField(default=False)
    execution_suspended = models.BooleanField(_("execution suspended"), default=False)
    sanction_from = models.DateField(_("sanction from"), null=True, blank=True)
    sanction_until = models.DateField(_("sanction until"), null=True, blank=True)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    # R8.2: "causing epidemic-control risk" is referred on, not a step of the ladder.
    epidemic_referral = models.BooleanField(_("referred for epidemic-control risk"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("left the active history"), null=True, blank=True)

    objects = ViolationCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["person", "decided_at"], name="violation_person_decided"),
            models.Index(fields=["state"], name="violation_state"),
        ]
        verbose_name = _("violation case")
        verbose_name_plural = _("violation cases")

    def __str__(self) -> str:
        return f"{self.person_id} {self.vtype} {self.opened_at:%Y-%m-%d}"

    @property
    def owner_ref(self) -> str:
        """The key of this case in the casework engine (evidence, reminders, numbers)."""
        return f"violations.case:{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state not in (State.CLOSED,)


class EventKind(models.TextChoices):
    OPENED = "opened", _("Case opened, evidence frozen")
    NOTIFIED = "notified", _("Notice of facts and rights sent")
    STATEMENT = "statement", _("Statement and defence")
    SELF_REVIEW = "self_review", _("Written self-review")
    WAIVED = "waived", _("Gave up the statement")
    DECIDED = "decided", pgettext_lazy("violations", "Decision")
    APPEALED = "appealed", _("Appeal")
    SUSPENDED = "suspended", _("Execution suspended during the appeal")
    EXTENDED = "extended", _("Review extended")
    REVIEWED = "reviewed", _("Review outcome")
    FINAL = "final", _("Decision final: no appeal in time")
    LIFTED = "lifted", _("Sanction lifted")
    ARCHIVED = "archived", _("Left the active history")


class CaseEvent(models.Model):
    """The append-only record of a case: who did what, when, in their words."""

    case = models.ForeignKey(ViolationCase, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(blank=True, max_length=4000)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("violation case events are append-only")
        return super().save(*args, **kwargs)


class Outcome(models.TextChoices):
    """A committee's answer to an appeal."""

    UPHELD = "upheld", _("Decision upheld")
    CHANGED = "changed", _("Decision changed")
    REVOKED = "revoked", _("Decision revoked")


class Decision(models.Model):
    """A decision, or a review of one (append-only; a review is a new row). The latest
    is the one in force."""

    class Kind(models.TextChoices):
        FIRST = "first", pgettext_lazy("violations", "Decision")
        REVIEW = "review", pgettext_lazy("violations", "Review")

    case = models.ForeignKey(ViolationCase, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.FIRST)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, blank=True)
    step = models.CharField(_("step"), max_length=16, choices=Step.choices)
    proposed_step = models.CharField(_("proposed step"), max_length=16, choices=Step.choices)
    range_low = models.CharField(max_length=16, choices=Step.choices)
    range_high = models.CharField(max_length=16, choices=Step.choices)
    # Why the decider departed from the proposal or the school's range (R8.2: the
    # ladder advises, people decide).
    deviation_reason = models.TextField(_("reason for departing from the proposal"), blank=True)
    reasons = models.TextField(_("reasons"))
    basis = models.TextField(_("basis"))
    term_months = models.PositiveSmallIntegerField(_("term (months)"), null=True, blank=True)
    fine_yuan = models.PositiveIntegerField(_("fine (yuan)"), null=True, blank=True)
    suspend_on_appeal = models.BooleanField(_("suspend during an appeal"), default=True)
    epidemic_referral = models.BooleanField(_("referred for epidemic-control risk"), default=False)
    number = models.CharField(_("document number"), max_length=60, blank=True)
    decided_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return f"{self.case_id} {self.step} {self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("decisions are append-only: a review is a new decision")
        return super().save(*args, **kwargs)

    @property
    def deviates(self) -> bool:
        return bool(self.deviation_reason)


def label_of(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value
