"""Demo: one check-in for each kind of honesty flag, made through the real services with
the facts a cheat would leave (another network, a far location, a moved form, one phone
for several accounts, a poster from home …), so the flags page shows each with its
evidence. Run by the check-ins demo after the history is loaded."""

import hashlib
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from campuscode.checkins import evidence as presence
from campuscode.checkins import honesty
from campuscode.checkins.models import Checkin, CheckinPoint, Codes, Via
from campuscode.checkins.services import Answers, submit_checkin
from campuscode.checkins.windows import windows_on
from campuscode.people.models import OrgUnit, Person

# The demo runs on this machine: its loopback is the campus network, with the usual
# private range of campus Wi-Fi. A check-in from anywhere else is off campus.
DEMO_NETWORKS = ["127.0.0.0/8", "::1/128", "10.0.0.0/8"]
HOME = "58.20.113.7"
WIFI = "10.20.3.1"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
ANDROID = "Mozilla/5.0 (Linux; Android 14; 23127PN0CC) AppleWebKit/537.36 Chrome/124.0 Mobile"


def _openings(campus: OrgUnit, now: datetime) -> list[tuple]:
    """(window, students with no check-in in it) for the closed morning windows of the last
    two weeks, most such students first: the examples go where the history left room."""
    students = Person.objects.active().filter(
        org_unit__path__startswith=campus.path, kind=Person.Kind.STUDENT, user__isnull=False
    )
    school_id = campus.school_id
    found = []
    day = timezone.localdate(now)
    for _ in range(14):
        for window in windows_on(day, kind=Person.Kind.STUDENT, school_id=school_id):
            if window.period == "morning" and window.end < now:
                checked = Checkin.objects.filter(day=window.day, period=window.period)
                free = list(
                    students.exclude(pk__in=checked.values("person_id")).order_by("number")[:12]
                )
                if free:
                    found.append((window, free))
        day -= timedelta(days=1)
    return sorted(found, key=lambda pair: -len(pair[1]))


def _answers() -> Answers:
    return Answers(temperature=Decimal("36.5"), symptoms=["none"], contact="none")


def load_flag_examples(*, school: OrgUnit, now: datetime) -> list[str]:
    campus = OrgUnit.objects.filter(
        kind=OrgUnit.Kind.CAMPUS, path__startswith=school.path, name="主校区"
    ).first()
    openings = _openings(campus, now) if campus is not None else []
    if not openings:
        return []
    presence.set_campus_networks(campus=campus, networks=DEMO_NETWORKS, user=None, client_ip=None)
    points = list(CheckinPoint.objects.filter(campus=campus, active=True).order_by("pk")[:2])
    if len(points) < 2:
        return []
    point, located = points
    # One point knows where it is: a phone's location is checked against it.
    located.latitude, located.longitude = Decimal("30.510000"), Decimal("114.400000")
    located.evidence_location, located.radius_m = True, 150
    located.codes = Codes.BOTH
    located.save(update_fields=["latitude", "longitude", "evidence_location", "radius_m", "codes"])
    # Each example takes a (window, student) the history left free; the three roommates
    # share the window with the most free students.
    slots = iter(
        [(w, p) for w, free in openings[1:] for p in free]
        + [(openings[0][0], p) for p in openings[0][1][3:]]
    )
    roommates = [(openings[0][0], p) for p in openings[0][1][:3]]

    def check_in(
        *,
        at_point=point,
        via=Via.SCREEN,
        client,
        agent=IPHONE,
        location=None,
        opened=None,
        page_opened=True,
        roommate=None,
        offset=0,
    ):
        slot = roommate or next(slots, None)
        if slot is None:
            return
        window, person = slot
        at = window.start + timedelta(minutes=25) + timedelta(seconds=40 * offset)
        sent = presence.binding_of(device=client.device, user_agent=agent, ip=client.ip, at=0)
        assessed = presence.assess(
            point=at_point,
            person_id=person.pk,
            ip=client.ip,
            location=location,
            opened=opened,
            sent=sent,
            now=at,
        )
        submit_checkin(
            person=person,
            point=at_point,
            answers=_answers(),
            via=via,
            idempotency_key=uuid.uuid4().hex,
            client=client,
            evidence=assessed,
            opened=page_opened,
            now=at,
        )

    def phone(ip, *, new=False, fingerprint=None):
        return honesty.ClientFacts(
            device=uuid.uuid4().hex,
            device_new=new,
            ip=ip,
            fingerprint=fingerprint or uuid.uuid4().hex[:16],
        )

    # A relay: the point's code sent to someone at home.
    check_in(client=phone(HOME))
    # Opened at the point, sent from home a few minutes later.
    moved = phone(HOME)
    opened = presence.binding_of(device=moved.device, user_agent=IPHONE, ip=WIFI, at=0)
    check_in(client=moved, opened=opened)
    # A location far from the point that knows where it is.
    check_in(
        at_point=located,
        client=phone(HOME),
        agent=ANDROID,
        location={"lat": 30.56, "lon": 114.45, "accuracy_m": 15.0},
    )
    # A printed poster used from home.
    check_in(at_point=located, via=Via.POSTER, client=phone(HOME), agent=ANDROID)
    # A script posting the form without ever opening the point's page, from campus.
    check_in(client=phone(WIFI), agent="python-requests/2.32", page_opened=False)
    # One phone, its cookies cleared between three roommates.
    if len(roommates) == 3:
        shared = hashlib.sha256(b"one phone, three roommates").hexdigest()[:16]
        for n, slot in enumerate(roommates):
            check_in(
                client=phone(WIFI, new=True, fingerprint=shared),
                agent=ANDROID,
                roommate=slot,
                offset=n,
            )
    return [
        "Honesty flags with their evidence (adviser T1001 or health office T1004): "
        "/checkins/flags/ — a relay from home, a form moved home, a far location, a poster "
        "from home, a form sent without opening the point, one phone for three roommates; "
        "campus networks: /checkins/networks/"
    ]
