"""Honesty flags of a new check-in (R1.2, R8.1(3)): what the server saw says the
check-in may not be what it claims. Stored with the check-in, never instead of it.

Which phone sent a check-in is told from three things, strongest first:
- the device cookie, when it was issued before the shared-phone span (a phone in daily
  use keeps it for years; `device_new` says it was issued minutes ago or just now, which
  is what clearing cookies or a private tab looks like);
- a fingerprint: a hash of the user agent, the client hints (Sec-CH-UA-*), the accepted
  languages and what the form's script reports (screen, pixel ratio, time zone, …);
- the network address, which alone proves nothing: a dormitory NAT or the campus Wi-Fi
  puts hundreds of honest phones behind one address.

So a busy address is not suspect by itself; accounts are counted per phone. Behind a
NAT at rush hour every phone carries its own established cookie or its own fingerprint,
so each phone has one account; a phone (or a script) cycling through accounts has many.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core import signing
from django.db.models import Q

from campuscode.checkins.models import Checkin, CheckinPoint, Flag
from campuscode.checkins.rules import setting as get_setting
from campuscode.checkins.windows import Window
from campuscode.people.models import Person

# The client hints a browser sends on its own (low entropy) and those the form asks for
# with Accept-CH (sent by Chromium browsers over HTTPS from the next request on).
HINT_HEADERS = (
    "HTTP_SEC_CH_UA",
    "HTTP_SEC_CH_UA_MOBILE",
    "HTTP_SEC_CH_UA_PLATFORM",
    "HTTP_SEC_CH_UA_MODEL",
    "HTTP_SEC_CH_UA_PLATFORM_VERSION",
)
ACCEPT_CH = "Sec-CH-UA-Model, Sec-CH-UA-Platform-Version"
FP_FIELD = "fp"  # the form's hidden field the script fills (static/checkins/form.js)
_FP_CHARS = re.compile(r"[^0-9A-Za-z_.,:;|/+ x-]")


@dataclass(frozen=True)
class ClientFacts:
    """What the server saw of the phone that sent a check-in."""

    device: str = ""
    device_new: bool = True
    ip: str | None = None
    fingerprint: str = ""
    # For the reviewer, in plain words: {"os", "model", "browser", "screen"}.
    label: dict = field(default_factory=dict)


def client_facts(request, *, device: str, ip: str | None, cookie: str, salt: str) -> ClientFacts:
    """The facts of `request`: its device cookie's age, its fingerprint, its address."""
    script = _FP_CHARS.sub("", str(request.POST.get(FP_FIELD, "")))[:200]
    meta = request.META
    parts = [meta.get("HTTP_USER_AGENT", "")[:300], meta.get("HTTP_ACCEPT_LANGUAGE", "")[:100]]
    parts += [meta.get(name, "")[:200] for name in HINT_HEADERS]
    parts.append(script)
    fingerprint = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    young = timedelta(minutes=get_setting("checkin_shared_minutes"))
    return ClientFacts(
        device=device,
        device_new=_cookie_is_young(request, name=cookie, salt=salt, span=young),
        ip=ip,
        fingerprint=fingerprint,
        label=_label(meta, script),
    )


def _cookie_is_young(request, *, name: str, salt: str, span: timedelta) -> bool:
    """Whether the device cookie was issued within `span` (or is missing or forged): the
    signed cookie carries its issue time, which `max_age` checks."""
    try:
        request.get_signed_cookie(name, salt=salt, max_age=span)
    except signing.SignatureExpired:
        return False  # issued before the span: a phone in use
    except (KeyError, signing.BadSignature):
        return True  # none, or not ours: made for this request
    return True


_IOS = re.compile(r"\((iPhone|iPad)[^)]*?OS (\d+)[_.](\d+)")
_ANDROID = re.compile(r"Android (\d+(?:\.\d+)?)(?:; ([^;)]+))?")
BROWSERS = (  # (marker in the user agent, key); the first found wins
    ("MicroMessenger", "wechat"),
    ("DingTalk", "dingtalk"),
    ("EdgA", "Edge"),
    ("Edg/", "Edge"),
    ("HuaweiBrowser", "Huawei"),
    ("MiuiBrowser", "MIUI"),
    ("UCBrowser", "UC"),
    ("QQBrowser", "QQ"),
    ("Firefox", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
)


def _label(meta, script: str) -> dict:
    agent = meta.get("HTTP_USER_AGENT", "")
    label = {}
    if match := _IOS.search(agent):
        label.update(model=match[1], os=f"iOS {match[2]}.{match[3]}")
    elif match := _ANDROID.search(agent):
        label["os"] = f"Android {match[1]}"
        if match[2] and match[2].strip() not in {"K", "wv"}:
            label["model"] = match[2].strip()[:40]
    elif "Windows" in agent:
        label["os"] = "Windows"
    elif "Mac OS X" in agent:
        label["os"] = "macOS"
    if model := meta.get("HTTP_SEC_CH_UA_MODEL", "").strip('" '):
        label["model"] = model[:40]
    if browser := next((key for marker, key in BROWSERS if marker in agent), None):
        label["browser"] = browser
    if screen := re.match(r"(\d{2,5})x(\d{2,5})", script):
        label["screen"] = f"{screen[1]}×{screen[2]}"
    if not agent:
        label["agent"] = "none"
    return label


# --- Checks other apps add (isolation: followup) -----------------------------------------


@dataclass(frozen=True)
class Finding:
    """What a point check found: a flag reason with its evidence, and whether the school
    refuses the check-in for it."""

    reason: str
    detail: dict
    refuse: bool = False


# Each is (person, point, now) → Finding or None; followup registers the isolation check.
PointCheck = Callable[[Person, CheckinPoint, datetime], "Finding | None"]
point_checks: list[PointCheck] = []


def point_findings(*, person: Person, point: CheckinPoint, now: datetime) -> list[Finding]:
    return [found for check in point_checks if (found := check(person, point, now))]


# --- The flags of one new check-in --------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    pk: int
    person_id: int
    device: str
    device_new: bool
    fingerprint: str
    day: object
    period: str
    point_id: int | None
    ip: str | None
    at: datetime


def phone_of(device: str, device_new: bool, fingerprint: str, pk: int = 0) -> str:
    """Which phone a check-in came from, as well as the server can tell: an established
    device cookie is one phone; otherwise the fingerprint (cleared cookies, a private tab,
    a script); a row with neither (before fingerprints) is a phone of its own."""
    if device and not device_new:
        return f"d:{device}"
    if fingerprint:
        return f"f:{fingerprint}"
    return f"d:{device}" if device else f"row:{pk}"


def honesty_flags(
    *,
    person: Person,
    point: CheckinPoint,
    window: Window,
    client: ClientFacts,
    opened: bool,
    now: datetime,
) -> list[tuple[str, dict, list[int]]]:
    """(reason, detail, other check-in ids to flag too) for one new check-in (R1.2).

    One query: the same device cookie in this window, or the same address at this point
    within the longer of the two spans (each side uses its own index).
    """
    flags: list[tuple[str, dict, list[int]]] = []
    if not opened:
        flags.append((Flag.Reason.NOT_OPENED, {}, []))
    device, ip = client.device, client.ip
    shared_span = timedelta(minutes=get_setting("checkin_shared_minutes", person.school_id))
    burst_span = timedelta(minutes=get_setting("checkin_burst_minutes", person.school_id))
    same_device = Q(device=device, day=window.day, period=window.period) if device else None
    same_address = (
        Q(point_id=point.pk, ip=ip, at__gte=now - max(shared_span, burst_span)) if ip else None
    )
    if same_device is None and same_address is None:
        return flags
    rows = [
        Seen(*values)
        for values in Checkin.objects.filter(
            (same_device or Q(pk__in=[])) | (same_address or Q(pk__in=[]))
        )
        .exclude(person_id=person.pk)
        .values_list(
            "pk",
            "person_id",
            "device",
            "device_new",
            "fingerprint",
            "day",
            "period",
            "point_id",
            "ip",
            "at",
        )
    ]
    if not rows:
        return flags
    here = [r for r in rows if ip and r.point_id == point.pk and r.ip == ip]

    # One phone, several accounts (case 4): the same device cookie in this window, or the
    # same fingerprint at this point and address within minutes where one of the two
    # cookies is brand new (cleared, or a private tab). Two established cookies with the
    # same fingerprint are two phones of one model (roommates with the same iPhone).
    by_cookie = [
        r
        for r in rows
        if device and r.device == device and (r.day, r.period) == (window.day, window.period)
    ]
    by_print = [
        r
        for r in here
        if client.fingerprint
        and r.fingerprint == client.fingerprint
        and r.device != device
        and (client.device_new or r.device_new)
        and r.at >= now - shared_span
    ]
    if shared := _unique(by_cookie + by_print):
        flags.append(
            (
                Flag.Reason.SHARED_DEVICE,
                _evidence(
                    client,
                    shared,
                    now,
                    person_id=person.pk,
                    point=point,
                    how="cookie" if by_cookie and not by_print else "fingerprint",
                    minutes=get_setting("checkin_shared_minutes", person.school_id),
                ),
                [r.pk for r in shared],
            )
        )

    # Paced bursts (case 5): on a sliding window, the accounts one phone sent from this
    # address. Honest crowds behind one address are many phones with an account each.
    mine = phone_of(device, client.device_new, client.fingerprint)
    burst = [
        r
        for r in here
        if r.at >= now - burst_span
        and phone_of(r.device, r.device_new, r.fingerprint, r.pk) == mine
    ]
    people = {r.person_id for r in burst}
    if burst and len(people) + 1 >= get_setting("checkin_burst_accounts", person.school_id):
        # Behind a busy address every check-in would otherwise re-flag all the others:
        # only those not flagged for this yet get a row.
        flagged = set(
            Flag.objects.filter(
                checkin_id__in=[r.pk for r in burst], reason=Flag.Reason.ADDRESS_BURST
            ).values_list("checkin_id", flat=True)
        )
        flags.append(
            (
                Flag.Reason.ADDRESS_BURST,
                _evidence(
                    client,
                    burst,
                    now,
                    person_id=person.pk,
                    point=point,
                    how="fingerprint" if mine.startswith("f:") else "cookie",
                    minutes=get_setting("checkin_burst_minutes", person.school_id),
                ),
                sorted({r.pk for r in burst} - flagged),
            )
        )
    return flags


def _unique(rows: list[Seen]) -> list[Seen]:
    seen, result = set(), []
    for row in rows:
        if row.pk not in seen:
            seen.add(row.pk)
            result.append(row)
    return result


def _evidence(
    client: ClientFacts,
    rows: list[Seen],
    now: datetime,
    *,
    person_id: int,
    point,
    how: str,
    minutes: int,
) -> dict:
    """What the reviewer reads (flag_list.evidence): the accounts and their times, the
    address, the phone as described by its browser, and how the phone was recognised."""
    times = sorted([(r.at, r.person_id) for r in rows] + [(now, person_id)], key=lambda t: t[0])
    return {
        "how": how,
        "ip": client.ip or "",
        "phone": client.label,
        "new_device": client.device_new,
        "minutes": minutes,
        "point": point.pk,
        "accounts": len({p for _at, p in times}),
        "people": list(dict.fromkeys(p for _at, p in times)),
        "first": times[0][0].isoformat(),
        "last": times[-1][0].isoformat(),
    }


def honesty_scan(checkins) -> dict[str, int]:
    """Re-run the shared-device and burst checks over stored check-ins (for an audit of
    imported or generated history): how many check-ins each would flag."""
    from collections import defaultdict

    from campuscode.core.rules import get_setting as rule

    span = rule("checkin_burst_minutes") * 60
    needed = rule("checkin_burst_accounts")
    devices: dict[tuple, set] = defaultdict(set)
    by_phone: dict[tuple, list] = defaultdict(list)
    rows = checkins.values_list(
        "pk",
        "person_id",
        "device",
        "device_new",
        "fingerprint",
        "day",
        "period",
        "point_id",
        "ip",
        "at",
    )
    for pk, person_id, device, new, fingerprint, day, period, point_id, ip, at in rows.iterator():
        if device:
            devices[(device, day, period)].add(person_id)
        if ip:
            by_phone[(point_id, ip, phone_of(device, new, fingerprint, pk))].append((at, person_id))
    shared = sum(len(people) for people in devices.values() if len(people) > 1)
    burst = 0
    for events in by_phone.values():
        events.sort()
        start = 0
        for end in range(len(events)):
            while (events[end][0] - events[start][0]).total_seconds() > span:
                start += 1
            if len({p for _at, p in events[start : end + 1]}) >= needed:
                burst += 1
    return {"shared_device": shared, "address_burst": burst}
