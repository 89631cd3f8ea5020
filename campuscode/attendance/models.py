"""Attendance sessions and their marks (R2.4, and the engine event sign-in uses for R2.5).

A `Session` is one class meeting or one event sitting with a time window; a `Mark` says
how one person attended it. Marks are append-only: a correction is a new mark naming the
one it supersedes, who made it and why, so a record never silently changes (R1.4).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campuscode.followup.models import Decision, DecisionFields
from campuscode.people.models import OrgUnit, Person, ScopedQuerySet

USER = settings.AUTH_USER_MODEL


class Status(models.TextChoices):
    PRESENT = "present", pgettext_lazy("attendance", "Present")
    LATE = "late", pgettext_lazy("attendance", "Late")
    LEFT_EARLY = "left_early", pgettext_lazy("attendance", "Left early")
    ABSENT = "absent", pgettext_lazy("attendance", "Absent")
    EXCUSED = "excused", pgettext_lazy("attendance", "Excused")


class LeaveKind(models.TextChoices):
    PERSONAL = "personal", _("Personal leave")
    SICK = "sick", _("Sick leave")
    OFFICIAL = "official", _("Official leave")
    ISOLATION = "isolation", _("Isolation or observation")


class Method(models.TextChoices):
    """How a mark was captured: every report and export shows it."""

    ROLL_CALL = "roll_call", _("Roll call by the teacher")
    SESSION_QR = "session_qr", _("Scanned the session code")
    SHORT_CODE = "short_code", _("Typed the short code")
    PERSONAL_CODE = "personal_code", _("Campus code scanned by staff")
    DOOR_SCANNER = "door_scanner", _("Campus code at the door scanner")
    OFFLINE_UPLOAD = "offline_upload", _("Campus code scanned offline, uploaded later")
    AUTO_ABSENT = "auto_absent", _("Unmarked when the session closed")
    OVERRIDE = "override", _("Corrected by staff")
    MAKEUP = "makeup", _("Make-up sign-in approved")
    EXCUSE = "excuse", _("Excused by an approved leave")
    MANUAL = "manual", _("Registered manually")  # events: a walk-in at the desk


SELF_METHODS = frozenset({Method.SESSION_QR, Method.SHORT_CODE})
SCAN_METHODS = frozenset({Method.PERSONAL_CODE, Method.DOOR_SCANNER, Method.OFFLINE_UPLOAD})


class Direction(models.TextChoices):
    IN = "in", _("Sign in")
    OUT = "out", _("Sign out")


class Term(models.Model):
    """A school term: the calendar sessions are generated from."""

    school = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("first day (Monday of week 1)"))
    weeks = models.PositiveSmallIntegerField(_("weeks"), default=20)
    # ["08:00-08:45", "08:55-09:40", ...]: period n (1-based) is item n-1.
    period_times = models.JSONField(_("period times"), default=list)
    exam_weeks = models.JSONField(_("exam weeks"), default=list, blank=True)
    # [{"date": "2026-10-10", "as": "2026-10-06"}]: a Saturday taught as the Tuesday.
    makeup_days = models.JSONField(_("make-up days"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="attendance_term_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    school = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("course code"), max_length=32, blank=True)
    name = models.CharField(_("course"), max_length=100)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "code", "name"], name="attendance_course_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TimetableEntry(models.Model):
    """One line of the academic office's timetable: a course meets a group weekly."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="entries")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="entries")
    units = models.ManyToManyField(OrgUnit, related_name="+", verbose_name=_("classes"))
    teacher = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("teacher")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 1 = Monday … 7 = Sunday
    first_period = models.PositiveSmallIntegerField(_("first period"))
    last_period = models.PositiveSmallIntegerField(_("last period"))
    weeks = models.JSONField(_("weeks of term"), default=list)
    room = models.CharField(_("room"), max_length=100, blank=True)
    # What the import matched this line by, so a re-import updates instead of adding.
    key = models.CharField(max_length=200)

    class Meta:
        verbose_name = _("timetable line")
        verbose_name_plural = _("timetable lines")
        constraints = [
            models.UniqueConstraint(fields=["term", "key"], name="attendance_entry_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.course} {self.weekday} {self.first_period}-{self.last_period}"


class SessionQuerySet(models.QuerySet):
    def of_kind(self, kind: str):
        return self.filter(kind=kind)


class Session(models.Model):
    class Kind(models.TextChoices):
        CLASS = "class", _("Class")
        EVENT = "event", _("Event")

    class Origin(models.TextChoices):
        TIMETABLE = "timetable", _("From the timetable")
        AD_HOC = "ad_hoc", _("Added by hand")
        EVENT = "event", _("Event")

    school = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.CLASS)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("room or place"), max_length=100, blank=True)
    # The class or teaching group (classes also taught together: `extra_units`); events: null.
    unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    extra_units = models.ManyToManyField(OrgUnit, blank=True, related_name="+")
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.AD_HOC)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    entry = models.ForeignKey(
        TimetableEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    # Timetable sessions: "<entry>:<date>" so that generating twice makes each once.
    source_key = models.CharField(max_length=100, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Per-session windows in minutes (null: the school's settings).
    open_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    present_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    late_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.CharField(_("closed by"), max_length=40, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance session")
        verbose_name_plural = _("attendance sessions")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "source_key"],
                condition=~Q(source_key=""),
                name="attendance_session_unique_source",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "starts_at"], name="attendance_session_owner"),
            models.Index(fields=["closed_at", "ends_at"], name="attendance_session_open"),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.starts_at:%Y-%m-%d %H:%M}"


class MarkQuerySet(ScopedQuerySet):
    def current(self):
        """The marks nobody has corrected: each person's standing record."""
        return self.filter(superseded_by__isnull=True)


class Mark(models.Model):
    """How one person attended one session, as captured once. Append-only."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="marks")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="attendance_marks")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    leave_kind = models.CharField(
        _("kind of leave"), max_length=12, choices=LeaveKind.choices, blank=True
    )
    method = models.CharField(_("captured by"), max_length=16, choices=Method.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.IN)
    point = models.CharField(_("check-in point"), max_length=64, blank=True)
    happened_at = models.DateTimeField(_("time"))
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    device = models.CharField(_("device"), max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    objects = MarkQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance mark")
        verbose_name_plural = _("attendance marks")
        ordering = ["happened_at", "pk"]
        constraints = [
            # Once per person and direction: two phones, two scanners or two close jobs
            # racing each other store one first mark; the loser is told "already marked".
            models.UniqueConstraint(
                fields=["session", "person", "direction"],
                condition=Q(supersedes__isnull=True),
                name="attendance_mark_once",
            ),
        ]
        indexes = [models.Index(fields=["person", "happened_at"], name="attendance_mark_person")]

    def __str__(self) -> str:
        return f"{self.session_id} {self.person_id} {self.status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Attendance marks are append-only; record a correction instead.")
        super().save(*args, **kwargs)

    @property
    def status_label(self) -> str:
        label = str(Status(self.status).label)
        if self.leave_kind:
            label += f"（{LeaveKind(self.leave_kind).label}）"
        return label


class MakeupQuerySet(ScopedQuerySet):
    pass


class MarkRequest(DecisionFields):
    """A student's 补签: "I was there", with evidence, decided by the session's teacher.
    Also a correction past the retro-edit limit waiting for the department admin."""

    class Kind(models.TextChoices):
        MAKEUP = "makeup", _("Make-up sign-in")
        LATE_CORRECTION = "late_correction", _("Correction after the time limit")

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MAKEUP)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="requests")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status asked for"), max_length=12, choices=Status.choices)
    leave_kind = models.CharField(max_length=12, choices=LeaveKind.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    evidence_text = models.CharField(_("evidence"), max_length=300, blank=True)
    requested_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    mark = models.ForeignKey(
        Mark, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MakeupQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance request")
        verbose_name_plural = _("attendance requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person", "kind"],
                condition=Q(state=Decision.PENDING),
                name="attendance_request_one_pending",
            )
        ]


class AttendanceWarning(models.Model):
    """A warning sent to a student and their adviser; `key` makes each one once
    (a rate warning once per term, a run of absences once per run)."""

    class Kind(models.TextChoices):
        RATE = "rate", _("Low attendance rate")
        CONSECUTIVE = "consecutive", _("Absences in a row")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    key = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "key"], name="attendance_warning_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.key}"
