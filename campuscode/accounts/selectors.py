"""Reads for the account pages: TOTP devices and the demo outbox."""

import base64
from urllib.parse import quote, urlencode

from campuscode.accounts.models import OutboxMessage
from campuscode.codes.services import qr_svg

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


def outbox(limit: int = 50):
    return OutboxMessage.objects.all()[:limit]
