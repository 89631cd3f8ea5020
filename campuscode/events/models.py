"""School events and their sign-in (R2.5), built on the attendance session engine.

An `Event` has one or more sittings (`EventSession`, each one `attendance.Session` of kind
"event": its window, its append-only marks, its rotating code), check-in points at its
doors, and registrations. Who attended is the engine's marks (签到 = direction "in",
签退 = "out"); every scan at a door, allowed or refused, is a `DoorScan` with a reason code.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campuscode.people.models import OrgUnit, Person, ScopedQuerySet

USER = settings.AUTH_USER_MODEL


class EventQuerySet(ScopedQuerySet):
    # An organiser reaches the events of their unit's subtree, whoever is invited.
    scope_unit = "organiser_unit"
    scope_kind = None
    scope_owner = "created_by"


class Event(models.Model):
    class Audience(models.TextChoices):
        UNITS = "units", _("People in chosen units or classes")
        REGISTERED = "registered", _("Registered people only")
        EVERYONE = "everyone", _("Everyone at the school")

    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    organiser_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("organising unit")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    audience = models.CharField(
        _("who may attend"), max_length=12, choices=Audience.choices, default=Audience.UNITS
    )
    units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="+", verbose_name=_("units or classes invited")
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    registration_open = models.BooleanField(_("people may register themselves"), default=False)
    needs_approval = models.BooleanField(_("registrations need approval"), default=False)
    mandatory = models.BooleanField(
        _("mandatory"),
        default=False,
        help_text=_("Absences of invited people go to their class adviser to review."),
    )
    min_stay_minutes = models.PositiveSmallIntegerField(
        _("minimum stay (minutes)"),
        default=0,
        help_text=_(
            "0: signing in is enough. Otherwise people sign out, and hours are awarded "
            "only to those who stayed this long."
        ),
    )
    signin_opens_minutes = models.PositiveSmallIntegerField(
        _("sign-in opens before the start (minutes)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(24 * 60)],
        help_text=_(
            "Leave empty for the school's setting (课堂考勤: signing in opens before the start)."
        ),
    )
    hours = models.DecimalField(
        _("second-classroom hours per sitting"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("0"),
    )
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def needs_sign_out(self) -> bool:
        return self.min_stay_minutes > 0


class EventSessionQuerySet(ScopedQuerySet):
    scope_unit = "event__organiser_unit"
    scope_kind = None
    scope_owner = "event__created_by"


class EventSession(models.Model):
    """One sitting of an event (a multi-day event has several): the engine's session."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sittings")
    session = models.OneToOneField(
        "attendance.Session", on_delete=models.PROTECT, related_name="event_sitting"
    )
    # Set once a closed sitting's absences went to review: the job looks at each once.
    reviews_opened_at = models.DateTimeField(null=True, blank=True)

    objects = EventSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("event sitting")
        verbose_name_plural = _("event sittings")
        ordering = ["session__starts_at", "pk"]

    def __str__(self) -> str:
        return str(self.session)


class CheckPoint(models.Model):
    class Kind(models.TextChoices):
        ENTRY = "entry", _("Entry (sign in)")
        EXIT = "exit", _("Exit (sign out)")
        BOTH = "both", _("Entry and exit")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="points")
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices, default=Kind.BOTH)

    class Meta:
        verbose_name = _("event check-in point")
        verbose_name_plural = _("event check-in points")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="events_point_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.name}"

    def allows(self, direction: str) -> bool:
        return self.kind == self.Kind.BOTH or (self.kind == self.Kind.ENTRY) == (direction == "in")


class Registration(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Registered")
        REJECTED = "rejected", _("Not approved")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        SELF = "self", _("Registered themself")
        ORGANISER = "organiser", _("Added by the organiser")
        WALK_IN = "walk_in", _("Walk-in, registered manually at the door")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="event_registrations")
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    source = models.CharField(_("how"), max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(_("registered at"))
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("event registration")
        verbose_name_plural = _("event registrations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "person"], name="events_registration_once")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.person_id} {self.state}"


class DoorReason(models.TextChoices):
    """Why a door scan signed someone in (or out) or not; the same codes online, offline
    and in the door page's script."""

    OK = "ok", pgettext_lazy("door scan", "Signed")
    ALREADY = "already", _("Already signed: not counted again")
    MALFORMED = "malformed", _("Not a campus code")
    UNKNOWN_KEY = "unknown_key", _("Signed by an unknown or retired key")
    BAD_SIGNATURE = "bad_signature", _("Signature does not match (forged or altered)")
    EXPIRED = "expired", _("Code expired")
    UNKNOWN_PERSON = "unknown_person", _("Person not in the registry")
    SUSPENDED = "suspended", _("Person suspended")
    LEFT = "left", _("Person has left or graduated")
    NOT_INVITED = "not_invited", _("Not registered or invited")
    PENDING = "pending", _("Registration waiting for approval")
    FULL = "full", _("The event is full")
    NOT_OPEN = "not_open", _("No sitting open for sign-in now")
    NOT_SIGNED_IN = "not_signed_in", _("Signing out without having signed in")
    WRONG_POINT = "wrong_point", _("This point does not take this direction")
    NOT_ON_LIST = "not_on_list", _("Not on this scanner's offline list")
    STALE = "stale", _("Scanner list too old (offline too long)")
    UNVERIFIED = "unverified", _("Offline record could not be verified")


class DoorScanQuerySet(ScopedQuerySet):
    scope_unit = "point__event__organiser_unit"
    scope_kind = None
    scope_owner = "person__user"


class DoorScan(models.Model):
    """One code scanned at an event's door, online or uploaded from an offline scanner."""

    class Source(models.TextChoices):
        ONLINE = "online", _("Online")
        OFFLINE = "offline", _("Offline (uploaded later)")

    point = models.ForeignKey(CheckPoint, on_delete=models.CASCADE, related_name="scans")
    nonce = models.CharField(max_length=64)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    direction = models.CharField(max_length=3)
    at = models.DateTimeField(_("time"))
    ok = models.BooleanField()
    reason = models.CharField(_("reason"), max_length=16, choices=DoorReason.choices)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ONLINE)
    # An offline upload the server could not confirm: gates.models.Unverified's codes.
    unverified = models.CharField(max_length=16, blank=True)
    mark = models.ForeignKey(
        "attendance.Mark", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scanned_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    objects = DoorScanQuerySet.as_manager()

    class Meta:
        verbose_name = _("door scan")
        verbose_name_plural = _("door scans")
        ordering = ["-at", "-pk"]
        constraints = [
            # A scanner's retry (or a second upload of its queue) is the same scan.
            models.UniqueConstraint(fields=["point", "nonce"], name="events_doorscan_nonce")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.point_id} {self.direction} {self.reason}"


class AbsenceReview(models.Model):
    """An invited person absent from a mandatory event, for their class adviser to
    review (R2.5): it records no violation by itself; the adviser decides."""

    class State(models.TextChoices):
        OPEN = "open", _("To review")
        EXCUSED = "excused", _("Excused")
        UNEXCUSED = "unexcused", _("Not excused")

    sitting = models.ForeignKey(EventSession, on_delete=models.CASCADE, related_name="reviews")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="event_absences")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField()
    due_at = models.DateTimeField(_("review by"))
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("event absence to review")
        verbose_name_plural = _("event absences to review")
        ordering = ["-created_at", "pk"]
        constraints = [
            # Closing a sitting twice (two workers, a rerun) opens one review a person.
            models.UniqueConstraint(fields=["sitting", "person"], name="events_review_once")
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="events_review_state")]

    def __str__(self) -> str:
        return f"{self.sitting_id} {self.person_id} {self.state}"
