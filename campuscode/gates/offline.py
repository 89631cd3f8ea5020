"""The gate's own verifier: decides from a snapshot and public keys, with no server.

Used by the `campuscode gate` command; the gate page does the same in JavaScript
(static/gates/kiosk.js). The signature is checked (codes.tokens.check_signature)
before anything in the token is read; the place's rules are the server's (decide.py).
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
        self.snapshot = snapshot
        self.public_keys = {
            key["kid"]: Ed25519PublicKey.from_public_bytes(
                base64.urlsafe_b64decode(key["public_key"] + "=" * (-len(key["public_key"]) % 4))
            )
            for key in snapshot["keys"]
        }
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
        self._facts: dict[tuple[int, str], tuple[PersonFacts, str]] = {}
        self._decisions: dict[tuple[int, str, str], tuple[int, Decision]] = {}

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.generated_ts

    def is_stale(self, now: float | None = None) -> bool:
        return self.age(now) > self.max_age

    def facts(self, person_id: int, token_colour: str) -> tuple[PersonFacts, str]:
        # Built once per person and colour: the snapshot does not change under a verifier.
        key = (person_id, token_colour)
        if (cached := self._facts.get(key)) is None:
            cached = self._facts[key] = self._build_facts(person_id, token_colour)
        return cached

    def _build_facts(self, person_id: int, token_colour: str) -> tuple[PersonFacts, str]:
        row = self.people.get(str(person_id))
        if row is None:
            # Registered after the snapshot: the signature vouches for the code, the
            # place's restrictions (if any) cannot be proven and refuse.
            return PersonFacts(person_id, known=False, colour=token_colour), ""
        kind, unit_path, state, colour, valid_from, valid_until, label = row
        return (
            PersonFacts(
                person_id,
                kind=kind,
                unit_path=unit_path,
                state=state,
                colour=worse_colour(token_colour, colour),
                valid_from=_date(valid_from),
                valid_until=_date(valid_until),
            ),
            label,
        )

    def _evaluate(self, facts: PersonFacts, key: tuple, direction: str, now: float) -> Decision:
        # The rules are whole minutes (HH:MM) and days, so within one minute the same
        # person, colour and direction get the same answer: it is kept for that minute
        # (the signature and the duplicate check still run for every scan).
        minute = int(now // 60)
        cache_key = (*key, direction)
        cached = self._decisions.get(cache_key)
        if cached is not None and cached[0] == minute:
            return cached[1]
        local = datetime.fromtimestamp(minute * 60, self.zone)
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
        key = (person_id, claims.colour)
        facts, label = self.facts(*key)
        stale = now - self.generated_ts > self.max_age
        if stale and not self.degraded_allowed:
            return OfflineDecision(False, Reason.STALE, "", person_id, label, facts.colour)
        decision = self._evaluate(facts, key, direction, now)
        fingerprint = hashlib.sha256(token.encode()).hexdigest()[:16]
        if decision.allowed:
            if (fingerprint, direction) in self.used:
                decision = Decision(False, Reason.DUPLICATE)
            else:
                self.used.add((fingerprint, direction))
                if stale:
                    decision = Decision(True, Reason.OK, Notice.DEGRADED)
        return OfflineDecision(
            decision.allowed,
            decision.reason,
            decision.notice,
            person_id,
            label,
            facts.colour,
            fingerprint,
        )
