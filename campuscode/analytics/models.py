"""Summary tables the dashboards and reports read for past days (R6.3), and the reports.

The raw tables (check-ins, gate passages) grow by tens of millions of rows a year; a
dashboard over weeks of a whole school must not count them on every page view. The
summaries are rebuilt for a range of days by `summaries.refresh_summaries` (a beat job every
few minutes for today and yesterday, nightly for the past week, and `campuscode
refresh-summaries`): a rebuild replaces the range's rows, so running it twice changes
nothing. Counts are of the unit's own people (not its subtree): a college's figures are the
sum over the units under it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campuscode.people.models import OrgUnit

# The counted columns of a DailyUnitSummary, in the order the exports show them.
COUNTS = (
    "people",
    "expected",
    "green",
    "yellow",
    "red",
    "excused",
    "isolated",
    "missed",
    "pending",
    "manual",
    "makeup",
    "fever",
    "symptomatic",
    "temp_count",
    "red_people",
    "isolated_people",
    "fever_people",
    "symptomatic_people",
)
# A sensitive count and the field holding how many people it is about (on one day).
SENSITIVE = {
    "red": "red_people",
    "isolated": "isolated_people",
    "fever": "fever_people",
    "symptomatic": "symptomatic_people",
}


class DailyUnitSummary(models.Model):
    """One unit's day: the check-ins expected of its own people and how they came out
    (checkins.tally), with the health figures of the day's check-ins."""

    school = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    people = models.PositiveIntegerField(default=0)  # people expected on the day
    expected = models.PositiveIntegerField(default=0)  # check-ins (people × windows)
    green = models.PositiveIntegerField(default=0)
    yellow = models.PositiveIntegerField(default=0)
    red = models.PositiveIntegerField(default=0)
    excused = models.PositiveIntegerField(default=0)  # advance reports and isolation
    isolated = models.PositiveIntegerField(default=0)  # of `excused`: isolation/observation
    missed = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)  # windows still open or not yet started
    manual = models.PositiveIntegerField(default=0)  # registered by staff (no phone)
    makeup = models.PositiveIntegerField(default=0)
    fever = models.PositiveIntegerField(default=0)
    symptomatic = models.PositiveIntegerField(default=0)
    temp_sum = models.FloatField(default=0)
    temp_count = models.PositiveIntegerField(default=0)
    symptoms = models.JSONField(default=dict, blank=True)  # symptom code → check-ins
    # How many people the sensitive counts above are about (a person has two windows a
    # day): what decides whether a count may be shown (selectors.Shown).
    red_people = models.PositiveIntegerField(default=0)
    isolated_people = models.PositiveIntegerField(default=0)
    fever_people = models.PositiveIntegerField(default=0)
    symptomatic_people = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("daily unit summary")
        verbose_name_plural = _("daily unit summaries")
        constraints = [
            models.UniqueConstraint(fields=["unit", "day"], name="analytics_unit_day"),
        ]
        indexes = [models.Index(fields=["school", "day"], name="analytics_school_day")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.day}"

    @property
    def checked(self) -> int:
        return self.green + self.yellow + self.red


class GateHourSummary(models.Model):
    """Passages at one place in one local hour of one day."""

    place = models.ForeignKey("gates.Place", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    entries = models.PositiveIntegerField(default=0)
    exits = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("hourly gate summary")
        verbose_name_plural = _("hourly gate summaries")
        constraints = [
            models.UniqueConstraint(fields=["place", "day", "hour"], name="analytics_place_hour"),
        ]
        indexes = [models.Index(fields=["day", "place"], name="analytics_gate_day")]

    def __str__(self) -> str:
        return f"{self.place_id} {self.day} {self.hour:02d}h"


# The counted columns of a DailyAttendanceSummary: a status (or unmarked) per person and
# class session. (No count of sessions: a lecture of three classes would count thrice in
# their college's sum.)
ATTENDANCE_COUNTS = (
    "people",
    "due",
    "present",
    "late",
    "left_early",
    "absent",
    "excused",
    "unmarked",
)


class DailyAttendanceSummary(models.Model):
    """One unit's day of class attendance: of the class sessions that ended that day, how
    its own students (not its subtree) attended them (attendance.tally)."""

    school = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    people = models.PositiveIntegerField(default=0)  # students with a session that day
    due = models.PositiveIntegerField(default=0)  # person × session
    present = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    left_early = models.PositiveIntegerField(default=0)
    absent = models.PositiveIntegerField(default=0)
    excused = models.PositiveIntegerField(default=0)
    unmarked = models.PositiveIntegerField(default=0)  # ended, nobody marked: counts as absent
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("daily attendance summary")
        verbose_name_plural = _("daily attendance summaries")
        constraints = [
            models.UniqueConstraint(fields=["unit", "day"], name="analytics_attendance_unit_day"),
        ]
        indexes = [models.Index(fields=["school", "day"], name="analytics_att_school_day")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.day}"


class ReportPeriod(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class Report(models.Model):
    """A periodic report about one unit, kept as the figures it was built from; one per
    unit, period and first day (the key that makes sending it twice a no-op)."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=8, choices=ReportPeriod.choices)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-first_day", "period", "unit_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "period", "first_day"], name="analytics_report_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period} {self.first_day}"


class ReportDelivery(models.Model):
    """That `user` was told about `report`: at most once (append-only)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "user"], name="analytics_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} → {self.user_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("ReportDelivery rows are append-only")
        super().save(*args, **kwargs)
