"""Writes of the gate side: devices and their tokens, scans, heartbeats, alerts, uploads."""

import functools
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from campuscode.audit.services import log_action
from campuscode.codes import keys as keystore
from campuscode.codes.status import colour_columns, current_status
from campuscode.codes.tokens import Reason as CodeReason
from campuscode.codes.tokens import Verdict, check_age, check_signature
from campuscode.core.rawsql import RowReader
from campuscode.core.rules import get_setting
from campuscode.gates.decide import Decision, PersonFacts, PlaceRules, evaluate, worse_colour
from campuscode.gates.models import (
    Direction,
    Gate,
    GateAlert,
    GateEvent,
    Place,
    Reason,
    hash_device_token,
)
from campuscode.people.models import OrgUnit, Person, mask_name

TOKEN_PREFIX = "gt_"


def new_device_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def display_label(person: Person | None) -> str:
    """What a gate may show: '张*伟 · 计科2501班', nothing more."""
    if person is None:
        return ""
    return f"{mask_name(person.name)} · {person.org_unit.name}"


# --- devices -----------------------------------------------------------------------------


def register_gate(
    *, place: Place, name: str, user=None, client_ip: str | None = None
) -> tuple[Gate, str]:
    """A new device at `place`; the token is returned once and only its hash is kept."""
    token = new_device_token()
    gate = Gate.objects.create(
        place=place,
        name=name,
        token_hash=hash_device_token(token),
        token_hint=token[:8],
        registered_by=user,
    )
    log_action(
        action="gates.device.registered",
        client_ip=client_ip,
        actor=user,
        data={"gate": gate.pk, "place": place.pk, "name": name},
    )
    return gate, token


def rotate_gate_token(*, gate: Gate, user=None, client_ip: str | None = None) -> str:
    """A new token for `gate`; the old one stops working with this write."""
    token = new_device_token()
    gate.token_hash = hash_device_token(token)
    gate.token_hint = token[:8]
    gate.token_issued_at = timezone.now()
    gate.revoked_at = None
    gate.save(update_fields=["token_hash", "token_hint", "token_issued_at", "revoked_at"])
    log_action(
        action="gates.device.rotated", client_ip=client_ip, actor=user, data={"gate": gate.pk}
    )
    return token


def revoke_gate(*, gate: Gate, user=None, client_ip: str | None = None) -> None:
    gate.revoked_at = timezone.now()
    gate.save(update_fields=["revoked_at"])
    log_action(
        action="gates.device.revoked", client_ip=client_ip, actor=user, data={"gate": gate.pk}
    )


_GATE_ROW = RowReader(Gate)
_PLACE_ROW = RowReader(Place)


def authenticate_device(token: str) -> Gate | None:
    """The gate this token belongs to, with its place, read fresh on every request: a
    revoked or rotated token fails on the very next call, with no cache to outlive it.
    Hand-written SQL: every scan pays for this lookup (core/rawsql.py says why)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_device_sql(connection.vendor), [hash_device_token(token), True])
        row = cursor.fetchone()
    if row is None:
        return None
    gate = _GATE_ROW.read(row[: len(_GATE_ROW)])
    gate.place = _PLACE_ROW.read(row[len(_GATE_ROW) :])
    return gate


@functools.cache
def _device_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT {_GATE_ROW.select('g')}, {_PLACE_ROW.select('p')}"  # noqa: S608
        f" FROM {quote(Gate._meta.db_table)} g INNER JOIN {quote(Place._meta.db_table)} p"
        " ON p.id = g.place_id WHERE g.token_hash = %s AND g.revoked_at IS NULL"
        " AND p.active = %s"
    )


# --- rules ---------------------------------------------------------------------------------

_rules_cache: dict[int, tuple[datetime, float, PlaceRules]] = {}
RULES_CACHE_SECONDS = 10


_place_schools: dict[int, int] = {}


def school_of(place: Place) -> int:
    """The school of `place` (its campus's), whose rules apply there. Kept per process:
    a campus does not change school, and a scan should not pay a query for it."""
    school_id = _place_schools.get(place.campus_id)
    if school_id is None:
        school_id = OrgUnit.objects.only("path").get(pk=place.campus_id).school_id
        _place_schools[place.campus_id] = school_id
    return school_id


def curfew_defaults(school_id: int | None = None) -> tuple[dt_time, dt_time]:
    return (
        get_setting("gate_dorm_curfew_starts", school_id),
        get_setting("gate_dorm_curfew_ends", school_id),
    )


def rules_for(place: Place) -> PlaceRules:
    """The place's rules, kept a few seconds per process: a verify reads them on every scan,
    and the M2M lookups would double its queries. An edit changes `updated_at`, which
    misses this cache at once in every process."""
    cached = _rules_cache.get(place.pk)
    now = time.monotonic()
    if cached and cached[0] == place.updated_at and now - cached[1] < RULES_CACHE_SECONDS:
        return cached[2]
    rules = PlaceRules.for_place(place, curfew_defaults=curfew_defaults(school_of(place)))
    _rules_cache[place.pk] = (place.updated_at, now, rules)
    return rules


def facts_for(
    person: Person, *, token_colour: str | None, status_colour: str | None = None
) -> PersonFacts:
    if status_colour is None:
        status_colour = current_status(person).colour
    return PersonFacts(
        person_id=person.pk,
        kind=person.kind,
        unit_path=person.org_unit.path,
        state=person.state,
        # The code carries the colour it was issued with; the status may have worsened
        # since. The more severe of the two decides.
        colour=worse_colour(token_colour, status_colour),
        valid_from=person.valid_from,
        valid_until=person.valid_until,
    )


# --- scans ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    event: GateEvent
    created: bool

    @property
    def label(self) -> str:
        return display_label(self.event.person)


_CODE_REASONS = {
    CodeReason.MALFORMED: Reason.MALFORMED,
    CodeReason.UNKNOWN_KEY: Reason.UNKNOWN_KEY,
    CodeReason.BAD_SIGNATURE: Reason.BAD_SIGNATURE,
    CodeReason.EXPIRED: Reason.EXPIRED,
    CodeReason.UNKNOWN_PERSON: Reason.UNKNOWN_PERSON,
    CodeReason.SUSPENDED: Reason.SUSPENDED,
    CodeReason.LEFT: Reason.LEFT,
}


# What a scan needs of the person: the gate decides from these, shows name and unit.
_SCAN_PERSON_ROW = RowReader(
    Person, ["id", "name", "kind", "org_unit", "state", "valid_from", "valid_until"]
)
_SCAN_UNIT_ROW = RowReader(OrgUnit, ["id", "name", "path"])


def _scan_person(person_id: int) -> tuple[Person | None, str | None]:
    """The person a code names, with their unit and their current colour, in one query
    (codes.status.ColourSQL); (None, None) if no such person. Without every provider's
    SQL the colour is asked of `current_status`, one query per provider."""
    colours = colour_columns("p.id")
    sql = _scan_person_sql(connection.vendor, tuple(colours.columns) if colours else ())
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(colours.params if colours else []), person_id])
        row = cursor.fetchone()
    if row is None:
        return None, None
    split = len(_SCAN_PERSON_ROW)
    person = _SCAN_PERSON_ROW.read(row[:split])
    person.org_unit = _SCAN_UNIT_ROW.read(row[split : split + len(_SCAN_UNIT_ROW)])
    if colours is None:
        return person, current_status(person).colour
    return person, colours.colour(row[split + len(_SCAN_UNIT_ROW) :])


@functools.lru_cache(maxsize=16)
def _scan_person_sql(vendor: str, colour_columns: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    select = [_SCAN_PERSON_ROW.select("p"), _SCAN_UNIT_ROW.select("u"), *colour_columns]
    return (
        f"SELECT {', '.join(select)} FROM {quote(Person._meta.db_table)} p"  # noqa: S608
        f" INNER JOIN {quote(OrgUnit._meta.db_table)} u ON u.id = p.org_unit_id"
        " WHERE p.id = %s"
    )


def _verify_code(token: str, now: datetime, school_id: int) -> tuple[Verdict, str | None]:
    """codes.tokens.verify_token with the lookup a gate needs: the same checks in the
    same order and the same reasons, with the person's current colour read in the same
    query (a whole person and one query per status provider cost a busy gate more than
    the signature check). Returns the verdict and that colour."""
    ring = keystore.load_keyring()
    reason, claims = check_signature(token, ring.public_keys)
    if claims is None:
        return Verdict(False, reason), None
    common = {"colour": claims.colour, "issued_at": claims.issued_at, "kid": claims.kid}
    lifetime = get_setting("code_lifetime_seconds", school_id)  # the gate's school's rule
    if (reason := check_age(claims, lifetime=lifetime, now=now.timestamp())) != CodeReason.OK:
        return Verdict(False, reason, **common), None
    person, status_colour = _scan_person(claims.person_id)
    if person is None:
        return Verdict(False, CodeReason.UNKNOWN_PERSON, **common), None
    if person.state == Person.State.SUSPENDED:
        return Verdict(False, CodeReason.SUSPENDED, person, **common), status_colour
    if person.state == Person.State.LEFT:
        return Verdict(False, CodeReason.LEFT, person, **common), status_colour
    if not person.is_valid_now():
        return Verdict(False, CodeReason.EXPIRED, person, **common), status_colour
    return Verdict(True, CodeReason.OK, person, **common), status_colour


def decide_online(*, gate: Gate, token: str, direction: str, now: datetime) -> tuple:
    """(Decision, person, colour, the code's issue time) for a token scanned at `gate` now."""
    verdict, status_colour = _verify_code(token, now, school_of(gate.place))
    person = verdict.person
    if person is None or verdict.reason in (CodeReason.SUSPENDED, CodeReason.LEFT):
        return Decision(False, _CODE_REASONS[verdict.reason]), person, verdict.colour or "", None
    facts = facts_for(person, token_colour=verdict.colour, status_colour=status_colour)
    if not verdict.ok:
        # verify_token reports a person outside their valid dates as expired; at a gate
        # that is a visitor whose pass is not valid today.
        decision = Decision(False, Reason.VISITOR_INVALID)
    else:
        decision = evaluate(
            rules=rules_for(gate.place),
            person=facts,
            direction=direction,
            local=timezone.localtime(now),
        )
    return decision, person, facts.colour, verdict.issued_at


def record_scan(
    *, gate: Gate, token: str, direction: str, nonce: str, now: datetime | None = None
) -> ScanResult:
    """Verify a code scanned at `gate` and store the outcome, allowed or refused.

    A retry with the same nonce returns the first stored event and never writes a
    second one, whatever the token of the retry says.
    """
    now = now or timezone.now()
    decision, person, colour, issued_at = decide_online(
        gate=gate, token=token, direction=direction, now=now
    )
    fingerprint = token_fingerprint(token) if person is not None else ""
    event = GateEvent(
        gate=gate,
        place_id=gate.place_id,
        direction=direction,
        person=person,
        at=now,
        allowed=decision.allowed,
        reason=decision.reason,
        notice=decision.notice,
        colour=colour or "",
        token_fp=fingerprint,
        nonce=nonce,
    )
    try:
        # Insert first, look up only on a clash: a retry is rare, and a lookup before
        # every scan would cost each of them a query. The unique (gate, nonce) lets one
        # copy in, also when two copies of a retry race; the stored one is the answer.
        # One INSERT in autocommit needs no transaction of its own; inside a caller's
        # transaction a savepoint keeps a clash from breaking it.
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                _insert_scan(event, issued_at, gate.place)
        else:
            _insert_scan(event, issued_at, gate.place)
    except IntegrityError:
        existing = GateEvent.objects.select_related("person__org_unit")
        return ScanResult(existing.get(gate=gate, nonce=nonce), False)
    alert_copied_code(event=event, gate=gate)
    return ScanResult(event, True)


_SCAN_COLUMNS = [
    "gate_id",
    "place_id",
    "direction",
    "person_id",
    "at",
    "allowed",
    "reason",
    "notice",
    "colour",
    "token_fp",
    "nonce",
    "source",
    "received_at",
]


# How far a gate's clock may lag the server's: events uploaded by an offline gate carry
# the gate's time, which may lie a little before the issue time of the code it read.
CLOCK_SLACK = timedelta(minutes=10)


@dataclass(frozen=True)
class Movement:
    """What the anti-passback and travel checks of one scan need to know (R8.1(3)).

    Both apply at campus gates only (the campus perimeter): inside, a library or a
    dormitory is walked to in a minute and often has no exit reader. `passback_since`
    is None when the check is off for this scan (not an entry, not a campus gate,
    already refused, or the school turned it off); likewise `travel` (the shortest walk
    between two gates)."""

    campus_id: int
    passback_since: datetime | None
    travel: timedelta | None

    @classmethod
    def for_event(cls, event: GateEvent, place: Place) -> "Movement":
        perimeter = place.kind == Place.Kind.CAMPUS_GATE and event.allowed and event.person_id
        school = school_of(place)
        passback = get_setting("gate_passback_minutes", school) if perimeter else 0
        travel = get_setting("gate_min_travel_minutes", school) if perimeter else 0
        entering = event.direction == Direction.IN
        return cls(
            campus_id=place.campus_id,
            passback_since=event.at - timedelta(minutes=passback)
            if passback and entering
            else None,
            travel=timedelta(minutes=travel) if travel else None,
        )


def _insert_scan(event: GateEvent, code_issued_at: int | None, place: Place) -> None:
    """Store `event`, turned into a refusal if, in this order:

    - `duplicate`: the same code already let someone through the same way at this place:
      a screenshot passed back over the turnstile (R8.1(3)); a fresh code is drawn every
      refresh, a second person isn't;
    - `passback`: an entry through a campus gate while the person's last entry through
      any gate of that campus has no exit after it (within `gate_passback_minutes`);
    - `impossible_travel`: the person's code was scanned at another campus gate less
      than `gate_min_travel_minutes` ago (record_scan then alerts the security staff).

    The checks and the insert are one statement (INSERT … SELECT … FROM (SELECT CASE WHEN
    EXISTS …) … RETURNING), one round trip, each check run once. Every check reads the
    person's recent events through the (person, at) index; the table needs no index of
    its own for them (each index is one more write on every scan). A code can only have
    been used since it was issued, so the duplicate check reads from then."""
    connection = transaction.get_connection()
    since = event.at if code_issued_at is None else datetime.fromtimestamp(code_issued_at, UTC)
    since -= CLOCK_SLACK
    movement = Movement.for_event(event, place)
    if not connection.features.can_return_columns_from_insert:  # pragma: no cover
        insert_scan_orm(event, since, place=place)
        return
    event.received_at = timezone.now()
    ops = connection.ops
    adapt = ops.adapt_datetimefield_value
    values = {name: getattr(event, name) for name in _SCAN_COLUMNS}
    values["at"] = adapt(values["at"])
    values["received_at"] = adapt(values["received_at"])
    person, at, place_id = event.person_id, values["at"], event.place_id
    # The same code already let someone through the same way at this place? A refused
    # scan never counts as one (the last parameter).
    seen = [person, adapt(since), place_id, event.token_fp, event.direction, bool(event.allowed)]
    entered_since = movement.passback_since or event.at
    perimeter = [movement.campus_id, Place.Kind.CAMPUS_GATE]
    inside = [
        movement.passback_since is not None,
        person,
        adapt(entered_since),
        at,
        Direction.IN,
        *perimeter,
        person,
        at,
        Direction.OUT,
        *perimeter,
    ]
    travel = movement.travel or timedelta(0)
    elsewhere = [
        movement.travel is not None,
        person,
        adapt(event.at - travel),
        adapt(event.at + travel),
        place_id,
        Place.Kind.CAMPUS_GATE,
    ]
    params = []
    for name in _SCAN_COLUMNS:
        if name == "allowed":
            params += [values[name], False]
        elif name == "reason":
            params.append(values[name])
        elif name == "notice":
            params += [values[name], ""]
        else:
            params.append(values[name])
    params += [
        *seen,
        Reason.DUPLICATE,
        *inside,
        Reason.PASSBACK,
        *elsewhere,
        Reason.IMPOSSIBLE_TRAVEL,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_scan_sql(connection.vendor), params)
        pk, allowed, reason, notice = cursor.fetchone()
    event.pk, event.allowed, event.reason, event.notice = pk, bool(allowed), reason, notice
    event._state.adding = False
    event._state.db = connection.alias


@functools.cache
def _insert_scan_sql(vendor: str) -> str:
    """The statement of `_insert_scan`, built once per database vendor."""
    quote = connection.ops.quote_name
    table = quote(GateEvent._meta.db_table)
    places = quote(Place._meta.db_table)
    columns = ", ".join(quote(name) for name in _SCAN_COLUMNS)
    seen = (
        f"EXISTS (SELECT 1 FROM {table} WHERE person_id = %s AND at >= %s"  # noqa: S608
        " AND place_id = %s AND token_fp = %s AND direction = %s AND allowed AND %s)"
    )
    perimeter = f"(SELECT id FROM {places} WHERE campus_id = %s AND kind = %s)"  # noqa: S608
    # An allowed entry through a gate of this campus with no allowed exit through any of
    # them at or after it.
    inside = (
        f"%s AND EXISTS (SELECT 1 FROM {table} e WHERE e.person_id = %s"  # noqa: S608
        " AND e.at >= %s AND e.at <= %s AND e.allowed AND e.direction = %s"
        f" AND e.place_id IN {perimeter}"
        f" AND NOT EXISTS (SELECT 1 FROM {table} x WHERE x.person_id = %s"
        " AND x.at >= e.at AND x.at <= %s AND x.allowed AND x.direction = %s"
        f" AND x.place_id IN {perimeter}))"
    )
    # Any scan of the person, allowed or not, at another campus gate moments before.
    elsewhere = (
        f"%s AND EXISTS (SELECT 1 FROM {table} e WHERE e.person_id = %s"  # noqa: S608
        " AND e.at >= %s AND e.at <= %s AND e.place_id <> %s"
        f" AND e.place_id IN (SELECT id FROM {places} WHERE kind = %s))"
    )
    marks = []
    for name in _SCAN_COLUMNS:
        if name in ("allowed", "notice"):
            marks.append("CASE WHEN v.refusal IS NULL THEN %s ELSE %s END")
        elif name == "reason":
            marks.append("COALESCE(v.refusal, %s)")
        else:
            marks.append("%s")
    verdict = (
        f"SELECT CASE WHEN {seen} THEN %s WHEN {inside} THEN %s WHEN {elsewhere} THEN %s"
        " END AS refusal"
    )
    return (
        f"INSERT INTO {table} ({columns}) SELECT {', '.join(marks)}"  # noqa: S608
        f" FROM ({verdict}) v RETURNING id, allowed, reason, notice"
    )


def movement_refusal(event: GateEvent, since: datetime, place: Place) -> str | None:
    """The refusal `_insert_scan` would turn `event` into, in ORM queries (see there)."""
    if not event.allowed:
        return None
    mine = GateEvent.objects.filter(person_id=event.person_id)
    if mine.filter(
        at__gte=since,
        place_id=event.place_id,
        token_fp=event.token_fp,
        direction=event.direction,
        allowed=True,
    ).exists():
        return Reason.DUPLICATE
    movement = Movement.for_event(event, place)
    if movement.passback_since is not None:
        perimeter = Place.objects.filter(
            campus_id=movement.campus_id, kind=Place.Kind.CAMPUS_GATE
        ).values("pk")
        last = (
            mine.filter(
                at__gte=movement.passback_since,
                at__lte=event.at,
                allowed=True,
                place_id__in=perimeter,
            )
            .order_by("-at", "direction")  # at the same moment, the exit ("out") counts last
            .values_list("direction", flat=True)
            .first()
        )
        if last == Direction.IN:
            return Reason.PASSBACK
    if movement.travel is not None and (
        mine.filter(
            at__gte=event.at - movement.travel,
            at__lte=event.at + movement.travel,
            place__kind=Place.Kind.CAMPUS_GATE,
        )
        .exclude(place_id=event.place_id)
        .exists()
    ):
        return Reason.IMPOSSIBLE_TRAVEL
    return None


def insert_scan_orm(event: GateEvent, since: datetime, *, place: Place | None = None) -> None:
    """`_insert_scan` in ORM statements: for databases without RETURNING, and for uploads
    (uploads.py), where a few queries more per event cost nothing."""
    place = place or Place.objects.get(pk=event.place_id)
    if refusal := movement_refusal(event, since, place):
        event.allowed, event.reason, event.notice = False, refusal, ""
    event.save()


def alert_copied_code(*, event: GateEvent, gate: Gate) -> GateAlert | None:
    """A code refused as `impossible_travel`: the security staff see it in the live view
    at once, with the other gate and the seconds between the two scans."""
    if event.reason != Reason.IMPOSSIBLE_TRAVEL or event.person_id is None:
        return None
    travel = timedelta(minutes=get_setting("gate_min_travel_minutes", school_of(gate.place)))
    other = (
        GateEvent.objects.filter(
            person_id=event.person_id,
            at__gte=event.at - travel,
            at__lte=event.at + travel,
            place__kind=Place.Kind.CAMPUS_GATE,
        )
        .exclude(place_id=event.place_id)
        .select_related("gate__place")
        .order_by("-at")
        .first()
    )
    detail = {"event": event.pk, "person": display_label(event.person)}
    if other is not None:
        detail |= {
            "other_event": other.pk,
            "other_gate": str(other.gate),
            "seconds": int(abs((event.at - other.at).total_seconds())),
        }
    return raise_alert(gate=gate, kind=GateAlert.Kind.TRAVEL, now=event.at, detail=detail)


def record_snapshot_pull(
    *, gate: Gate, count: int, client_ip: str | None = None, now: datetime | None = None
) -> None:
    """A gate fetched its snapshot: the time is shown on the device list, and the pull is
    audited (personal data left the server), one row per pull."""
    Gate.objects.filter(pk=gate.pk).update(last_sync_at=now or timezone.now())
    log_action(
        action="gates.snapshot.pulled",
        client_ip=client_ip,
        data={"gate": gate.pk, "place": gate.place_id, "count": count},
    )


# --- heartbeats and alerts ---------------------------------------------------------------


def record_heartbeat(
    *, gate: Gate, tampered: bool = False, data: dict | None = None, now: datetime | None = None
) -> list[GateAlert]:
    now = now or timezone.now()
    gate.last_heartbeat_at = now
    gate.last_heartbeat = data or {}
    gate.save(update_fields=["last_heartbeat_at", "last_heartbeat"])
    # The gate speaks again: its silence alert is over.
    GateAlert.objects.filter(
        gate=gate, kind=GateAlert.Kind.SILENT, resolved_at__isnull=True
    ).update(resolved_at=now)
    raised = []
    if tampered:
        alert = raise_alert(gate=gate, kind=GateAlert.Kind.TAMPER, now=now, detail=data or {})
        if alert:
            raised.append(alert)
    return raised


def raise_alert(*, gate: Gate, kind: str, now: datetime, detail: dict) -> GateAlert | None:
    """Open an alert unless one of this kind is already open for the gate."""
    try:
        with transaction.atomic():
            return GateAlert.objects.create(gate=gate, kind=kind, raised_at=now, detail=detail)
    except IntegrityError:
        return None


def check_silent_gates(*, now: datetime | None = None) -> int:
    """Open a 'silent' alert for every working gate without a heartbeat for too long."""
    now = now or timezone.now()
    raised = 0
    quiet = Gate.objects.none()
    for school in OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL):  # each school's limit
        limit = now - timedelta(minutes=get_setting("gate_heartbeat_silence_minutes", school))
        quiet |= (
            Gate.objects.working()
            .filter(
                place__campus__path__startswith=school.path,
                created_at__lt=limit,
            )
            .exclude(last_heartbeat_at__gte=limit)
        )
    open_silent = set(
        GateAlert.objects.filter(kind=GateAlert.Kind.SILENT, resolved_at__isnull=True).values_list(
            "gate_id", flat=True
        )
    )
    for gate in quiet.exclude(pk__in=open_silent):
        last = gate.last_heartbeat_at.isoformat() if gate.last_heartbeat_at else None
        if raise_alert(
            gate=gate, kind=GateAlert.Kind.SILENT, now=now, detail={"last_heartbeat": last}
        ):
            raised += 1
    return raised


def resolve_alert(*, alert: GateAlert, user, client_ip: str | None = None) -> None:
    alert.resolved_at = timezone.now()
    alert.resolved_by = user
    alert.save(update_fields=["resolved_at", "resolved_by"])
    log_action(
        actor=user,
        action="gates.alert.resolved",
        client_ip=client_ip,
        data={"alert": alert.pk, "kind": alert.kind},
    )
