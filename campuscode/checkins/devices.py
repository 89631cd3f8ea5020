"""Check-in point screens as devices, like the gates' devices (gates.services): a
credential scoped to one point, shown once, rotatable and revocable; a heartbeat (every
fetch of the live code); an alert when a registered screen goes silent or a revoked
credential is used again. And the hook the presence evidence uses for posters.

Without this the kiosk page's address was the only credential: anyone who had seen it
could fetch the rotating code from home (issue 9, case 2).
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from campuscode.audit.services import log_action
from campuscode.checkins.models import CheckinPoint, Codes, KioskAlert, KioskDisplay
from campuscode.checkins.rules import setting as get_setting

TOKEN_PREFIX = "kd_"
COOKIE = "cc_kiosk"
# A screen fetches its code every step (20 s by default); writing its heartbeat once in
# this many seconds is enough for an alert measured in minutes.
HEARTBEAT_EVERY_SECONDS = 30


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def register_display(
    *, point: CheckinPoint, name: str, user=None, client_ip: str | None = None
) -> tuple[KioskDisplay, str]:
    """A new screen for `point`; the credential is returned once, only its hash is kept."""
    token = _new_token()
    display = KioskDisplay.objects.create(
        point=point,
        name=name.strip()[:100],
        token_hash=hash_token(token),
        token_hint=token[:8],
        registered_by=user,
    )
    log_action(
        action="checkins.display.registered",
        actor=user,
        client_ip=client_ip,
        data={"display": display.pk, "point": point.pk, "name": display.name},
    )
    return display, token


def rotate_display(*, display: KioskDisplay, user=None, client_ip: str | None = None) -> str:
    """A new credential; the old one (and the offline codes signed with it) stop now."""
    token = _new_token()
    display.previous_token_hash = display.token_hash
    display.token_hash = hash_token(token)
    display.token_hint = token[:8]
    display.token_issued_at = timezone.now()
    display.revoked_at = None
    display.save(
        update_fields=[
            "token_hash",
            "previous_token_hash",
            "token_hint",
            "token_issued_at",
            "revoked_at",
        ]
    )
    log_action(
        action="checkins.display.rotated",
        actor=user,
        client_ip=client_ip,
        data={"display": display.pk, "point": display.point_id},
    )
    return token


def revoke_display(*, display: KioskDisplay, user=None, client_ip: str | None = None) -> None:
    display.revoked_at = timezone.now()
    display.save(update_fields=["revoked_at"])
    KioskAlert.objects.filter(
        display=display, kind=KioskAlert.Kind.SILENT, resolved_at__isnull=True
    ).update(resolved_at=display.revoked_at, resolved_by=user)
    log_action(
        action="checkins.display.revoked",
        actor=user,
        client_ip=client_ip,
        data={"display": display.pk, "point": display.point_id},
    )


def credential_of(request) -> str:
    """The screen's credential: the enrolment cookie, or `Authorization: Bearer kd_…`."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    return request.COOKIES.get(COOKIE, "")


def authenticate_display(
    token: str, *, point_id: int, client_ip: str | None = None, now: datetime | None = None
) -> KioskDisplay | None:
    """The working screen of `point_id` this credential belongs to, read fresh on every
    request (a revoked credential fails on the next fetch). A revoked or rotated-away
    credential, or one of another point, raises a tamper alert: someone kept a copy."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    hashed = hash_token(token)
    display = (
        KioskDisplay.objects.select_related("point", "point__campus")
        .filter(token_hash=hashed)
        .first()
    )
    replaced = display is None and (
        display := KioskDisplay.objects.filter(previous_token_hash=hashed).first()
    )
    if display is None:
        return None
    if replaced or display.revoked_at is not None or display.point_id != point_id:
        raise_alert(
            display=display,
            kind=KioskAlert.Kind.TAMPER,
            now=now or timezone.now(),
            detail={"ip": client_ip, "point": point_id},
        )
        return None
    if not display.point.active or not display.point.has_screen:
        return None
    return display


def record_heartbeat(*, display: KioskDisplay, now: datetime | None = None) -> None:
    now = now or timezone.now()
    last = display.last_heartbeat_at
    if last is not None and (now - last).total_seconds() < HEARTBEAT_EVERY_SECONDS:
        return
    KioskDisplay.objects.filter(pk=display.pk).update(last_heartbeat_at=now)
    display.last_heartbeat_at = now
    # The screen speaks again: its silence is over.
    KioskAlert.objects.filter(
        display=display, kind=KioskAlert.Kind.SILENT, resolved_at__isnull=True
    ).update(resolved_at=now)


def raise_alert(
    *, display: KioskDisplay, kind: str, now: datetime, detail: dict
) -> KioskAlert | None:
    """Open an alert unless one of this kind is already open for the screen."""
    try:
        with transaction.atomic():
            return KioskAlert.objects.create(
                display=display, kind=kind, raised_at=now, detail=detail
            )
    except IntegrityError:
        return None


def check_silent_displays(*, now: datetime | None = None) -> int:
    """Open a 'silent' alert for every working screen not heard from for too long."""
    now = now or timezone.now()
    limit = now - timedelta(minutes=get_setting("checkin_kiosk_silence_minutes"))
    quiet = (
        KioskDisplay.objects.filter(
            revoked_at__isnull=True, point__active=True, created_at__lt=limit
        )
        .exclude(point__codes=Codes.POSTER)
        .exclude(last_heartbeat_at__gte=limit)
        .exclude(
            pk__in=KioskAlert.objects.filter(
                kind=KioskAlert.Kind.SILENT, resolved_at__isnull=True
            ).values("display_id")
        )
    )
    raised = 0
    for display in quiet:
        last = display.last_heartbeat_at.isoformat() if display.last_heartbeat_at else None
        if raise_alert(
            display=display, kind=KioskAlert.Kind.SILENT, now=now, detail={"last_heard": last}
        ):
            raised += 1
    return raised


def resolve_alert(*, alert: KioskAlert, user, client_ip: str | None = None) -> None:
    alert.resolved_at = timezone.now()
    alert.resolved_by = user
    alert.save(update_fields=["resolved_at", "resolved_by"])
    log_action(
        action="checkins.display_alert.resolved",
        actor=user,
        client_ip=client_ip,
        data={"alert": alert.pk, "kind": alert.kind, "display": alert.display_id},
    )


def display_status(display: KioskDisplay, *, now: datetime | None = None) -> str:
    """'ok', 'silent' or 'revoked', for the points page."""
    if display.revoked_at:
        return "revoked"
    now = now or timezone.now()
    limit = get_setting("checkin_kiosk_silence_minutes") * 60
    last = display.last_heartbeat_at
    if last is None or (now - last).total_seconds() > limit:
        return "silent"
    return "ok"


def poster_needs_evidence(point: CheckinPoint) -> bool:
    """Whether a check-in through this point's poster must be backed by presence evidence
    (checkins.evidence) to go unflagged. A poster is static and its photo works anywhere,
    so the scan alone proves nothing: always, for now. The evidence module, when it finds
    evidence for a poster check-in, drops the `poster_no_evidence` flag; a future point
    with its own proof (an NFC tag, a point that scans the person) could answer False."""
    return point.takes_posters
