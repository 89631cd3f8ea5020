"""Short tokens in a check-in point's URL.

A screen token is `<step>.<mac>`: the time step (Unix time // step seconds) and an HMAC
over (point id, step). It is accepted for the current and the previous step only, so a
photo of the code taken yesterday, or sent home, no longer works (R1.2).
A poster token is `p<version>.<mac>`: static, marked as such on the check-in.

A display token is `<step>-<display>.<mac>`: the same time step, signed by one registered
screen of the point with a secret it was given at enrolment (derived from its credential,
so rotating or revoking the screen retires it at once). The screen makes these itself
while it cannot reach the server; the phones reach the server as usual and it checks
signature, point and step. Only a screen that was online once since its enrolment can
make them, and only for as long as its page stays open (no offline start).
"""

import hashlib
import hmac
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campuscode.checkins.rules import setting as get_setting

MAC_CHARS = 12


class TokenCheck(models.TextChoices):
    OK = "ok", pgettext_lazy("code check", "Valid")
    MALFORMED = "malformed", _("This is not the code of a check-in point.")
    EXPIRED = "expired", _("This code has expired. Scan the code on the point's screen again.")


@dataclass(frozen=True)
class PointToken:
    result: str
    via: str = ""  # Via.SCREEN / Via.POSTER when valid
    step: int | None = None


def _key() -> bytes:
    return hashlib.sha256(
        b"campuscode.checkins.point-token:" + settings.SECRET_KEY.encode()
    ).digest()


def _mac(point_id: int, what: str) -> str:
    digest = hmac.new(_key(), f"{point_id}:{what}".encode(), hashlib.sha256).hexdigest()
    return digest[:MAC_CHARS]


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // get_setting("checkin_point_step_seconds"))


def screen_token(point_id: int, *, step: int | None = None) -> str:
    step = current_step() if step is None else step
    return f"{step}.{_mac(point_id, f's{step}')}"


def display_secret(token_hash: str) -> bytes:
    """The key a registered screen signs its offline codes with: derived from the hash of
    its credential, so nothing more is stored and a new credential means a new key."""
    base = hashlib.sha256(b"campuscode.checkins.display-secret:" + settings.SECRET_KEY.encode())
    return hmac.new(base.digest(), token_hash.encode(), hashlib.sha256).digest()


def _display_mac(secret: bytes, point_id: int, display_id: int, step: int) -> str:
    # The same message and truncation as static/checkins/kiosk.js, which signs with WebCrypto.
    message = f"{point_id}:d{display_id}:s{step}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:MAC_CHARS]


def display_token(point_id: int, display_id: int, secret: bytes, *, step: int) -> str:
    return f"{step}-{display_id}.{_display_mac(secret, point_id, display_id, step)}"


def _display_secret_of(point_id: int, display_id: int) -> bytes | None:
    from campuscode.checkins.models import KioskDisplay

    token_hash = (
        KioskDisplay.objects.filter(pk=display_id, point_id=point_id, revoked_at__isnull=True)
        .values_list("token_hash", flat=True)
        .first()
    )
    return display_secret(token_hash) if token_hash else None


def poster_token(point_id: int, version: int) -> str:
    return f"p{version}.{_mac(point_id, f'p{version}')}"


def seconds_to_next_step(now: float | None = None) -> float:
    now = time.time() if now is None else now
    step_seconds = get_setting("checkin_point_step_seconds")
    return step_seconds - (now % step_seconds)


def check_point_token(
    point_id: int, token: str, *, poster_version: int, opened_step: int | None = None
) -> PointToken:
    """Check `token` for `point_id`. `opened_step`: the step when this browser opened the
    URL (the token must have been fresh then); None for the strict check against now."""
    head, _dot, mac = (token or "").partition(".")
    if not mac or len(mac) != MAC_CHARS:
        return PointToken(TokenCheck.MALFORMED)
    if head.startswith("p") and head[1:].isdigit():
        version = int(head[1:])
        if not hmac.compare_digest(mac, _mac(point_id, f"p{version}")):
            return PointToken(TokenCheck.MALFORMED)
        if version != poster_version:  # a withdrawn poster
            return PointToken(TokenCheck.EXPIRED)
        from campuscode.checkins.models import Via

        return PointToken(TokenCheck.OK, Via.POSTER)
    step_text, _dash, display = head.partition("-")
    if not step_text.isdigit() or (_dash and not (display.isdigit() and len(display) <= 12)):
        return PointToken(TokenCheck.MALFORMED)
    step = int(step_text)
    if display:  # made by a registered screen while offline: one indexed read
        secret = _display_secret_of(point_id, int(display))
        expected = _display_mac(secret, point_id, int(display), step) if secret else ""
    else:
        expected = _mac(point_id, f"s{step}")
    if not expected or not hmac.compare_digest(mac, expected):
        return PointToken(TokenCheck.MALFORMED)
    reference = current_step() if opened_step is None else opened_step
    if step not in (reference, reference - 1):
        return PointToken(TokenCheck.EXPIRED, step=step)
    from campuscode.checkins.models import Via

    return PointToken(TokenCheck.OK, Via.SCREEN, step)
