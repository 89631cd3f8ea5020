"""Supervision (R7): inspection plans, spot-check draws, headcounts, findings and
rectification notices (整改通知书). Draws, headcounts and notice events are append-only."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campuscode.casework.models import AppendOnly
from campuscode.people.models import OrgUnit, ScopedQuerySet

USER = settings.AUTH_USER_MODEL


class PlanKind(models.TextChoices):
    PERIODIC = "periodic", _("Periodic inspection")  # R7.2
    SPOT = "spot", _("Spot check")  # R7.3
    ONSITE = "onsite", _("On-site inspection")  # R7.4


class InspectionPlan(models.Model):
    school = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=PlanKind.choices)
    title = models.CharField(_("title"), max_length=200)
    # The units a spot check draws from (or the units a periodic inspection covers).
    scope = models.ManyToManyField(
        OrgUnit, related_name="inspection_plans", verbose_name=_("scope")
    )
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    # The named pool of inspectors a spot check draws from.
    pool = models.ManyToManyField(USER, blank=True, related_name="+", verbose_name=_("inspectors"))
    starts_at = models.DateTimeField(_("starts"))
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")

    def __str__(self) -> str:
        return self.title


class SpotDraw(AppendOnly):
    """The recorded random draw of a spot check (R7.3): the seed reproduces it."""

    plan = models.OneToOneField(InspectionPlan, on_delete=models.CASCADE, related_name="draw")
    seed = models.CharField(_("seed"), max_length=64)
    units_count = models.PositiveSmallIntegerField()
    inspectors_count = models.PositiveSmallIntegerField()
    units = models.JSONField(default=list)  # OrgUnit ids drawn
    inspectors = models.JSONField(default=list)  # User ids drawn
    recused = models.JSONField(default=list)  # User ids left out: from a unit checked
    drawn_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    drawn_at = models.DateTimeField(_("drawn at"))

    def __str__(self) -> str:
        return f"{self.plan_id} {self.seed}"


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class FindingQuerySet(ScopedQuerySet):
    scope_unit = "unit"
    scope_kind = None
    scope_owner = "responsible"


class Finding(models.Model):
    school = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(
        InspectionPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="findings"
    )
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="findings",
        verbose_name=_("responsible unit"),
    )
    responsible = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible person"),
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    criterion = models.CharField(_("criterion"), max_length=200)
    description = models.TextField(_("what was found"))
    applies_on = models.DateField(_("applies to the day"))
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("recorded"))

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return self.criterion


class Headcount(AppendOnly):
    """An inspector's count on site, against the unit's records for the same window."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="headcounts")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("date"))
    period = models.CharField(_("window"), max_length=10)
    recorded = models.PositiveIntegerField(_("checked in by the records"))
    counted = models.PositiveIntegerField(_("present on site"))
    # Numbers of people checked in but not found present (a roll call): the group only.
    not_present = models.JSONField(default=list, blank=True)
    finding = models.ForeignKey(Finding, on_delete=models.SET_NULL, null=True, related_name="+")
    entered_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    entered_at = models.DateTimeField()

    @property
    def difference(self) -> int:
        return self.recorded - self.counted


class NoticeState(models.TextChoices):
    ISSUED = "issued", _("Issued")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    EXTENSION_REQUESTED = "extension", _("Extension requested")
    SUBMITTED = "submitted", _("Awaiting verification")
    REOPENED = "reopened", _("Reopened")
    CLOSED = "closed", _("Closed (rectified)")


class NoticeQuerySet(ScopedQuerySet):
    scope_unit = "unit"
    scope_kind = None
    scope_owner = "finding__responsible"

    def open(self):
        return self.exclude(state=NoticeState.CLOSED)


class Notice(models.Model):
    """A rectification notice (整改通知书) for one finding (R7.5)."""

    finding = models.OneToOneField(Finding, on_delete=models.PROTECT, related_name="notice")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("document number"), max_length=60)
    deadline = models.DateTimeField(_("deadline"))
    state = models.CharField(
        _("state"), max_length=12, choices=NoticeState.choices, default=NoticeState.ISSUED
    )
    issued_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    issued_at = models.DateTimeField(_("issued"))
    remediator = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("rectification notice")
        verbose_name_plural = _("rectification notices")

    def __str__(self) -> str:
        return self.number


class EventKind(models.TextChoices):
    ISSUED = "issued", _("Notice issued")
    ACKNOWLEDGED = "acknowledged", _("Receipt acknowledged")
    REPORTED = "reported", _("Plan, actions and evidence reported")
    EXTENSION_REQUESTED = "ext_requested", _("Request an extension")
    EXTENSION_GRANTED = "ext_granted", _("Extension granted")
    EXTENSION_REFUSED = "ext_refused", _("Extension refused")
    CLOSED = "closed", _("Verified and closed")
    REOPENED = "reopened", _("Verified: not done, reopened")


class NoticeEvent(AppendOnly):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=14, choices=EventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(blank=True)
    until = models.DateField(null=True, blank=True)  # an extension's requested date

    class Meta:
        ordering = ["at", "id"]


# --- On-site point inspections (R7.4) ------------------------------------------------------

DEFAULT_POINT_CHECKLIST = [
    _("The device works"),
    _("The QR code is readable"),
    _("The poster is up"),
    _("People asked know the rules"),
]


class PointInspection(AppendOnly):
    """One inspector's visit to a check-in point or gate: the plan's checklist answered
    yes/no with a note each (`answers`: [{"item", "ok", "note"}]), with photos."""

    plan = models.ForeignKey(
        InspectionPlan, on_delete=models.CASCADE, related_name="point_inspections"
    )
    point = models.ForeignKey(
        "checkins.CheckinPoint", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    gate = models.ForeignKey(
        "gates.Gate", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")  # the campus
    answers = models.JSONField(default=list)
    entered_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    entered_at = models.DateTimeField()

    class Meta:
        ordering = ["-entered_at", "-id"]

    @property
    def place(self) -> str:
        return str(self.point or self.gate)

    @property
    def failed(self) -> list[tuple[int, dict]]:
        return [(n, a) for n, a in enumerate(self.answers) if not a.get("ok")]


class InspectionPhoto(AppendOnly):
    inspection = models.ForeignKey(PointInspection, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="supervision/%Y/%m/")
    added_at = models.DateTimeField()
