"""Check-in points, date notices, health check-ins, their honesty flags, manual statuses.

A check-in keeps what the person said (temperature, symptoms, contact) and what the
server saw (point, time, how the point was reached, device, address). A correction in
the same window is a new row; the earlier one stays, marked as superseded (R6.5).
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscode.audit.keys import AuditKeyMissing
from campuscode.checkins.mac import FIELDS, OPTIONAL_FIELDS, checkin_mac
from campuscode.codes.tokens import Colour
from campuscode.people.models import OrgUnit, Person, ScopedQuerySet


def _new_key() -> str:
    return secrets.token_urlsafe(18)


MAC_FIELDS = FIELDS + OPTIONAL_FIELDS


class Codes(models.TextChoices):
    SCREEN = "screen", _("Rotating code on a registered screen")
    POSTER = "poster", _("Printed poster only")
    BOTH = "both", _("Screen and printed poster")


class OnMissing(models.TextChoices):
    FLAG = "flag", _("Store the check-in with a flag")
    REFUSE = "refuse", _("Refuse the check-in")


class CheckinPoint(models.Model):
    """A designated place to check in (R4.3): a screen with a rotating code, or a poster."""

    class Kind(models.TextChoices):
        ENTRANCE = "entrance", _("Campus entrance")
        TEACHING = "teaching", _("Teaching building")
        OFFICE = "office", _("Office building")
        DORMITORY = "dormitory", _("Dormitory")
        OTHER = "other", _("Other")

    campus = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="checkin_points",
        limit_choices_to={"kind": OrgUnit.Kind.CAMPUS},
        verbose_name=_("campus"),
    )
    building = models.CharField(_("building"), max_length=100)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    active = models.BooleanField(_("in use"), default=True)
    # Which codes open the form here. A poster proves no presence by itself (anyone with
    # a photo of it can scan it from home), so it is a per-point choice, and a poster
    # check-in is flagged unless presence evidence backs it (devices.poster_needs_evidence).
    codes = models.CharField(
        _("codes at this point"), max_length=8, choices=Codes.choices, default=Codes.SCREEN
    )
    # Bumped to withdraw every printed poster of the point at once.
    poster_version = models.PositiveIntegerField(default=1, editable=False)
    # Presence evidence (checkins.evidence): what proves that the person stands at the
    # point (any one ticked kind suffices), and what happens when none does. The form's
    # binding to the browser that opened it is checked at every point.
    evidence_network = models.BooleanField(
        _("campus network proves presence"),
        default=True,
        help_text=_("A check-in from an address in the campus networks counts as on site."),
    )
    evidence_location = models.BooleanField(
        _("phone location proves presence"),
        default=False,
        help_text=_(
            "The form asks the phone for its location; within the radius below, with "
            "enough accuracy, counts as on site. Needs the point's coordinates."
        ),
    )
    evidence_scan = models.BooleanField(
        _("the point's scanner proves presence"),
        default=False,
        help_text=_(
            "The point's scanner reads the person's own campus code and opens their form "
            "for a few minutes: the strongest proof."
        ),
    )
    on_missing = models.CharField(
        _("without proof of presence"),
        max_length=8,
        choices=OnMissing.choices,
        default=OnMissing.FLAG,
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    radius_m = models.PositiveIntegerField(
        _("radius (m)"),
        default=150,
        help_text=_("How far from the coordinates a phone may be and still count as at the point."),
    )
    # The point's scanner acts with its own token (Bearer pt_...); only a hash is kept.
    scanner_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    scanner_token_hint = models.CharField(max_length=12, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("check-in point")
        verbose_name_plural = _("check-in points")
        ordering = ["campus__path", "building", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campus", "building", "name"], name="checkin_point_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campus.name} · {self.building} · {self.name}"

    @property
    def has_screen(self) -> bool:
        return self.codes in (Codes.SCREEN, Codes.BOTH)

    @property
    def takes_posters(self) -> bool:
        return self.codes in (Codes.POSTER, Codes.BOTH)


class KioskDisplay(models.Model):
    """A point's screen, registered like a gate device: only a request carrying its
    credential (an HttpOnly cookie set at enrolment, or an Authorization header) gets
    the point's live code, so a script at home cannot fetch it. The credential is shown
    once; only its hash is kept. It also keys the codes the screen makes by itself while
    offline (tokens.display_token)."""

    point = models.ForeignKey(
        CheckinPoint, on_delete=models.CASCADE, related_name="displays", verbose_name=_("point")
    )
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("credential starts with"), max_length=12, editable=False)
    # The credential replaced last: a screen still presenting it raises a tamper alert.
    previous_token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    token_issued_at = models.DateTimeField(_("credential issued"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_heartbeat_at = models.DateTimeField(_("last heard from"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("point screen")
        verbose_name_plural = _("point screens")
        ordering = ["point", "name"]

    def __str__(self) -> str:
        return f"{self.point} · {self.name}"


class KioskAlert(models.Model):
    """A point screen the people running the points must look at: gone silent (switched
    off, unplugged, its page closed) or its revoked credential used again."""

    class Kind(models.TextChoices):
        SILENT = "silent", _("Screen silent (not heard from)")
        TAMPER = "tamper", _("A revoked or replaced screen credential was used")

    display = models.ForeignKey(KioskDisplay, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("point screen alert")
        verbose_name_plural = _("point screen alerts")
        ordering = ["-raised_at"]
        constraints = [
            # One open alert per screen and kind: a silent screen is one alert.
            models.UniqueConstraint(
                fields=["display", "kind"],
                condition=models.Q(resolved_at__isnull=True),
                name="kioskalert_one_open_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.display}: {self.get_kind_display()}"


class CampusAssignment(models.Model):
    """An extra campus a staff member works on and may check in at (R4.3, R4.4)."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="extra_campuses", verbose_name=_("person")
    )
    campus = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind": OrgUnit.Kind.CAMPUS},
        verbose_name=_("campus"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("extra campus")
        verbose_name_plural = _("extra campuses")
        constraints = [
            models.UniqueConstraint(fields=["person", "campus"], name="campus_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.campus}"


class Period(models.TextChoices):
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")


class WindowNotice(models.Model):
    """A school notice changing the check-in windows for some dates (R4.1)."""

    class Kind(models.TextChoices):
        NO_CHECKIN = "none", _("No check-in on these dates")
        OTHER_TIMES = "times", _("Other times on these dates")

    school = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    kind = models.CharField(_("change"), max_length=8, choices=Kind.choices)
    # 'HH:MM-HH:MM' or blank (no window), for everyone on these dates.
    morning = models.CharField(_("morning window"), max_length=11, blank=True)
    afternoon = models.CharField(_("afternoon window"), max_length=11, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("check-in notice")
        verbose_name_plural = _("check-in notices")
        ordering = ["-first_day"]

    def __str__(self) -> str:
        return f"{self.first_day}–{self.last_day} {self.title}"

    @property
    def morning_range(self):
        return _window_range(self.morning)

    @property
    def afternoon_range(self):
        return _window_range(self.afternoon)


def _window_range(text: str):
    """A notice's window as (start, end) times, or None (blank: no check-in then)."""
    from campuscode.core.rules import TimeRangeSpec

    return TimeRangeSpec("window", "", "").to_python(text)


class Via(models.TextChoices):
    SCREEN = "screen", _("Rotating code on the point's screen")
    POSTER = "poster", _("Static poster code")
    # followup (issue 4): recorded by an adviser for someone without a phone (R4.6), or an
    # approved make-up of a missed window (R4.2); neither ever counts as on time.
    MANUAL = "manual", _("Registered manually")
    MAKEUP = "makeup", _("Make-up check-in")


class Symptom(models.TextChoices):
    COUGH = "cough", _("Cough")
    FEVER = "fever", _("Fever")
    FATIGUE = "fatigue", _("Fatigue")
    BREATHING = "breathing", _("Breathing difficulty")
    OTHER = "other", _("Other")


class Contact(models.TextChoices):
    NONE = "none", _("No contact")
    CONFIRMED = "confirmed", _("Contact with a confirmed case")
    SUSPECTED = "suspected", _("Contact with a suspected case")


class CheckinQuerySet(ScopedQuerySet):
    def effective(self):
        return self.filter(superseded_at__isnull=True)


class Checkin(models.Model):
    # No single-column indexes on person and point: the composite indexes below lead
    # with them, and every index is written on each check-in (R6.1 throughput).
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="checkins",
        verbose_name=_("person"),
        db_index=False,
    )
    # Blank only for a make-up (no point was visited) or a manual registration elsewhere.
    point = models.ForeignKey(
        CheckinPoint,
        on_delete=models.PROTECT,
        related_name="checkins",
        verbose_name=_("point"),
        null=True,
        blank=True,
        db_index=False,
    )
    at = models.DateTimeField(_("time"))
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
    colour = models.CharField(_("status"), max_length=8, choices=Colour.choices)
    reason = models.CharField(max_length=32)
    via = models.CharField(_("reached by"), max_length=8, choices=Via.choices)
    device = models.CharField(max_length=40, blank=True)
    # Which phone, when the device cookie cannot tell (checkins.honesty): a hash of the
    # user agent, client hints and what the form's script reports; and whether the device
    # cookie was issued just now (cleared cookies, a private tab, a script).
    fingerprint = models.CharField(max_length=16, blank=True, default="", db_default="")
    device_new = models.BooleanField(default=False, db_default=False)
    ip = models.GenericIPAddressField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=64)
    # Who recorded a manual registration or approved a make-up (followup); blank otherwise.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    # Why this check-in replaces an earlier one of the same window (a correction); blank
    # for a first check-in. Set on the new row at its INSERT: check-ins stay append-only.
    correction_reason = models.CharField(
        _("reason for the correction"), max_length=200, blank=True, default="", db_default=""
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # HMAC of the identifying and declared fields under the out-of-database audit key,
    # set on every save (checkins.mac); blank or wrong on a row written behind the
    # application's back, which `campuscode verify-records` reports.
    mac = models.CharField(max_length=64, blank=True, editable=False)
    # What the server saw of the person's presence (checkins.evidence), in plain data:
    # network in/out and the range matched, distance and accuracy, the scanner's grant,
    # whether the form stayed in the browser and network that opened it.
    # db_default: rows written by raw SQL (the demo's bulk history, old importers) too.
    evidence = models.JSONField(default=dict, blank=True, db_default={})

    objects = CheckinQuerySet.as_manager()

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-at"]
        constraints = [
            # A retried submission (double tap, timeout, two tabs) finds its first row.
            models.UniqueConstraint(
                fields=["person", "idempotency_key"], name="checkin_unique_idempotency_key"
            ),
            # One effective check-in per person and window; a correction supersedes the
            # earlier one first. The database keeps it true under concurrent requests.
            models.UniqueConstraint(
                fields=["person", "day", "period"],
                condition=models.Q(superseded_at__isnull=True),
                name="checkin_one_effective_per_window",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "-at"], name="checkin_person_latest"),
            models.Index(fields=["day", "period", "person"], name="checkin_window"),
            models.Index(fields=["point", "at"], name="checkin_point_time"),
            models.Index(fields=["device", "day", "period"], name="checkin_device_window"),
            # The consecutive-miss detector's bound (anomalies.detectors.could_miss) counts
            # each person's effective check-ins over three weeks: an index-only range scan
            # here (~2 million entries for 50,000 people) instead of a read of the rows or
            # of the whole (person, day, period) index. Entries are appended in day order.
            models.Index(
                fields=["day", "person"],
                condition=models.Q(superseded_at__isnull=True),
                name="checkin_effective_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.day} {self.period} {self.temperature}"

    def save(self, *args, **kwargs):
        # Every write through the application signs the row; a raw INSERT or UPDATE
        # does not, which is how verify-records tells them apart.
        self.mac = self.compute_mac()
        if (fields := kwargs.get("update_fields")) is not None:
            kwargs["update_fields"] = {*fields, "mac"}
        super().save(*args, **kwargs)

    def compute_mac(self, *, create_key: bool = True) -> str:
        return checkin_mac(
            {name: getattr(self, name) for name in MAC_FIELDS}, create_key=create_key
        )

    @property
    def mac_ok(self) -> bool:
        """Whether the row still carries the MAC the application gave it (for the lists;
        verify-records also checks superseded rows' successors)."""
        try:
            return bool(self.mac) and self.mac == self.compute_mac(create_key=False)
        except (AuditKeyMissing, ValueError):  # no key, or a value no form could send
            return False

    @property
    def symptom_labels(self) -> list[str]:
        return [str(Symptom(code).label) for code in self.symptoms if code in Symptom.values]


class FlagQuerySet(ScopedQuerySet):
    scope_unit = "checkin__person__org_unit"
    scope_kind = "checkin__person__kind"
    scope_owner = "checkin__person__user"


class Flag(models.Model):
    """A reason to doubt a check-in (R1.2); stored with it, never instead of it."""

    class Reason(models.TextChoices):
        SHARED_DEVICE = (
            "shared_device",
            _("The same phone checked in another account in this window"),
        )
        ADDRESS_BURST = (
            "address_burst",
            _("Several accounts checked in at this point from one phone on one network address"),
        )
        NOT_OPENED = (
            "not_opened",
            _("The form was sent without the point's code being opened in this browser"),
        )
        # A poster is static: its photo works anywhere. Only presence evidence (see
        # checkins.devices.poster_needs_evidence) can back a poster check-in.
        POSTER_NO_EVIDENCE = (
            "poster_no_evidence",
            _("Checked in through a printed poster with no evidence of being at the point"),
        )
        OFF_CAMPUS_NETWORK = (
            "off_campus_network",
            _("Sent from outside the campus networks"),
        )
        LOCATION_MISSING = (
            "location_missing",
            _("The phone gave no location, or one too imprecise to tell"),
        )
        LOCATION_FAR = "location_far", _("The phone was too far from the point")
        NOT_SCANNED = (
            "not_scanned",
            _("The point's scanner had not read this person's campus code"),
        )
        FORM_MOVED = (
            "form_moved",
            _("The form was sent from another browser or network than the one that opened it"),
        )
        ISOLATED = (
            "isolated",
            _("Checked in on campus while under isolation or medical observation"),
        )

    checkin = models.ForeignKey(Checkin, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.JSONField(default=dict, blank=True)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    explained_at = models.DateTimeField(null=True, blank=True)
    explanation = models.CharField(_("explanation"), max_length=300, blank=True)

    objects = FlagQuerySet.as_manager()

    class Meta:
        verbose_name = _("check-in flag")
        verbose_name_plural = _("check-in flags")
        constraints = [
            models.UniqueConstraint(fields=["checkin", "reason"], name="flag_unique_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.checkin_id}: {self.reason}"


class ManualStatus(models.Model):
    """A status set by the health office by hand, with its reason, until cleared (R2.1)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="manual_statuses")
    colour = models.CharField(_("status"), max_length=8, choices=Colour.choices)
    reason = models.CharField(_("reason"), max_length=300)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField()
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["person", "cleared_at"], name="manual_status_current")]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.colour}"


class Reminder(models.Model):
    """One reminder per person and window: the job may run again without sending twice.
    The message itself goes through notify (its in-app notice and deliveries)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    period = models.CharField(max_length=10, choices=Period.choices)
    closes = models.CharField(max_length=5)  # "HH:MM", for the message
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "day", "period"], name="reminder_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.day} {self.period}"


class CampusNetwork(models.Model):
    """An address range of a campus's own networks (Wi-Fi, wired, the school VPN's exit):
    a check-in from inside one is network evidence of presence."""

    campus = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind": OrgUnit.Kind.CAMPUS},
        verbose_name=_("campus"),
    )
    network = models.CharField(_("address range"), max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campus network")
        verbose_name_plural = _("campus networks")
        ordering = ["campus__path", "network"]
        constraints = [
            models.UniqueConstraint(fields=["campus", "network"], name="campus_network_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.campus_id}: {self.network}"


class PresenceGrant(models.Model):
    """The point's scanner read this person's own campus code: their form at that point
    counts as on site until `expires_at`. A relay cannot produce one."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    point = models.ForeignKey(CheckinPoint, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["person", "point", "-expires_at"], name="presence_grant_lookup")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.point_id} until {self.expires_at}"
