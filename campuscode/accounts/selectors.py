"""Reads for the account pages: two-factor devices, what a session must do next, the demo
outbox."""

import base64
from enum import StrEnum
from urllib.parse import quote, urlencode

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Subquery

from campuscode.accounts.models import OutboxMessage, SecondFactorReset
from campuscode.codes.services import qr_svg
from campuscode.core.rules import get_setting
from campuscode.people.access import reads_others

ISSUER = "Campus Code"


def confirmed_totp(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_totp(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def totp_secret(device) -> str:
    """The key in base32, grouped by four, for typing into an app by hand."""
    raw = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def totp_url(device) -> str:
    """The otpauth:// URL an authenticator app scans, with our issuer name.

    Built here rather than with OTP_TOTP_ISSUER so the settings file stays untouched.
    """
    issuer = ISSUER
    label = quote(f"{issuer}:{device.user.get_username()}")
    params = urlencode(
        {
            "secret": base64.b32encode(device.bin_key).decode("ascii").rstrip("="),
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        }
    )
    return f"otpauth://totp/{label}?{params}&issuer={quote(issuer)}"


def totp_qr_svg(device) -> str:
    return qr_svg(totp_url(device), scale=5)


def backup_codes_left(user) -> int:
    from django_otp.plugins.otp_static.models import StaticToken

    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def open_reset(user) -> SecondFactorReset | None:
    """The administrator's reset the account has not set the app up again since, if any."""
    return (
        SecondFactorReset.objects.filter(user=user, enrolled_at__isnull=True)
        .select_related("reset_by")
        .order_by("-reset_at")
        .first()
    )


# Session key: when this session signed in (set on every login, see signals.py).
SIGNED_IN_AT = "accounts.signed_in_at"


class Step(StrEnum):
    """What a signed-in session that has not passed a second factor must do next."""

    NONE = ""
    CODE = "code"  # enter a code from the app (or a backup code)
    SIGN_IN_AGAIN = "sign_in_again"  # signed in before an administrator's reset
    ENROL = "enrol"  # set the app up (again, after that reset) before anything else


def second_factor_step(request) -> Step:
    """Asked on each request of an unverified session, so one query answers it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = request.user
    state = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .values(
            has_app=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            reset_at=Subquery(
                SecondFactorReset.objects.filter(user=OuterRef("pk"), enrolled_at__isnull=True)
                .order_by("-reset_at")
                .values("reset_at")[:1]
            ),
        )
        .first()
    )
    if state is None:
        return Step.NONE
    if state["has_app"]:
        return Step.CODE
    if state["reset_at"] is not None:
        # A lost phone may still hold a signed-in session: everything from before the
        # reset ends, so only someone who knows the password can set up the new app.
        if request.session.get(SIGNED_IN_AT, 0) < state["reset_at"].timestamp():
            return Step.SIGN_IN_AGAIN
        return Step.ENROL if reads_others(user) else Step.NONE
    # MLPS 2.0 / PIPL Art. 51: a role that reads other people's data signs in with two
    # factors; the school may switch this off (the demo does, for one-step logins).
    if reads_others(user) and get_setting("session_require_second_factor"):
        return Step.ENROL
    return Step.NONE


def outbox(limit: int = 50):
    return OutboxMessage.objects.all()[:limit]
