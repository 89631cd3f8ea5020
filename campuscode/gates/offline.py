"""The gate's own verifier: decides from a snapshot and public keys, with no server.

Used by the `campuscode gate` command; the gate page does the same in JavaScript
(static/gates/kiosk.js). The signature is checked (codes.tokens.check_signature)
before anything in the token is read; the place's rules are the server's (decide.py).
The snapshot lists only the people the place admits (selectors.build_snapshot), so for
them the answer is the server's; anyone else is refused as `not_on_list`.

What an offline gate cannot enforce, because it needs other gates' scans: anti-passback
across gates (it refuses a second entry only of someone it let in itself and has not
seen leave), the impossible-travel check, and health-status changes since its last
snapshot. The server applies the first two to every uploaded passage (uploads.py).
"""

import base64
import hashlib
import time
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from campuscode.codes.tokens import Reason as CodeReason
from campuscode.codes.tokens import check_age, check_signature
from campuscode.gates.decide import Decision, PersonFacts, PlaceRules, evaluate, worse_colour
from campuscode.gates.models import Notice, Reason

SNAPSHOT_VERSION = 2


class OldSnapshot(ValueError):
    """A snapshot in a format this verifier does not read (an older server's)."""


@dataclass(frozen=True)
class OfflineDecision:
    allowed: bool
    reason: str
    notice: str = ""
    person_id: int | None = None
    label: str = ""
    colour: str = ""
    token_fp: str = ""


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class OfflineVerifier:
    def __init__(self, snapshot: dict):
        if snapshot.get("version") != SNAPSHOT_VERSION:
            raise OldSnapshot(f"snapshot version {snapshot.get('version')!r}")
        self.snapshot = snapshot
        self.public_keys = {
            key["kid"]: Ed25519PublicKey.from_public_bytes(
                base64.urlsafe_b64decode(key["public_key"] + "=" * (-len(key["public_key"]) % 4))
            )
            for key in snapshot["keys"]
        }
        # Hours, curfew and colour policies; who may enter at all is the list itself.
        self.rules = PlaceRules.from_dict(snapshot["rules"])
        self.zone = ZoneInfo(snapshot["time_zone"])
        self.generated_ts = snapshot["generated_ts"]
        self.max_age = snapshot["max_age_seconds"]
        self.degraded_allowed = snapshot["degraded_allowed"]
        self.lifetime = snapshot["code_lifetime_seconds"]
        self.people = snapshot["people"]
        # Fingerprints of codes already let through here, per direction: the offline
        # twin of the server's duplicate check.
        self.used: set[tuple[str, str]] = set()
        # Anti-passback, as far as this gate alone can know it: the people it let in
        # (person id → when) and has not seen leave. Entries and exits at other gates and
        # the travel check need the server; uploads.py applies them to every upload.
        self.passback_seconds = snapshot.get("passback_seconds", 0)
        self.inside: dict[int, float] = {}
        self._decisions: dict[tuple[int, str, str], tuple[int, Decision]] = {}

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.generated_ts

    def is_stale(self, now: float | None = None) -> bool:
        return self.age(now) > self.max_age

    def _evaluate(self, row: list, key: tuple, direction: str, now: float) -> Decision:
        # The rules are whole minutes (HH:MM) and days, so within one minute the same
        # person, colour and direction get the same answer: it is kept for that minute
        # (the signature and the duplicate check still run for every scan).
        minute = int(now // 60)
        cache_key = (*key, direction)
        cached = self._decisions.get(cache_key)
        if cached is not None and cached[0] == minute:
            return cached[1]
        local = datetime.fromtimestamp(minute * 60, self.zone)
        person_id, token_colour = key
        floor, valid_from, valid_until, _label = row
        valid_from, valid_until = _date(valid_from), _date(valid_until)
        today = local.date()
        # The server refuses anyone outside their valid dates (a visitor's pass, a
        # temporary worker's contract) before the place's rules: so does the gate.
        if (valid_from and today < valid_from) or (valid_until and today > valid_until):
            decision = Decision(False, Reason.VISITOR_INVALID)
        else:
            facts = PersonFacts(person_id, colour=worse_colour(token_colour, floor))
            decision = evaluate(rules=self.rules, person=facts, direction=direction, local=local)
        self._decisions[cache_key] = (minute, decision)
        return decision

    def decide(self, token: str, direction: str, *, now: float | None = None) -> OfflineDecision:
        now = time.time() if now is None else now
        token = token.strip()
        reason, claims = check_signature(token, self.public_keys)
        if claims is None:
            return OfflineDecision(False, reason)
        person_id = claims.person_id
        if check_age(claims, lifetime=self.lifetime, now=now) != CodeReason.OK:
            return OfflineDecision(False, Reason.EXPIRED, person_id=person_id)
        row = self.people.get(str(person_id))
        label = row[3] if row else ""
        stale = now - self.generated_ts > self.max_age
        if stale and not self.degraded_allowed:
            return OfflineDecision(False, Reason.STALE, "", person_id, label, claims.colour)
        if row is None:
            # Not admitted here, refused whatever code they show, or registered after
            # this list was made: the gate cannot tell which, and refuses.
            return OfflineDecision(False, Reason.NOT_ON_LIST, "", person_id, "", claims.colour)
        colour = worse_colour(claims.colour, row[0])
        decision = self._evaluate(row, (person_id, claims.colour), direction, now)
        fingerprint = hashlib.sha256(token.encode()).hexdigest()[:16]
        if decision.allowed:
            entered = self.inside.get(person_id)
            if (fingerprint, direction) in self.used:
                decision = Decision(False, Reason.DUPLICATE)
            elif (
                direction == "in" and entered is not None and now - entered < self.passback_seconds
            ):
                decision = Decision(False, Reason.PASSBACK)
            else:
                self.used.add((fingerprint, direction))
                if self.passback_seconds and direction == "in":
                    self.inside[person_id] = now
                else:
                    self.inside.pop(person_id, None)
                if stale:
                    decision = Decision(True, Reason.OK, Notice.DEGRADED)
        return OfflineDecision(
            decision.allowed,
            decision.reason,
            decision.notice,
            person_id,
            label,
            colour,
            fingerprint,
        )
