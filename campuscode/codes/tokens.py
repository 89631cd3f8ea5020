"""Compact signed campus-code tokens and the one function that verifies them.

A token is "CC1." + base64url(payload ‖ Ed25519 signature), 114 characters:

    payload (18 bytes, big-endian) = version u8 | key id u32 | person id u64
                                     | colour u8 | issued-at u32 (Unix seconds)

The signature is checked before anything but the key id is read from the payload.
`verify_token()` never raises on bad input: it returns a Verdict with a reason.
"""

import base64
import binascii
import struct
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campuscode.codes import keys as keystore
from campuscode.core.rules import get_setting
from campuscode.people.models import Person

PREFIX = "CC1."
VERSION = 1
PAYLOAD = struct.Struct(">BIQBI")
SIGNATURE_LEN = 64
TOKEN_BYTES = PAYLOAD.size + SIGNATURE_LEN
CLOCK_SKEW_SECONDS = 30  # a verifier's clock may run this far behind the issuer's


class Colour(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


COLOUR_CODES = {Colour.GREEN: 0, Colour.YELLOW: 1, Colour.RED: 2}
COLOURS_BY_CODE = {code: colour for colour, code in COLOUR_CODES.items()}


class Reason(models.TextChoices):
    OK = "ok", pgettext_lazy("code check", "Valid")
    MALFORMED = "malformed", _("Not a campus code")
    UNKNOWN_KEY = "unknown_key", _("Signed by an unknown or retired key")
    BAD_SIGNATURE = "bad_signature", _("Signature does not match (forged or altered)")
    EXPIRED = "expired", _("Expired")
    UNKNOWN_PERSON = "unknown_person", _("Person not in the registry")
    SUSPENDED = "suspended", _("Person suspended")
    LEFT = "left", _("Person has left or graduated")


@dataclass(frozen=True)
class Claims:
    kid: str
    person_id: int
    colour: str
    issued_at: int


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str
    person: Person | None = None
    colour: str | None = None
    issued_at: int | None = None
    kid: str | None = None

    @property
    def reason_label(self) -> str:
        return str(Reason(self.reason).label)


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict base64url: only one spelling decodes to given bytes, so a token altered in
    its unused trailing bits (or with stray characters) is malformed, never "the same"."""
    raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    if _b64encode(raw) != text:
        raise ValueError("non-canonical base64")
    return raw


def issue_token(*, person: Person, colour: str, now: float | None = None) -> str:
    ring = keystore.load_keyring()
    key = ring.keys[ring.active]
    issued = int(time.time() if now is None else now)
    payload = PAYLOAD.pack(VERSION, int(key.kid, 16), person.pk, COLOUR_CODES[colour], issued)
    return PREFIX + _b64encode(payload + key.private.sign(payload))


def check_signature(token: str, public_keys: dict[str, object]) -> tuple[str, Claims | None]:
    """Decode and check a token against `public_keys` (kid → Ed25519PublicKey).

    Shared by the server and the offline gate verifier, which holds only public keys.
    """
    if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > 200:
        return Reason.MALFORMED, None
    try:
        raw = _b64decode(token[len(PREFIX) :].strip())
    except (binascii.Error, ValueError):
        return Reason.MALFORMED, None
    if len(raw) != TOKEN_BYTES:
        return Reason.MALFORMED, None
    payload, signature = raw[: PAYLOAD.size], raw[PAYLOAD.size :]
    kid = payload[1:5].hex()
    public = public_keys.get(kid)
    if public is None:
        return Reason.UNKNOWN_KEY, None
    try:
        public.verify(signature, payload)
    except InvalidSignature:
        return Reason.BAD_SIGNATURE, None
    version, _kid, person_id, colour_code, issued = PAYLOAD.unpack(payload)
    if version != VERSION or colour_code not in COLOURS_BY_CODE:
        return Reason.MALFORMED, None
    return Reason.OK, Claims(kid, person_id, COLOURS_BY_CODE[colour_code], issued)


def check_age(claims: Claims, *, lifetime: int, now: float | None = None) -> str:
    now = time.time() if now is None else now
    if claims.issued_at > now + CLOCK_SKEW_SECONDS or now - claims.issued_at > lifetime:
        return Reason.EXPIRED
    return Reason.OK


def verify_token(token: str, *, now: float | None = None) -> Verdict:
    """Verify a scanned campus code: the person and colour, or the precise reason why not."""
    ring = keystore.load_keyring()
    reason, claims = check_signature(token, ring.public_keys)
    if claims is None:
        return Verdict(False, reason)
    common = {"colour": claims.colour, "issued_at": claims.issued_at, "kid": claims.kid}
    person = Person.objects.select_related("org_unit").filter(pk=claims.person_id).first()
    lifetime = get_setting("code_lifetime_seconds", person.school_id if person else None)
    if (reason := check_age(claims, lifetime=lifetime, now=now)) != Reason.OK:
        return Verdict(False, reason, **common)
    if person is None:
        return Verdict(False, Reason.UNKNOWN_PERSON, **common)
    if person.state == Person.State.SUSPENDED:
        return Verdict(False, Reason.SUSPENDED, person, **common)
    if person.state == Person.State.LEFT:
        return Verdict(False, Reason.LEFT, person, **common)
    if not person.is_valid_now():
        return Verdict(False, Reason.EXPIRED, person, **common)
    return Verdict(True, Reason.OK, person, **common)
