"""Presence evidence for a self-marked session (R1.2), the check-ins' ideas applied to a
room: the campus network, the browser that opened the code's link, and one phone marking
for several accounts. Kept on the mark as plain facts, with flags a reviewer reads; a
flag never refuses by itself (an honest student on mobile data must not lose the mark)."""

import time

from campuscode.attendance.models import Mark, Session
from campuscode.checkins.evidence import USER_AGENT_CHARS, binding_facts, network_facts, networks_of


class Flag:
    OFF_CAMPUS = "off_campus_network"
    FORM_MOVED = "form_moved"
    SHARED_DEVICE = "shared_device"


def binding(request, *, device: str, ip: str | None) -> dict:
    agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_CHARS]
    return {"device": device, "agent": agent, "ip": ip, "at": time.time()}


def _campus_id(session: Session) -> int | None:
    if session.unit_id is None:
        return None
    campus = session.unit.ancestor_of_kind("campus")
    return campus.pk if campus else None


def assess(*, session: Session, request, device: str, ip: str | None, opened, lag: int) -> dict:
    campus = _campus_id(session)
    network = network_facts(ip, networks_of(campus) if campus else ())
    sent = binding(request, device=device, ip=ip)
    bound = binding_facts(opened, sent)
    flags = []
    if network["configured"] and not network["inside"]:
        flags.append(Flag.OFF_CAMPUS)
    if bound["ok"] is False:
        flags.append(Flag.FORM_MOVED)
    others = list(
        Mark.objects.filter(session=session, device=device)
        .exclude(person__user=request.user)
        .values_list("person_id", flat=True)[:5]
    )
    if device and others:
        flags.append(Flag.SHARED_DEVICE)
    return {
        "network": network,
        "binding": bound,
        "token_lag": lag,
        "shared_with": others,
        "flags": flags,
    }
