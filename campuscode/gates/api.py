"""The gate device API: verify, heartbeat, snapshot, offline upload (R2.2, R7.2).

Every call carries the device token of one gate (`Authorization: Bearer gt_...`);
the gate is taken from the token, never from the request, so a token acts for its own
gate only, and nothing here lists or reads people.
"""

import time
from datetime import UTC, date, datetime
from typing import Literal

from django.utils import timezone
from django.views.decorators.gzip import gzip_page
from django_ratelimit.core import get_usage
from ninja import Field, Router, Schema
from ninja.decorators import decorate_view
from ninja.errors import Throttled
from ninja.security import HttpBearer
from pydantic import field_validator

from campuscode.core.net import client_ip, ratelimit_ip, ratelimit_rate
from campuscode.gates import selectors, services, uploads
from campuscode.gates.models import Gate, GateEvent, Notice, Reason

NONCE_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"


BAD_TOKENS = dict(group="gates.bad_token", key="ip", rate=ratelimit_rate("gate_bad_token"))
# Addresses that sent this process a wrong token lately. Only their requests read the shared
# counter before the lookup, so a gate with a good token pays nothing for the limit.
_suspects: dict[str, float] = {}
SUSPECT_SECONDS = 3600


class DeviceToken(HttpBearer):
    def authenticate(self, request, token: str) -> Gate | None:
        address = ratelimit_ip(request)
        now = time.monotonic()
        if _suspects.get(address, 0) > now:
            # Too many wrong tokens from this address this minute: 429 before any lookup,
            # so guessing tokens (or a misconfigured device hammering) costs no query.
            tried = get_usage(request, **BAD_TOKENS)
            if tried and tried["count"] >= tried["limit"]:
                raise Throttled(wait=tried["time_left"])
        gate = services.authenticate_device(token)
        if gate is None:
            get_usage(request, **BAD_TOKENS, increment=True)
            if len(_suspects) > 10_000:
                _suspects.clear()
            _suspects[address] = now + SUSPECT_SECONDS
            return None
        request.gate = gate
        return gate


router = Router(tags=["gates"], auth=DeviceToken())

ReasonCode = Literal[tuple(Reason.values)]  # type: ignore[valid-type]
NoticeCode = Literal[tuple(Notice.values)]  # type: ignore[valid-type]


class VerifyIn(Schema):
    token: str = Field(..., max_length=400, description="The scanned campus code, as read.")
    direction: Literal["in", "out"]
    nonce: str = Field(
        ...,
        pattern=NONCE_PATTERN,
        description="Made by the device for this scan; a retry sends the same nonce.",
    )


class VerifyOut(Schema):
    allowed: bool
    reason: ReasonCode
    reason_label: str
    notice: NoticeCode
    display: str = Field(description="Masked name and unit, e.g. 张*伟 · 计科2501班")
    event_id: int
    at: datetime
    replayed: bool = Field(description="True when this answers a retry of an earlier nonce.")


class HeartbeatIn(Schema):
    tampered: bool = False
    snapshot_age_seconds: int | None = Field(None, ge=0, le=10**9)
    queue_length: int | None = Field(None, ge=0, le=10**9)
    software: str = Field("", max_length=40, pattern=r"^[A-Za-z0-9 ._/+-]*$")


class HeartbeatOut(Schema):
    server_time: datetime
    silence_limit_seconds: int
    alerts_raised: list[str]


class OfflineEventIn(Schema):
    nonce: str = Field(..., pattern=NONCE_PATTERN)
    token: str = Field(
        "",
        max_length=400,
        description="The scanned code exactly as read. An allowed event without a genuine "
        "code, valid at `at`, is stored as refused (`unverified`) and never counts.",
    )
    person_id: int | None = Field(
        None,
        ge=1,
        le=2**63 - 1,
        description="The person the gate took the code for; must be the code's own.",
    )
    direction: Literal["in", "out"]
    at: datetime = Field(description="When the gate decided, by its clock.")
    allowed: bool
    reason: ReasonCode
    notice: NoticeCode = ""
    colour: Literal["", "green", "yellow", "red"] = ""

    @field_validator("at")
    @classmethod
    def at_is_a_moment(cls, value: datetime) -> datetime:
        # Whether the time is plausible is the server's check of each event
        # (uploads.check_offline_event): one bad clock must not refuse a whole batch.
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("time out of range") from None


class UploadIn(Schema):
    events: list[OfflineEventIn] = Field(..., max_length=1000)


class UploadOut(Schema):
    stored: int
    duplicates: int
    unverified: int = Field(description="Of the stored: events the server could not confirm.")


class GateInfo(Schema):
    id: int
    name: str
    place: str
    campus: str


class KeyOut(Schema):
    kid: str
    public_key: str


class SnapshotRules(Schema):
    opens_at: str | None = Field(description="HH:MM, school time; with closes_at: no entry outside")
    closes_at: str | None
    curfew_starts: str | None = Field(description="HH:MM: entries from then are flagged")
    curfew_ends: str | None
    red_policy: Literal["allow", "notice", "refuse"] = Field(
        description="What to do with a code that carries red itself"
    )
    yellow_policy: Literal["allow", "notice", "refuse"]


class SnapshotOut(Schema):
    version: int = Field(description="2")
    generated_at: datetime
    generated_ts: int
    max_age_seconds: int = Field(description="After this the gate refuses everyone (`stale`)")
    degraded_allowed: bool = Field(description="...or admits valid codes flagged, if true")
    code_lifetime_seconds: int
    passback_seconds: int = Field(
        0,
        description="Anti-passback at a campus gate: refuse a second entry of someone this "
        "gate let in and has not seen leave for this long (0: off). Entries at other gates "
        "are checked by the server when the events are uploaded.",
    )
    time_zone: str
    gate: GateInfo
    rules: SnapshotRules
    keys: list[KeyOut]
    people: dict[str, tuple[Literal["", "yellow", "red"], date | None, date | None, str]] = Field(
        description="Only the people this place admits: person id → [the colour to treat "
        "them as at least ('' for none), valid from, valid until, masked name such as 张*伟]"
    )


SNAPSHOT_DESCRIPTION = """What this gate needs to decide alone while the network is down, and nothing more.

**What a gate holds**: the public keys that verify campus codes; its place's opening
hours, curfew and colour policies; and one row for each person **this place admits**:
the person's id, the colour the gate must treat them as at least (empty for almost
everyone; `yellow` or `red` only where the place admits such a person with a notice to
the staff), the first and last valid day if the person has any, and a masked name
(`张*伟`) to show on the screen.

**What it does not hold**: full names, numbers, classes or units, person kinds, standing,
health colours, and nobody the place refuses whatever code they show (suspended, left,
past their dates, not admitted at this place, refused for their health status). An
offline gate refuses an unlisted code as `not_on_list`.

**For how long**: the gate page (IndexedDB) and `campuscode gate` (its snapshot file)
keep one snapshot and replace it at every pull, about once a minute while online; a
gate drops an older snapshot format on start. A snapshot older than `max_age_seconds`
(the school setting of the maximum snapshot age) makes the gate refuse everyone as
`stale`, unless the school allows degraded mode.

Every pull writes one audit entry (`gates.snapshot.pulled`: gate, place, number of
people).
"""


class ErrorOut(Schema):
    detail: str


def _verify_out(result: services.ScanResult) -> dict:
    event: GateEvent = result.event
    return {
        "allowed": event.allowed,
        "reason": event.reason,
        "reason_label": str(Reason(event.reason).label),
        "notice": event.notice,
        "display": result.label,
        "event_id": event.pk,
        "at": event.at,
        "replayed": not result.created,
    }


@router.post(
    "/verify",
    response={200: VerifyOut, 401: ErrorOut},
    summary="Verify a scanned campus code at this gate and log the entry/exit",
)
def verify(request, payload: VerifyIn):
    """A refused code is a normal answer (200 with `allowed: false` and a reason code)."""
    result = services.record_scan(
        gate=request.gate, token=payload.token, direction=payload.direction, nonce=payload.nonce
    )
    return _verify_out(result)


@router.post(
    "/heartbeat",
    response={200: HeartbeatOut, 401: ErrorOut},
    summary="Tell the server this gate is alive (and whether its case was opened)",
)
def heartbeat(request, payload: HeartbeatIn):
    raised = services.record_heartbeat(
        gate=request.gate, tampered=payload.tampered, data=payload.dict()
    )
    return {
        "server_time": timezone.now(),
        "silence_limit_seconds": services.get_setting(
            "gate_heartbeat_silence_minutes", services.school_of(request.gate.place)
        )
        * 60,
        "alerts_raised": [alert.kind for alert in raised],
    }


@router.get(
    "/snapshot",
    response={200: SnapshotOut, 401: ErrorOut},
    summary="What this gate needs to decide offline: keys, its place's rules, who it admits",
    description=SNAPSHOT_DESCRIPTION,
)
@decorate_view(gzip_page)  # ~40 bytes a person, fetched every minute by every gate
def snapshot(request):
    body = selectors.build_snapshot(gate=request.gate)
    services.record_snapshot_pull(
        gate=request.gate, count=len(body["people"]), client_ip=client_ip(request)
    )
    return body


@router.post(
    "/events",
    response={200: UploadOut, 401: ErrorOut},
    summary="Upload events decided offline; each nonce is stored once",
    description="The server re-checks every allowed event: the code's signature and key, "
    "its validity at `at`, that `at` is plausible (at most 5 minutes ahead of the "
    "server, at most 60 days old) and that the code is `person_id`'s. An event that fails "
    "is stored refused with reason `unverified` and never counts as a passage. A refusal "
    "is stored as the gate decided it.",
)
def upload(request, payload: UploadIn):
    return uploads.upload_offline_events(
        gate=request.gate, events=[event.dict() for event in payload.events]
    )
