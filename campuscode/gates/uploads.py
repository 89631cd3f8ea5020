"""Events an offline gate uploads: checked again by the server before they count (R2.2).

A device token alone could otherwise write an allowed passage for anyone at any time:
each allowed event must come with the code the gate read, and the code must prove it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from campuscode.codes import keys as keystore
from campuscode.codes.tokens import CLOCK_SKEW_SECONDS, Claims, check_signature
from campuscode.core.rules import get_setting
from campuscode.gates.models import Gate, GateEvent, Reason, Unverified
from campuscode.gates.services import (
    CLOCK_SLACK,
    alert_copied_code,
    insert_scan_orm,
    school_of,
    token_fingerprint,
)
from campuscode.people.models import Person

# An uploaded event may claim a time at most this far after the server's clock (a gate's
# clock running fast), and no earlier than this before the upload.
UPLOAD_FUTURE_SLACK = timedelta(minutes=5)
UPLOAD_WINDOW = timedelta(days=60)


@dataclass(frozen=True)
class OfflineCheck:
    """The server's answer to one uploaded event: `problem` is "" when it is confirmed."""

    problem: str
    claims: Claims | None = None


def check_offline_event(*, item: dict, now: datetime, school_id: int | None = None) -> OfflineCheck:
    """Re-verify what an offline gate says happened (R2.2): the code it read is genuine,
    its key was not retired by then, it was valid at the claimed time, that time is
    plausible, and the code is the claimed person's. The gate's word alone is not enough:
    a device token could otherwise write an allowed passage for anyone at any time."""
    at = item["at"]
    if at > now + UPLOAD_FUTURE_SLACK:
        return OfflineCheck(Unverified.FUTURE)
    if at < now - UPLOAD_WINDOW:
        return OfflineCheck(Unverified.TOO_OLD)
    token = (item.get("token") or "").strip()
    if not token:
        return OfflineCheck(Unverified.NO_TOKEN)
    ring = keystore.load_keyring()
    # Retired keys too: a code read while its key was still in use stays genuine.
    _reason, claims = check_signature(token, {kid: key.public for kid, key in ring.keys.items()})
    if claims is None:
        return OfflineCheck(Unverified.BAD_TOKEN)
    retired = ring.keys[claims.kid].retired
    if retired and datetime.fromisoformat(retired) <= at:
        return OfflineCheck(Unverified.KEY_RETIRED, claims)
    # The gate decided with codes.tokens.check_age at its own clock; the same test at the
    # claimed time (the school may have shortened the lifetime since: a little slack).
    if claims.issued_at > at.timestamp() + CLOCK_SKEW_SECONDS:
        return OfflineCheck(Unverified.BEFORE_ISSUE, claims)
    lifetime = get_setting("code_lifetime_seconds", school_id) + CLOCK_SKEW_SECONDS
    if at.timestamp() - claims.issued_at > lifetime:
        return OfflineCheck(Unverified.EXPIRED_THEN, claims)
    claimed_person = item.get("person_id")
    if claimed_person is not None and claimed_person != claims.person_id:
        return OfflineCheck(Unverified.OTHER_PERSON, claims)
    return OfflineCheck("", claims)


def upload_offline_events(*, gate: Gate, events: list[dict], now: datetime | None = None) -> dict:
    """Store the events an offline gate decided, once each (by nonce).

    A refusal is stored as the gate decided it: it lets nobody in. An allowed passage
    is stored as allowed only if `check_offline_event` confirms it, and then only if the
    checks of a scan pass against what the server knows by now (the code once per
    direction at this place, anti-passback and travel across the campus gates); otherwise it
    is stored refused as `unverified`, with the reason and the device's claim, so it
    never counts as a passage in lists, counts or the live view.
    """
    now = now or timezone.now()
    stored = duplicates = unverified = 0
    nonces = [e["nonce"] for e in events]
    known = set(
        GateEvent.objects.filter(gate=gate, nonce__in=nonces).values_list("nonce", flat=True)
    )
    person_ids = {}
    for item in events:
        if item["nonce"] in known:
            duplicates += 1
            continue
        check = check_offline_event(item=item, now=now, school_id=school_of(gate.place))
        claims = check.claims
        if claims is not None and claims.person_id not in person_ids:
            person_ids[claims.person_id] = Person.objects.filter(pk=claims.person_id).first()
        person = person_ids[claims.person_id] if claims is not None else None
        problem = check.problem
        if not problem and person is None:
            problem = Unverified.UNKNOWN_PERSON
        token = (item.get("token") or "").strip()
        event = GateEvent(
            gate=gate,
            place_id=gate.place_id,
            direction=item["direction"],
            person=person,
            at=item["at"],
            allowed=item["allowed"],
            reason=item["reason"],
            notice=item.get("notice") or "",
            colour=item.get("colour") or "",
            token_fp=token_fingerprint(token) if claims else "",
            nonce=item["nonce"],
            source=GateEvent.Source.OFFLINE,
        )
        time_problem = problem in (Unverified.FUTURE, Unverified.TOO_OLD)
        if problem and (item["allowed"] or time_problem):
            event.allowed, event.reason, event.notice = False, Reason.UNVERIFIED, ""
            event.unverified = problem
            event.claim = _claim(item)
            if time_problem:
                event.at = now  # an impossible time would sort it anywhere in the lists
        try:
            with transaction.atomic():
                if event.allowed:
                    since = datetime.fromtimestamp(claims.issued_at, UTC) - CLOCK_SLACK
                    # The duplicate, anti-passback and travel checks of a scan, against
                    # what the server knows by now (other gates included).
                    insert_scan_orm(event, since, place=gate.place)
                    alert_copied_code(event=event, gate=gate)
                else:
                    event.save()
        except IntegrityError:
            duplicates += 1
            continue
        known.add(item["nonce"])
        stored += 1
        unverified += bool(event.unverified)
    return {"stored": stored, "duplicates": duplicates, "unverified": unverified}


def _claim(item: dict) -> dict:
    """What the device said, kept with an event the server could not confirm."""
    return {
        "at": item["at"].isoformat(),
        "allowed": item["allowed"],
        "reason": item["reason"],
        "notice": item.get("notice") or "",
        "colour": item.get("colour") or "",
        "person_id": item.get("person_id"),
    }
