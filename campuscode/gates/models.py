"""Controlled places, their gate devices, and every scan as an entry/exit event (R2.2).

A refused scan is a row like an allowed one: the reason code says why. The rules of a
place (who, when, which colours) are fields edited on the places page, not constants.
"""

import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campuscode.people.models import OrgUnit, Person, ScopedQuerySet


class Reason(models.TextChoices):
    """Why a scan was allowed or refused; the same codes online, offline and in the JS page."""

    OK = "ok", _("Allowed")
    MALFORMED = "malformed", _("Not a campus code")
    UNKNOWN_KEY = "unknown_key", _("Signed by an unknown or retired key")
    BAD_SIGNATURE = "bad_signature", _("Signature does not match (forged or altered)")
    EXPIRED = "expired", _("Code expired")
    UNKNOWN_PERSON = "unknown_person", _("Person not in the registry")
    SUSPENDED = "suspended", _("Person suspended")
    LEFT = "left", _("Person has left or graduated")
    VISITOR_INVALID = "visitor_invalid", _("Visitor pass not valid today")
    OUTSIDE_HOURS = "outside_hours", _("Outside opening hours")
    NOT_ALLOWED = "not_allowed", _("Not allowed at this place")
    RED_STATUS = "red_status", _("Red code")
    YELLOW_STATUS = "yellow_status", _("Yellow code")
    DUPLICATE = "duplicate", _("Code already used here")
    # Anti-passback (R8.1(3)): the person entered the campus through one of its gates and
    # no exit has been recorded since (within the school's passback time).
    PASSBACK = "passback", _("Already inside: no exit recorded since the last entry")
    # The person's code was scanned at another campus gate too short a time ago for
    # anyone to walk between them: a copy of the code is in use. Raises a gate alert.
    IMPOSSIBLE_TRAVEL = "impossible_travel", _("Code just seen at another gate")
    STALE = "stale", _("Gate data too old (offline too long)")
    # Offline only: the gate's list holds just the people this place admits.
    NOT_ON_LIST = "not_on_list", _("Not on this gate's offline list")
    # Uploaded by an offline gate as allowed, but the server could not confirm it
    # (GateEvent.unverified says why): it never counts as a passage.
    UNVERIFIED = "unverified", _("Offline record could not be verified")


class Unverified(models.TextChoices):
    """Why the server could not confirm an event an offline gate uploaded (R2.2)."""

    NONE = "", pgettext_lazy("offline record", "Verified")
    NO_TOKEN = "no_token", _("No code uploaded with the record")
    BAD_TOKEN = "bad_token", _("Code not genuine (malformed, forged or unknown key)")
    KEY_RETIRED = "key_retired", _("Code signed by a key retired before that time")
    BEFORE_ISSUE = "before_issue", _("Claimed time lies before the code was issued")
    EXPIRED_THEN = "expired_then", _("Code had expired at the claimed time")
    FUTURE = "future", _("Claimed time lies in the future")
    TOO_OLD = "too_old", _("Claimed time lies before the upload window")
    OTHER_PERSON = "other_person", _("Code belongs to another person")
    UNKNOWN_PERSON = "unknown_person", _("Person not in the registry")


class Notice(models.TextChoices):
    """An allowed scan the gate staff should look at."""

    NONE = "", _("None")
    CURFEW = "curfew", _("Entry after curfew")
    YELLOW = "yellow", _("Yellow code")
    RED = "red", _("Red code")
    DEGRADED = "degraded", _("Decided in degraded mode (stale gate data)")


class ColourPolicy(models.TextChoices):
    ALLOW = "allow", _("Allow")
    NOTICE = "notice", _("Allow with a notice to the gate staff")
    REFUSE = "refuse", _("Refuse")


class Direction(models.TextChoices):
    IN = "in", _("Entry")
    OUT = "out", _("Exit")


class Place(models.Model):
    class Kind(models.TextChoices):
        CAMPUS_GATE = "campus_gate", _("Campus gate")
        LIBRARY = "library", _("Library")
        DORMITORY = "dormitory", _("Dormitory building")
        LAB = "lab", _("Laboratory")
        OTHER = "other", _("Other")

    campus = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="gate_places",
        limit_choices_to={"kind": OrgUnit.Kind.CAMPUS},
        verbose_name=_("campus"),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Empty = everyone; else only these person kinds / people under these units may enter.
    allowed_kinds = models.JSONField(_("person kinds allowed"), default=list, blank=True)
    allowed_units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="+", verbose_name=_("org units allowed")
    )
    # Visitors enter only the places their approval names (R3.3).
    visitors = models.ManyToManyField(
        Person, blank=True, related_name="visitor_places", verbose_name=_("visitors approved")
    )
    # Both empty = always open; closes before opens = open across midnight.
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    # Entry in [curfew_starts, curfew_ends) is allowed but flagged; dormitories fall back
    # to the school's default curfew when these are empty.
    curfew_starts = models.TimeField(_("curfew starts"), null=True, blank=True)
    curfew_ends = models.TimeField(_("curfew ends"), null=True, blank=True)
    red_policy = models.CharField(
        _("red code"), max_length=8, choices=ColourPolicy.choices, default=ColourPolicy.REFUSE
    )
    yellow_policy = models.CharField(
        _("yellow code"), max_length=8, choices=ColourPolicy.choices, default=ColourPolicy.NOTICE
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("controlled place")
        verbose_name_plural = _("controlled places")
        ordering = ["campus__path", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["campus", "name"], name="place_unique_name_per_campus")
        ]

    def __str__(self) -> str:
        return f"{self.campus.name} · {self.name}"


def hash_device_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class GateQuerySet(models.QuerySet):
    def working(self):
        return self.filter(revoked_at__isnull=True, place__active=True)


class Gate(models.Model):
    """One device (turnstile reader, tablet, small PC) at a place, with its own API token."""

    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, related_name="gates", verbose_name=_("place")
    )
    name = models.CharField(_("name"), max_length=100)
    # Only a hash of the device token is stored; the token is shown once at registration.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("token starts with"), max_length=12, editable=False)
    token_issued_at = models.DateTimeField(_("token issued"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    registered_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    last_heartbeat = models.JSONField(default=dict, blank=True)
    last_sync_at = models.DateTimeField(_("last snapshot"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GateQuerySet.as_manager()

    class Meta:
        verbose_name = _("gate device")
        verbose_name_plural = _("gate devices")
        ordering = ["place__campus__path", "place__name", "name"]

    def __str__(self) -> str:
        return f"{self.place} · {self.name}"


class GateEventQuerySet(ScopedQuerySet):
    # Gate staff read the passages at the places of their campus, whoever passed.
    scope_unit = "place__campus"
    scope_kind = None
    scope_owner = "person__user"


class GateEvent(models.Model):
    """One scan at a gate: allowed or refused, with the reason code (R2.2, R6.1)."""

    class Source(models.TextChoices):
        ONLINE = "online", _("Online")
        OFFLINE = "offline", _("Offline (uploaded later)")

    # Every index is written on every scan, so the foreign keys get none of their own:
    # the composite indexes in Meta lead with them and serve the same lookups.
    gate = models.ForeignKey(Gate, on_delete=models.PROTECT, related_name="events", db_index=False)
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="gate_events",
        db_index=False,
    )
    at = models.DateTimeField(_("time"), db_index=True)
    allowed = models.BooleanField(_("allowed"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    notice = models.CharField(
        _("notice"), max_length=10, choices=Notice.choices, blank=True, default=""
    )
    colour = models.CharField(_("colour"), max_length=8, blank=True)
    # The first 16 hex of the token's SHA-256: spots a code shown twice, stores no code.
    # Not indexed: the duplicate check finds it among the person's recent scans.
    token_fp = models.CharField(max_length=16, blank=True)
    # The device's idempotency key: a retry with the same nonce is the same event.
    nonce = models.CharField(max_length=64)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ONLINE)
    # Set only on an uploaded event the server could not confirm; it is then stored as
    # refused (`unverified`), with what the device claimed kept in `claim`. The column
    # has a database default: the online scan's hand-written INSERT leaves it out.
    unverified = models.CharField(
        _("unverified because"),
        max_length=16,
        choices=Unverified.choices,
        blank=True,
        default=Unverified.NONE,
        db_default=Unverified.NONE,
    )
    claim = models.JSONField(_("claimed by the device"), null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    objects = GateEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("entry/exit event")
        verbose_name_plural = _("entry/exit events")
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["gate", "nonce"], name="gateevent_unique_nonce")
        ]
        indexes = [
            models.Index(fields=["place", "-at"]),
            models.Index(fields=["person", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.gate} {self.direction} {self.reason}"

    @property
    def person_label(self) -> str:
        if self.person is None:
            return ""
        return f"{self.person.masked_name} · {self.person.org_unit.name}"


class GateAlert(models.Model):
    """Something at a gate that security staff must see (R7.2, R8.1(4))."""

    class Kind(models.TextChoices):
        SILENT = "silent", _("Gate silent (no heartbeat)")
        TAMPER = "tamper", _("Tampering reported by the device")
        # One alert per incident: the same person's code at two gates too quickly.
        TRAVEL = "travel", _("Code seen at two gates too quickly")

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("gate alert")
        verbose_name_plural = _("gate alerts")
        ordering = ["-raised_at"]
        constraints = [
            # One open alert per gate and kind: a silent gate is one alert, not one a minute.
            # A copied code is an incident of its own each time: not collapsed.
            models.UniqueConstraint(
                fields=["gate", "kind"],
                condition=models.Q(resolved_at__isnull=True, kind__in=["silent", "tamper"]),
                name="gatealert_one_open_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.gate}: {self.get_kind_display()}"
