"""Short tokens in a check-in point's URL.

A screen token is `<step>.<mac>`: the time step (Unix time // step seconds) and an HMAC
over (point id, step). It is accepted for the current and the previous step only, so a
photo of the code taken yesterday, or sent home, no longer works (R1.2).
A poster token is `p<version>.<mac>`: static, marked as such on the check-in.
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
    if not head.isdigit():
        return PointToken(TokenCheck.MALFORMED)
    step = int(head)
    if not hmac.compare_digest(mac, _mac(point_id, f"s{step}")):
        return PointToken(TokenCheck.MALFORMED)
    reference = current_step() if opened_step is None else opened_step
    if step not in (reference, reference - 1):
        return PointToken(TokenCheck.EXPIRED, step=step)
    from campuscode.checkins.models import Via

    return PointToken(TokenCheck.OK, Via.SCREEN, step)
