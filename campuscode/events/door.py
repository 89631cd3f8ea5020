"""The door scanner of an event (R2.5): a staff phone or a tablet with a keyboard-wedge
scanner reads people's campus codes, online through `scan()`, offline from its list.

The gate machinery, reused: the codes' Ed25519 check (codes.tokens), the offline list
with public keys and masked names only, and the server's re-check of every uploaded
allowed scan (gates.uploads.check_offline_event) before it counts. Marks go through the
attendance engine, once per person and direction: a person signed in at two doors, or
by two offline scanners, is one person inside.

What an offline scanner cannot enforce (shown on its page): the capacity, sign-ins at
other doors or by the event's code since its list was made (counted once on upload all
the same), registrations decided since, walk-ins, and a person's suspension since then.
"""

import base64
import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import IntegrityError, transaction
from django.utils import timezone

from campuscode.attendance import engine
from campuscode.attendance.models import Direction, Mark, Method, Status
from campuscode.audit.services import log_action
from campuscode.codes.tokens import Reason as CodeReason
from campuscode.codes.tokens import check_age, check_signature, verify_token
from campuscode.core.rules import get_setting
from campuscode.events.models import CheckPoint, DoorReason, DoorScan, Event, EventSession
from campuscode.events.roster import admission, expected_for_event
from campuscode.gates.selectors import public_keys
from campuscode.gates.uploads import check_offline_event
from campuscode.people.models import Person, mask_name

LIST_VERSION = 1
ATTENDED = (Status.PRESENT, Status.LATE, Status.LEFT_EARLY)
# How far around a sitting a scan is matched to it; the engine decides the real window.
NEAR = timedelta(hours=3)

_CODE_REASONS = {
    CodeReason.MALFORMED: DoorReason.MALFORMED,
    CodeReason.UNKNOWN_KEY: DoorReason.UNKNOWN_KEY,
    CodeReason.BAD_SIGNATURE: DoorReason.BAD_SIGNATURE,
    CodeReason.EXPIRED: DoorReason.EXPIRED,
    CodeReason.UNKNOWN_PERSON: DoorReason.UNKNOWN_PERSON,
    CodeReason.SUSPENDED: DoorReason.SUSPENDED,
    CodeReason.LEFT: DoorReason.LEFT,
}
_ENGINE_REASONS = {
    engine.Refusal.NOT_OPEN: DoorReason.NOT_OPEN,
    engine.Refusal.CLOSED: DoorReason.NOT_OPEN,
    engine.Refusal.CANCELLED: DoorReason.NOT_OPEN,
    engine.Refusal.NOT_EXPECTED: DoorReason.NOT_INVITED,
}


def display_label(person: Person | None) -> str:
    """What a door shows: '张*伟 · 计科2501班', nothing more."""
    return f"{mask_name(person.name)} · {person.org_unit.name}" if person else ""


def sitting_at(event: Event, when: datetime) -> EventSession | None:
    """The sitting a scan at `when` belongs to: the one running, else the nearest."""
    sittings = list(
        EventSession.objects.select_related("session").filter(
            event=event,
            session__starts_at__lte=when + NEAR,
            session__ends_at__gte=when - NEAR,
            session__cancelled_at__isnull=True,
        )
    )

    def distance(s):
        if s.session.starts_at <= when <= s.session.ends_at:
            return timedelta(0)
        return min(abs(s.session.starts_at - when), abs(s.session.ends_at - when))

    return min(sittings, key=distance, default=None)


@dataclass(frozen=True)
class ScanAnswer:
    scan: DoorScan
    replayed: bool

    @property
    def label(self) -> str:
        return display_label(self.scan.person)


def _signed_in(sitting: EventSession, person: Person) -> bool:
    mark = (
        Mark.objects.current()
        .filter(session=sitting.session, person=person, direction=Direction.IN)
        .order_by("-pk")
        .first()
    )
    return mark is not None and mark.status in ATTENDED


def _capacity_left(event: Event, sitting: EventSession) -> bool:
    if event.capacity is None:
        return True
    inside = (
        Mark.objects.current()
        .filter(session=sitting.session, direction=Direction.IN, status__in=ATTENDED)
        .count()
    )
    return inside < event.capacity


class Batch:
    """What an upload of many scans reads once, not once a scan: the sittings by minute
    and who the event admits (the full check runs for anyone else)."""

    def __init__(self, event: Event):
        self.event = event
        self._sittings: dict[int, EventSession | None] = {}
        self._admitted: set[int] | None = None

    def sitting_at(self, when: datetime) -> EventSession | None:
        minute = int(when.timestamp() // 60)
        if minute not in self._sittings:
            self._sittings[minute] = sitting_at(self.event, when)
        return self._sittings[minute]

    def admission(self, person: Person) -> str:
        if self._admitted is None:
            self._admitted = set(
                expected_for_event(self.event)
                .filter(state=Person.State.ACTIVE)
                .values_list("pk", flat=True)
            )
        if person.pk in self._admitted and person.state == Person.State.ACTIVE:
            return DoorReason.OK
        return admission(self.event, person)


def _decide(
    *,
    point: CheckPoint,
    person: Person,
    direction: str,
    at: datetime,
    now: datetime,
    method: str,
    actor,
    client_ip: str | None,
    nonce: str,
    batch: Batch | None = None,
):
    """(reason, mark) for a genuine code of `person` at `point`: the event's rules, then
    the engine's once-per-person mark."""
    event = point.event
    batch = batch or Batch(event)
    if not point.allows(direction):
        return DoorReason.WRONG_POINT, None
    sitting = batch.sitting_at(at)
    if sitting is None or event.cancelled_at:
        return DoorReason.NOT_OPEN, None
    if direction == Direction.OUT:
        if not _signed_in(sitting, person):
            return DoorReason.NOT_SIGNED_IN, None
    else:
        reason = batch.admission(person)
        if reason != DoorReason.OK:
            return reason, None
    with transaction.atomic():
        if direction == Direction.IN and event.capacity is not None:
            # Capacity (R2.5) under the event's row lock: two doors cannot both admit the
            # last seat.
            Event.objects.select_for_update().get(pk=event.pk)
            if not _signed_in(sitting, person) and not _capacity_left(event, sitting):
                return DoorReason.FULL, None
        try:
            mark = engine.record_mark(
                sitting.session,
                person,
                method=method,
                actor=actor,
                client_ip=client_ip,
                now=now,
                happened_at=at,
                device=f"door:{point.pk}",
                direction=direction,
                point=str(point.pk),
                evidence={"door": {"point": point.pk, "nonce": nonce}},
                check_expected=False,  # admission() above is the event's own rule
            )
        except engine.MarkRefused as refused:
            if refused.code == engine.Refusal.ALREADY:
                return DoorReason.ALREADY, None
            return _ENGINE_REASONS.get(refused.code, DoorReason.NOT_OPEN), None
    return DoorReason.OK, mark


def _store(**fields) -> tuple[DoorScan, bool]:
    try:
        with transaction.atomic():
            return DoorScan.objects.create(**fields), True
    except IntegrityError:  # the same nonce raced in: the first one stands
        return DoorScan.objects.get(point=fields["point"], nonce=fields["nonce"]), False


def scan(
    *,
    point: CheckPoint,
    token: str,
    direction: str,
    nonce: str,
    actor,
    client_ip: str | None,
    now: datetime | None = None,
) -> ScanAnswer:
    """A code read at the door, online. A retry with the same nonce gets the first answer."""
    now = now or timezone.now()
    earlier = DoorScan.objects.filter(point=point, nonce=nonce).select_related("person__org_unit")
    if (found := earlier.first()) is not None:
        return ScanAnswer(found, replayed=True)
    verdict = verify_token((token or "").strip(), now=now.timestamp())
    person, mark = verdict.person, None
    if not verdict.ok:
        reason = _CODE_REASONS.get(verdict.reason, DoorReason.MALFORMED)
    else:
        reason, mark = _decide(
            point=point,
            person=person,
            direction=direction,
            at=now,
            now=now,
            method=Method.DOOR_SCANNER,
            actor=actor,
            client_ip=client_ip,
            nonce=nonce,
        )
    row, created = _store(
        point=point,
        nonce=nonce,
        person=person,
        direction=direction,
        at=now,
        ok=reason in (DoorReason.OK, DoorReason.ALREADY),
        reason=reason,
        mark=mark,
        scanned_by=actor,
    )
    return ScanAnswer(row, replayed=not created)


def upload(*, point: CheckPoint, items: list[dict], actor, client_ip: str | None, now=None) -> dict:
    """Scans an offline door decided, stored once each (by nonce). An allowed one counts
    only if the server confirms the code (genuine, valid at the claimed time, the claimed
    person's) and the event's rules as the server knows them by now; a person already
    signed in, at this door or another, is stored as `already` and counted once."""
    now = now or timezone.now()
    stored = duplicates = unverified = counted = 0
    known = set(
        DoorScan.objects.filter(point=point, nonce__in=[i["nonce"] for i in items]).values_list(
            "nonce", flat=True
        )
    )
    school_id = point.event.school_id
    batch = Batch(point.event)
    for item in items:
        if item["nonce"] in known:
            duplicates += 1
            continue
        known.add(item["nonce"])
        at, direction, person, mark = item["at"], item["direction"], None, None
        problem = ""
        if item["ok"]:
            check = check_offline_event(item=item, now=now, school_id=school_id)
            problem = check.problem
            if check.claims is not None:
                person = (
                    Person.objects.select_related("org_unit")
                    .filter(pk=check.claims.person_id)
                    .first()
                )
            if problem or person is None:
                reason = DoorReason.UNVERIFIED
                problem = problem or "unknown_person"
            else:
                reason, mark = _decide(
                    point=point,
                    person=person,
                    direction=direction,
                    at=at,
                    now=now,
                    method=Method.OFFLINE_UPLOAD,
                    actor=actor,
                    client_ip=client_ip,
                    nonce=item["nonce"],
                    batch=batch,
                )
        else:
            # A refusal is stored as the scanner decided it: it signs nobody in.
            reason = item["reason"] if item["reason"] in DoorReason.values else DoorReason.MALFORMED
            if item.get("person_id"):
                person = Person.objects.filter(pk=item["person_id"]).first()
        _row, created = _store(
            point=point,
            nonce=item["nonce"],
            person=person,
            direction=direction,
            at=at,
            ok=reason in (DoorReason.OK, DoorReason.ALREADY),
            reason=reason,
            source=DoorScan.Source.OFFLINE,
            unverified=problem,
            mark=mark,
            scanned_by=actor,
        )
        if not created:
            duplicates += 1
            continue
        stored += 1
        unverified += bool(problem)
        counted += mark is not None
    log_action(
        action="events.door.uploaded",
        actor=actor,
        client_ip=client_ip,
        data={"point": point.pk, "stored": stored, "counted": counted, "duplicates": duplicates},
    )
    return {
        "stored": stored,
        "duplicates": duplicates,
        "unverified": unverified,
        "counted": counted,
    }


# --- the offline list -----------------------------------------------------------------------


def build_list(*, point: CheckPoint, now: datetime | None = None) -> dict:
    """What a door scanner needs to decide alone: the public keys, the code lifetime, the
    sittings' windows, and for each person the event admits an id → [masked name and
    unit, "in"/"" already signed in]. No names, numbers or anything else. An "everyone"
    event lists its registrations and whoever signed in; others are refused offline
    (`not_on_list`) and can be signed in once the network is back."""
    now = now or timezone.now()
    event = point.event
    sittings = list(EventSession.objects.select_related("session").filter(event=event))
    current = sitting_at(event, now)
    signed = set()
    if current is not None:
        signed = {
            pid
            for pid, m in engine.current_marks(current.session, Direction.IN).items()
            if m.status in ATTENDED
        }
    people = expected_for_event(event).filter(state=Person.State.ACTIVE)
    rows = {
        str(pid): [f"{mask_name(name)} · {unit}", "in" if pid in signed else ""]
        for pid, name, unit in people.values_list("pk", "name", "org_unit__name")
    }
    for pid, name, unit in Person.objects.filter(
        pk__in=signed - {int(k) for k in rows}
    ).values_list("pk", "name", "org_unit__name"):
        rows[str(pid)] = [f"{mask_name(name)} · {unit}", "in"]
    windows = []
    for sitting in sittings:
        win = engine.windows(sitting.session)
        late = get_setting("attendance_late_minutes", event.school_id)
        windows.append(
            [
                int(win.opens.timestamp()),
                int((sitting.session.ends_at + timedelta(minutes=late)).timestamp()),
            ]
        )
    return {
        "version": LIST_VERSION,
        "generated_ts": int(now.timestamp()),
        "max_age_seconds": get_setting("event_offline_list_max_hours", event.school_id) * 3600,
        "code_lifetime_seconds": get_setting("code_lifetime_seconds", event.school_id),
        "point": {"id": point.pk, "name": point.name, "kind": point.kind, "event": event.title},
        "windows": windows,
        "keys": public_keys(),
        "people": rows,
    }


class DoorVerifier:
    """The offline door's decision in Python: the same order as static/events/door.js
    (used by the benchmark and the tests of the rules)."""

    def __init__(self, data: dict):
        self.keys = {
            k["kid"]: Ed25519PublicKey.from_public_bytes(
                base64.urlsafe_b64decode(k["public_key"] + "=" * (-len(k["public_key"]) % 4))
            )
            for k in data["keys"]
        }
        self.data = data
        self.people = data["people"]
        self.lifetime = data["code_lifetime_seconds"]
        self.done: set[tuple[int, str]] = {
            (int(pid), "in") for pid, row in self.people.items() if row[1] == "in"
        }

    def decide(
        self, token: str, direction: str, now: float | None = None
    ) -> tuple[str, int | None]:
        now = time.time() if now is None else now
        reason, claims = check_signature(token.strip(), self.keys)
        if claims is None:
            return _CODE_REASONS.get(reason, DoorReason.MALFORMED), None
        pid = claims.person_id
        if check_age(claims, lifetime=self.lifetime, now=now) != CodeReason.OK:
            return DoorReason.EXPIRED, pid
        if now - self.data["generated_ts"] > self.data["max_age_seconds"]:
            return DoorReason.STALE, pid
        if not any(start <= now <= end for start, end in self.data["windows"]):
            return DoorReason.NOT_OPEN, pid
        if str(pid) not in self.people:
            return DoorReason.NOT_ON_LIST, pid
        if direction == "out" and (pid, "in") not in self.done:
            return DoorReason.NOT_SIGNED_IN, pid
        if (pid, direction) in self.done:
            return DoorReason.ALREADY, pid
        self.done.add((pid, direction))
        return DoorReason.OK, pid


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]
