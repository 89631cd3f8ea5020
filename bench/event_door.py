"""Event door benchmark (issue 11, R2.5): a door scanner admitting 2,000 people.

1. Offline: the door's verifier (events/door.py DoorVerifier, the Python twin of
   static/events/door.js) deciding from its list, against the raw Ed25519 verification
   rate of this machine on the same codes. Target: >= 80 % (as for gates).
2. Online upload path: the 2,000 scans the door decided offline, uploaded over HTTP in
   batches of 500 (Django's test client: the whole middleware stack, session sign-in,
   no network), each re-verified by the server and marked through the attendance engine;
   then the same upload again (all duplicates). Prints scans/s and checks that every
   person has exactly one sign-in.
3. Online scans: 300 codes scanned one by one at the door (the same stack), scans/s.

    .venv/bin/python bench/event_door.py [--people 2000] [--database-url postgres://postgres@127.0.0.1:5432/cc_events_bench]

Runs in a temporary data folder (SQLite unless --database-url; that database is created
and dropped by the test-free `migrate` of a fresh name, so point it at a scratch one).
"""

import argparse
import base64
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def prepare(people: int):
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from django.contrib.auth.models import User
    from django.utils import timezone

    from campuscode.core.rules import set_setting
    from campuscode.events import services
    from campuscode.events.models import CheckPoint, Event
    from campuscode.people.models import OrgUnit, Person, Role, RoleAssignment

    set_setting(key="session_require_second_factor", value=False)
    school = OrgUnit.objects.create(kind="school", name="压测大学", code="BENCH")
    campus = OrgUnit.objects.create(parent=school, kind="campus", name="主校区")
    college = OrgUnit.objects.create(parent=campus, kind="college", name="计算机学院")
    klass = OrgUnit.objects.create(parent=college, kind="class", name="计科2501班")
    Person.objects.bulk_create(
        Person(school=school, number=f"2025{i:05d}", name=f"学生{i}", org_unit=klass)
        for i in range(people)
    )
    organiser = User.objects.create_user("organiser")
    RoleAssignment.objects.create(user=organiser, role=Role.EVENT_ORGANISER, org_unit=college)
    now = timezone.now()
    event = services.save_event(
        actor=organiser,
        client_ip=None,
        organiser_unit=college,
        fields={
            "title": "开学典礼",
            "audience": Event.Audience.UNITS,
            "capacity": None,
            "min_stay_minutes": 0,
        },
        units=[klass],
        sittings=[services.SittingTimes(now - timedelta(minutes=5), now + timedelta(hours=3))],
        points=[("正门", CheckPoint.Kind.BOTH)],
    )
    return organiser, event.points.get(), list(Person.objects.order_by("pk"))


def rate(fn, seconds: float) -> float:
    n, deadline, started = 0, time.perf_counter() + seconds, time.perf_counter()
    while time.perf_counter() < deadline:
        for i in range(200):
            fn(i + n)
        n += 200
    return n / (time.perf_counter() - started)


def offline_bench(point, tokens) -> tuple[float, float]:
    from campuscode.codes.tokens import PAYLOAD, PREFIX
    from campuscode.events.door import DoorVerifier, build_list

    verifier = DoorVerifier(build_list(point=point))
    raw_items = []
    for token in tokens:
        raw = base64.urlsafe_b64decode(token[len(PREFIX) :] + "==")
        payload, signature = raw[: PAYLOAD.size], raw[PAYLOAD.size :]
        raw_items.append((verifier.keys[payload[1:5].hex()], signature, payload))
    now = time.time()
    first = [verifier.decide(t, "in", now)[0] for t in tokens]
    assert first.count("ok") == len(tokens), "every listed person is admitted once"

    def raw_verify(i):
        key, signature, payload = raw_items[i % len(raw_items)]
        key.verify(signature, payload)

    def decide(i):
        verifier.decide(tokens[i % len(tokens)], "in", now)

    raws, decides = [], []
    for _round in range(8):  # alternating short rounds; the best of each resists noise
        raws.append(rate(raw_verify, 0.4))
        decides.append(rate(decide, 0.4))
    ratios = sorted(d / r for r, d in zip(raws, decides, strict=True))
    print(f"  median of paired round ratios: {ratios[len(ratios) // 2]:.1%}")
    return max(raws), max(decides)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="cc-event-bench-")
    os.environ.update(
        {
            "CAMPUSCODE_DATA_DIR": data,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_FAST_PASSWORDS": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    sys.path.insert(0, str(ROOT))
    organiser, point, people = prepare(args.people)
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from campuscode.attendance.models import Mark
    from campuscode.codes.tokens import issue_token
    from campuscode.events.models import DoorScan

    print(f"database: {connection.vendor}, people: {len(people)}, cores: {os.cpu_count()}")
    now = time.time()
    tokens = [issue_token(person=p, colour="green", now=now) for p in people]

    print("Offline door verifier (one core, in-process):")
    raw_rate, decide_rate = offline_bench(point, tokens)
    print(f"  raw Ed25519 verify   {raw_rate:10.0f} /s")
    print(f"  offline decisions    {decide_rate:10.0f} /s")

    client = Client()
    client.force_login(organiser, backend="django.contrib.auth.backends.ModelBackend")
    at = timezone.now().isoformat()
    items = [
        {
            "nonce": uuid.uuid4().hex,
            "token": token,
            "person_id": person.pk,
            "direction": "in",
            "at": at,
            "ok": True,
            "reason": "ok",
        }
        for token, person in zip(tokens, people, strict=True)
    ]
    url = f"/events/points/{point.pk}/door/upload"
    started = time.perf_counter()
    for first in range(0, len(items), 500):
        response = client.post(url, {"events": items[first : first + 500]}, "application/json")
        assert response.status_code == 200, response.content[:200]
    upload_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for first in range(0, len(items), 500):
        again = client.post(url, {"events": items[first : first + 500]}, "application/json")
        assert again.json()["duplicates"] == len(items[first : first + 500])
    again_seconds = time.perf_counter() - started
    marks = Mark.objects.filter(direction="in").count()
    people_marked = Mark.objects.values("person").distinct().count()
    print("Online upload path (HTTP in-process, batches of 500):")
    print(
        f"  {len(items)} offline scans uploaded in {upload_seconds:.1f} s "
        f"({len(items) / upload_seconds:.0f} scans/s); again (all duplicates) in "
        f"{again_seconds:.1f} s ({len(items) / again_seconds:.0f} scans/s)"
    )
    print(
        f"  sign-ins: {marks} for {people_marked} people (exactly one each: "
        f"{'yes' if marks == people_marked == len(people) else 'NO'}); "
        f"door scans stored: {DoorScan.objects.count()}"
    )

    print("Online scans at the door (HTTP in-process, one by one):")
    Mark.objects.all().delete()
    sample = [issue_token(person=p, colour="green") for p in people[:300]]
    started = time.perf_counter()
    for token in sample:
        answer = client.post(
            f"/events/points/{point.pk}/door/scan",
            {"token": token, "direction": "in", "nonce": uuid.uuid4().hex},
            "application/json",
        ).json()
        assert answer["reason"] == "ok", answer
    seconds = time.perf_counter() - started
    print(
        f"  300 scans in {seconds:.1f} s ({300 / seconds:.0f} scans/s, {seconds * 1000 / 300:.1f} ms each)"
    )
    print()
    print(
        f"offline door decisions / raw Ed25519 = {decide_rate / raw_rate:6.1%}  "
        f"({decide_rate:.0f} vs {raw_rate:.0f} /s; target >= 80%)"
    )


if __name__ == "__main__":
    main()
