from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A copy of every e-mail the demo's mail backend 'sent', shown on the outbox page; and
    every text message of the demo's SMS backend (notify.channels.OutboxSmsBackend)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("Text message")

    sent_at = models.DateTimeField(auto_now_add=True)
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, default=Channel.EMAIL
    )
    to = models.CharField(_("to"), max_length=500)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")

    def __str__(self) -> str:
        return f"{self.sent_at:%Y-%m-%d %H:%M} → {self.to}: {self.subject}"


class ClaimRefusal(models.TextChoices):
    """Why a claim step was refused; the page shows the label, tests check the code."""

    MISMATCH = (
        "mismatch",
        _(
            "These details do not match our records. Check the number, the name and the "
            "last 4 characters of your ID number."
        ),
    )
    LOCKED = "locked", _("Too many failed attempts for this account.")
    ADDRESS_LIMITED = "address_limited", _("Too many failed attempts from your network.")
    NOT_ACTIVE = (
        "not_active",
        _(
            "Your record is not active right now, so the code cannot be claimed. Ask your class adviser or department."
        ),
    )
    NO_EMAIL = (
        "no_email",
        _(
            "There is no mobile number or e-mail address on file for you. Ask your class "
            "adviser or department to add one, then try again."
        ),
    )
    ACCOUNT_DISABLED = (
        "account_disabled",
        _("Your account has been disabled. Ask the IT office for help."),
    )
    ALREADY_CLAIMED = (
        "already_claimed",
        _(
            "This account has been claimed already, so its password cannot be set here. "
            "Change it on the Account security page with your current password, or ask the "
            "IT office to reset it."
        ),
    )
    SEND_FAILED = "send_failed", _("The e-mail could not be sent. Please try again later.")
    RESEND_TOO_SOON = (
        "resend_too_soon",
        _("A code was sent a moment ago. Please wait before asking again."),
    )
    TOO_MANY_CODES = (
        "too_many_codes",
        _("Too many codes were sent for this account. Please try again later."),
    )
    WRONG_CODE = "wrong_code", _("The code is not correct.")
    EXPIRED_CODE = "expired_code", _("The code has expired. Ask for a new one.")
    SESSION_EXPIRED = "session_expired", _("This claim has expired. Please start again.")


class TotpRefusal(models.TextChoices):
    WRONG_CODE = (
        "wrong_code",
        _("The code is not correct. Check the time on your phone and try again."),
    )
    WRONG_BACKUP_CODE = (
        "wrong_backup_code",
        _("This backup code is not correct, or it was used already. Each code works once."),
    )
    THROTTLED = "throttled", _("Too many wrong codes in a row.")
    NO_DEVICE = "no_device", _("Two-factor sign-in is not set up for this account.")


class ResetRefusal(models.TextChoices):
    """Why an administrator's reset of someone's two-factor sign-in was refused."""

    SELF = "self", _("You cannot reset your own two-factor sign-in; ask another administrator.")
    OUT_OF_SCOPE = (
        "out_of_scope",
        _("This account holds a role beyond the units you manage."),
    )
    NOT_ENROLLED = "not_enrolled", _("This account has no two-factor sign-in to reset.")


class PasswordResetRefusal(models.TextChoices):
    """Why an administrator's password reset was refused."""

    SELF = "self", _("You cannot reset your own password; change it on the Account security page.")
    OUT_OF_SCOPE = (
        "out_of_scope",
        _("This account holds a role beyond the units you manage."),
    )
    NO_PERSON = (
        "no_person",
        _(
            "This account belongs to no person record, so nobody could claim it again. "
            "Reset its password on the server with the changepassword command."
        ),
    )
    NO_EMAIL = (
        "no_email",
        _(
            "There is no mobile number or e-mail address on file for this person, so they "
            "could not claim the account again. Add one to their record first."
        ),
    )
    NOT_CLAIMED = (
        "not_claimed",
        _("This account has no password yet: the person sets one by claiming it."),
    )


class SecondFactorReset(models.Model):
    """An administrator turned someone's two-factor sign-in off (a lost phone).

    While open (not yet `enrolled_at`), sessions signed in before `reset_at` end, and the
    next sign-in must set up an authenticator again before any other page opens.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("account"),
    )
    reset_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("reset by"),
    )
    reset_at = models.DateTimeField(_("reset at"))
    enrolled_at = models.DateTimeField(_("set up again at"), null=True, blank=True)

    class Meta:
        verbose_name = _("two-factor reset")
        verbose_name_plural = _("two-factor resets")
        indexes = [models.Index(fields=["user", "enrolled_at"], name="accounts_2fa_reset_open")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.reset_at:%Y-%m-%d %H:%M}"


class ClaimGuard(models.Model):
    """Failed claim attempts against one number at one school, and the lock they cause.

    Keyed by the number as typed (normalised), not by Person: an unknown number locks
    exactly like a known one, so the lock never tells whether the number exists. Kept in
    the database so every worker process sees the same count.
    """

    school = models.ForeignKey(
        "people.OrgUnit", on_delete=models.CASCADE, related_name="+", verbose_name=_("school")
    )
    number = models.CharField(_("school/staff number"), max_length=64)
    failures = models.PositiveIntegerField(_("failures in the current window"), default=0)
    window_started_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim lock")
        verbose_name_plural = _("claim locks")
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="claimguard_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.failures}"

    def is_locked(self, now=None) -> bool:
        return bool(self.locked_until and self.locked_until > (now or timezone.now()))


class ClaimChallenge(models.Model):
    """One e-mailed one-time code. Only a keyed hash of the code is stored."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    code_hash = models.CharField(max_length=64)
    sent_to = models.CharField(_("sent to (masked)"), max_length=254)
    created_at = models.DateTimeField(_("sent at"), db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    # A newer code, or the lock, retires the older ones.
    retired = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("claim code")
        verbose_name_plural = _("claim codes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.created_at:%Y-%m-%d %H:%M}"

    def is_live(self, now) -> bool:
        return not self.retired and self.used_at is None and self.expires_at > now
