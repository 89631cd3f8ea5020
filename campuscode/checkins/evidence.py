"""Presence evidence: what the server itself can tell about whether a person checking in
stands at the point (R1.2, R8.1(3)).

Each point declares which kinds of evidence prove presence (any one suffices) and what
happens when none does: the check-in is stored with a flag, or refused.

- network: the client address (core.net.client_ip, trusted-proxy aware) lies in one of
  the campus's own networks (CampusNetwork rows);
- location: the phone's reported position is within the point's radius, with enough
  accuracy; the distance is computed here, never taken from the browser;
- scan: the point's scanner read the person's own rotating campus code a few minutes
  ago (a PresenceGrant). A friend at home sent the point's code has no grant.

Independently of the policy, the form is bound to the browser, device cookie and address
that opened it; a change between opening and sending is evidence missing too.

Everything seen is kept on the check-in as plain data (`Checkin.evidence`), so a reviewer
reads distances, networks and times, not a verdict.
"""

import hashlib
import ipaddress
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.audit.services import log_action
from campuscode.checkins import cached
from campuscode.checkins.models import CampusNetwork, CheckinPoint, Flag, OnMissing, PresenceGrant
from campuscode.checkins.rules import setting as get_setting
from campuscode.codes.tokens import verify_token

EARTH_RADIUS_M = 6_371_008.8
USER_AGENT_CHARS = 200
NO_PRESENCE = "no_presence"

# --- campus networks -------------------------------------------------------------------


def networks_of(campus_id: int) -> tuple[str, ...]:
    """The campus's address ranges (check-ins read them with the cached point instead)."""
    return tuple(
        CampusNetwork.objects.filter(campus_id=campus_id)
        .order_by("network")
        .values_list("network", flat=True)
    )


def _ranges_at(point: CheckinPoint) -> tuple[str, ...]:
    ranges = getattr(point, "campus_networks", None)  # set by cached.point
    return networks_of(point.campus_id) if ranges is None else ranges


def parse_networks(text: str) -> list[str]:
    """Address ranges typed one per line (or separated by commas or spaces), normalised;
    ValidationError naming every line that is not a range."""
    parts = [p for p in (text or "").replace("，", ",").replace(",", " ").split() if p]
    found, bad = [], []
    for part in parts:
        try:
            network = str(ipaddress.ip_network(part, strict=False))
        except ValueError:
            bad.append(part)
            continue
        if network not in found:
            found.append(network)
    if bad:
        raise ValidationError(
            _("Not an address range: %(ranges)s. Write ranges like 10.20.0.0/16."),
            params={"ranges": "、".join(bad[:5])},
        )
    return found


def set_campus_networks(*, campus, networks: list[str], user, client_ip: str | None) -> None:
    """Replace the campus's ranges with `networks` (already parsed), audited."""
    with transaction.atomic():
        CampusNetwork.objects.filter(campus=campus).exclude(network__in=networks).delete()
        for network in networks:
            CampusNetwork.objects.get_or_create(campus=campus, network=network)
    cached.forget_points_of_campus(campus.pk)
    log_action(
        action="checkins.networks.saved",
        actor=user,
        client_ip=client_ip,
        data={"campus": campus.pk, "networks": networks},
    )


def network_facts(ip: str | None, ranges: tuple[str, ...]) -> dict:
    facts = {"ip": ip, "configured": bool(ranges), "inside": False, "range": None}
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return facts
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    for text in ranges:
        network = ipaddress.ip_network(text)
        if address.version == network.version and address in network:
            facts.update(inside=True, range=text)
            break
    return facts


# --- the phone's location ----------------------------------------------------------------

LOCATION_ERRORS = {"denied", "unavailable", "timeout", "unsupported"}


def location_from(data) -> dict:
    """What the form sent of the phone's position: numbers, or the browser's error, or
    nothing. Anything out of range counts as no location (never an error page)."""

    def number(name, low, high):
        try:
            value = float(str(data.get(name, "")).strip())
        except ValueError:
            return None
        return value if math.isfinite(value) and low <= value <= high else None

    lat, lon = number("geo_lat", -90, 90), number("geo_lon", -180, 180)
    accuracy = number("geo_accuracy", 0, 10**7)
    if lat is not None and lon is not None and accuracy is not None:
        return {"lat": lat, "lon": lon, "accuracy_m": accuracy}
    error = str(data.get("geo_error", "")).strip()
    return {"error": error if error in LOCATION_ERRORS else "none"}


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine); metres matter here, not the ellipsoid."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def location_facts(point: CheckinPoint, location: dict) -> dict:
    facts = {
        "radius_m": point.radius_m,
        "max_accuracy_m": get_setting("checkin_location_max_accuracy_m"),
    }
    if "error" in location:
        return {**facts, "problem": "missing", "error": location["error"]}
    distance = distance_m(
        location["lat"], location["lon"], float(point.latitude), float(point.longitude)
    )
    accuracy = location["accuracy_m"]
    facts.update(
        distance_m=round(distance),
        accuracy_m=round(accuracy),
        lat=round(location["lat"], 6),
        lon=round(location["lon"], 6),
    )
    if accuracy > facts["max_accuracy_m"]:
        return {**facts, "problem": "inaccurate"}
    # The phone may be anywhere in its accuracy circle: within the radius if that circle
    # touches the point's. The accuracy is capped above, so this widens by at most that.
    if distance - accuracy > point.radius_m:
        return {**facts, "problem": "far"}
    return {**facts, "problem": None}


# --- the point's scanner -----------------------------------------------------------------

SCANNER_PREFIX = "pt_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_scanner_token(*, point: CheckinPoint, user, client_ip: str | None) -> str:
    """A new token for the point's scanner, shown once; any earlier one stops working."""
    token = SCANNER_PREFIX + secrets.token_urlsafe(32)
    point.scanner_token_hash = _hash(token)
    point.scanner_token_hint = token[:8]
    point.save(update_fields=["scanner_token_hash", "scanner_token_hint"])
    log_action(
        action="checkins.scanner.issued", actor=user, client_ip=client_ip, data={"point": point.pk}
    )
    return token


def revoke_scanner_token(*, point: CheckinPoint, user, client_ip: str | None) -> None:
    point.scanner_token_hash = point.scanner_token_hint = ""
    point.save(update_fields=["scanner_token_hash", "scanner_token_hint"])
    log_action(
        action="checkins.scanner.revoked", actor=user, client_ip=client_ip, data={"point": point.pk}
    )


def point_for_scanner_token(token: str) -> CheckinPoint | None:
    """The active point whose scanner holds `token`, read fresh (a revoked token fails on
    the very next call)."""
    if not token or not token.startswith(SCANNER_PREFIX) or len(token) > 100:
        return None
    return (
        CheckinPoint.objects.select_related("campus")
        .filter(scanner_token_hash=_hash(token), active=True)
        .first()
    )


@dataclass(frozen=True)
class GrantOutcome:
    ok: bool
    reason: str  # codes.tokens.Reason, or "wrong_campus"
    grant: PresenceGrant | None = None


def grant_presence(*, point: CheckinPoint, code: str, now: datetime | None = None) -> GrantOutcome:
    """The point's scanner read `code`: if it is a live campus code of someone who may
    check in here, their form at this point counts as on site for a few minutes."""
    from campuscode.checkins.services import may_check_in_at

    now = now or timezone.now()
    verdict = verify_token(code or "", now=now.timestamp())
    if not verdict.ok:
        return GrantOutcome(False, verdict.reason)
    if not may_check_in_at(verdict.person, point):
        return GrantOutcome(False, "wrong_campus")
    grant = PresenceGrant.objects.create(
        person=verdict.person,
        point=point,
        created_at=now,
        expires_at=now + timedelta(minutes=get_setting("checkin_scan_grant_minutes")),
    )
    return GrantOutcome(True, verdict.reason, grant)


def wrong_campus_label() -> str:
    return _("This person checks in on another campus.")


def live_grant(*, person_id: int, point_id: int | None = None, now: datetime):
    rows = PresenceGrant.objects.filter(person_id=person_id, expires_at__gt=now)
    if point_id is not None:
        rows = rows.filter(point_id=point_id)
    return rows.order_by("-expires_at").first()


# --- binding the form to the browser that opened it ------------------------------------


def binding_of(*, device: str, user_agent: str, ip: str | None, at: float) -> dict:
    """What is kept in the visit when the form is opened, compared when it is sent."""
    return {"device": device, "agent": (user_agent or "")[:USER_AGENT_CHARS], "ip": ip, "at": at}


def binding_facts(opened: dict | None, sent: dict) -> dict:
    """ok True: the same browser, device cookie and address; False: what changed, before
    and after; None: nothing to compare (a form sent without being opened is flagged as
    such already, NOT_OPENED)."""
    if not opened:
        return {"ok": None}
    changed = {
        name: {"before": opened.get(name), "after": sent.get(name)}
        for name in ("device", "agent", "ip")
        if opened.get(name) != sent.get(name)
    }
    facts = {"ok": not changed, "opened_at": opened.get("at"), "sent_at": sent.get("at")}
    if changed:
        facts["changed"] = changed
    return facts


# --- the assessment ------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    facts: dict
    missing: tuple[tuple[str, dict], ...] = field(default=())
    refuse: bool = False

    @property
    def refusal(self) -> str | None:
        """The refusal code when the policy refuses: the missing kind, or NO_PRESENCE
        when several are missing (its message names every way to prove presence)."""
        if not self.refuse:
            return None
        return self.missing[0][0] if len(self.missing) == 1 else NO_PRESENCE


def assess(
    *,
    point: CheckinPoint,
    person_id: int | None,
    ip: str | None,
    location: dict | None,
    opened: dict | None,
    sent: dict,
    now: datetime,
) -> Evidence:
    """The evidence of presence for one check-in at `point`, by the point's policy.

    A kind the school has not set up (no campus networks, no coordinates for the point,
    no scanner) can be met by nobody, so it neither proves nor disproves presence; the
    facts say it was not set up."""
    facts: dict = {
        "policy": {
            "network": point.evidence_network,
            "location": point.evidence_location,
            "scan": point.evidence_scan,
            "on_missing": point.on_missing,
        }
    }
    checked: list[tuple[bool, str, dict]] = []  # (met, reason if not, detail)
    network = network_facts(ip, _ranges_at(point))
    facts["network"] = network
    if point.evidence_network and network["configured"]:
        checked.append((network["inside"], Flag.Reason.OFF_CAMPUS_NETWORK, {"ip": ip}))
    if point.evidence_location and point.latitude is not None and point.longitude is not None:
        place = location_facts(point, location or {"error": "none"})
        facts["location"] = place
        reason = (
            Flag.Reason.LOCATION_FAR if place["problem"] == "far" else Flag.Reason.LOCATION_MISSING
        )
        checked.append((place["problem"] is None, reason, place))
    # Only a point with a scanner gives grants: others need no lookup.
    grant = (
        live_grant(person_id=person_id, point_id=point.pk, now=now)
        if person_id and point.scanner_token_hash
        else None
    )
    facts["scan"] = {
        "grant": grant.pk if grant else None,
        "scanned_at": grant.created_at.isoformat() if grant else None,
    }
    if grant is not None:
        # The strongest evidence: it proves presence whatever the point's other kinds say.
        checked.append((True, "", {}))
    elif point.evidence_scan and point.scanner_token_hash:
        checked.append((False, Flag.Reason.NOT_SCANNED, {}))
    missing: list[tuple[str, dict]] = []
    if checked:
        facts["present"] = any(met for met, _r, _d in checked)
        if not facts["present"]:
            missing += [(reason, detail) for met, reason, detail in checked if not met]
    else:
        facts["present"] = None  # nothing the school set up to tell
    binding = binding_facts(opened, sent)
    facts["binding"] = binding
    if binding["ok"] is False:
        missing.append((Flag.Reason.FORM_MOVED, binding))
    return Evidence(
        facts=_plain(facts),
        missing=tuple(missing),
        refuse=bool(missing) and point.on_missing == OnMissing.REFUSE,
    )


def _plain(value):
    """JSON-ready: Decimals as floats (JSONField would refuse them)."""
    if isinstance(value, dict):
        return {key: _plain(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    return value
