"""The gate device API: verify, heartbeat, snapshot, offline upload (R2.2, R7.2).

Every call carries the device token of one gate (`Authorization: Bearer gt_...`);
the gate is taken from the token, never from the request, so a token acts for its own
gate only, and nothing here lists or reads people.
"""

import time
from datetime import datetime, timedelta
from typing import Literal

from django.utils import timezone
from django.views.decorators.gzip import gzip_page
from django_ratelimit.core import get_usage
from ninja import Field, Router, Schema
from ninja.decorators import decorate_view
from ninja.errors import Throttled
from ninja.security import HttpBearer
from pydantic import field_validator

from campuscode.core.net import ratelimit_ip, ratelimit_rate
from campuscode.gates import selectors, services
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
    token: str = Field("", max_length=400)
    direction: Literal["in", "out"]
    at: datetime
    allowed: bool
    reason: ReasonCode
    notice: NoticeCode = ""
    colour: Literal["", "green", "yellow", "red"] = ""

    @field_validator("at")
    @classmethod
    def at_is_plausible(cls, value: datetime) -> datetime:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        now = timezone.now()
        try:
            if not (now - timedelta(days=60) <= value <= now + timedelta(hours=1)):
                raise ValueError("time must lie in the last 60 days")
        except OverflowError:
            raise ValueError("time out of range") from None
        return value


class UploadIn(Schema):
    events: list[OfflineEventIn] = Field(..., max_length=1000)


class UploadOut(Schema):
    stored: int
    duplicates: int


class GateInfo(Schema):
    id: int
    name: str
    place: str
    campus: str


class KeyOut(Schema):
    kid: str
    public_key: str


class SnapshotOut(Schema):
    version: int
    generated_at: datetime
    generated_ts: int
    max_age_seconds: int
    degraded_allowed: bool
    code_lifetime_seconds: int
    time_zone: str
    gate: GateInfo
    rules: dict
    keys: list[KeyOut]
    people: dict[str, list] = Field(
        description="person id → [kind, unit path, state, colour, valid from, valid until, label]"
    )


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
        "silence_limit_seconds": services.get_setting("gate_heartbeat_silence_minutes") * 60,
        "alerts_raised": [alert.kind for alert in raised],
    }


@router.get(
    "/snapshot",
    response={200: SnapshotOut, 401: ErrorOut},
    summary="What this gate needs to decide offline: keys, its place's rules, people facts",
)
@decorate_view(gzip_page)  # ~70 bytes a person, fetched every minute by every gate
def snapshot(request):
    body = selectors.build_snapshot(gate=request.gate)
    services.mark_synced(gate=request.gate)
    return body


@router.post(
    "/events",
    response={200: UploadOut, 401: ErrorOut},
    summary="Upload events decided offline; each nonce is stored once",
)
def upload(request, payload: UploadIn):
    return services.upload_offline_events(
        gate=request.gate, events=[event.dict() for event in payload.events]
    )
