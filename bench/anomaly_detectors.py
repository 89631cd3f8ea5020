"""Anomaly detectors benchmark: a generated school with four weeks of check-ins (two
windows a day), 5 % of the people with a pattern each detector looks for; times each
registered detector, the first daily run (opening the cases) and a re-run (idempotent:
nothing opened). In a fresh SQLite database in a temporary folder (or DATABASE_URL).

    .venv/bin/python bench/anomaly_detectors.py [--people 2000]
"""

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DAYS = 28


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=2000)
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="cc-bench-anomalies-")
    os.environ.setdefault("CAMPUSCODE_DATA_DIR", data)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_FAST_PASSWORDS", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    run(args.people)


def run(n: int) -> None:
    from datetime import date, datetime, timedelta
    from decimal import Decimal

    import time_machine
    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from campuscode.anomalies import registry
    from campuscode.anomalies.models import AnomalyCase
    from campuscode.anomalies.services import run_detectors
    from campuscode.checkins.models import Checkin, CheckinPoint
    from campuscode.people.models import OrgUnit, Person, Role, RoleAssignment

    rng = random.Random(12)
    tz = timezone.get_default_timezone()
    today = date(2026, 3, 26)
    now = datetime.combine(today, datetime.min.time(), tzinfo=tz) + timedelta(hours=22, minutes=30)
    since = now - timedelta(days=DAYS + 30)
    school = OrgUnit.objects.create(kind="school", name="基准大学", code="BENCH")
    campus = OrgUnit.objects.create(parent=school, kind="campus", name="主校区")
    college = OrgUnit.objects.create(parent=campus, kind="college", name="计算机学院")
    classes = [
        OrgUnit.objects.create(parent=college, kind="class", name=f"计科{i:02d}班")
        for i in range(max(1, n // 50))
    ]
    for i, unit in enumerate(classes):
        adviser = User.objects.create_user(f"t{i}@BENCH", password="x")
        RoleAssignment.objects.create(user=adviser, role=Role.CLASS_ADVISER, org_unit=unit)
    health = User.objects.create_user("health@BENCH", password="x")
    RoleAssignment.objects.create(user=health, role=Role.HEALTH_OFFICE, org_unit=school)
    people = Person.objects.bulk_create(
        [
            Person(
                school=school,
                number=f"s{i:06d}",
                name=f"学生{i}",
                org_unit=classes[i % len(classes)],
                created_at=since,
            )
            for i in range(n)
        ]
    )
    Person.objects.update(created_at=since, updated_at=since)
    point = CheckinPoint.objects.create(campus=campus, building="一教", name="东门")
    patterns = ["absent", "afternoons", "script", "typed", "phone", "fever"]
    odd = {p.pk: patterns[k % len(patterns)] for k, p in enumerate(rng.sample(people, n // 20))}
    rows = []
    for person in people:
        pattern = odd.get(person.pk)
        usual = rng.gauss(36.45, 0.12)
        for offset in range(DAYS - 1, -1, -1):
            day = today - timedelta(days=offset)
            for period, hour in (("morning", 7), ("afternoon", 12)):
                if rng.random() < 0.03:
                    continue
                if pattern == "absent" and offset < 4:
                    continue
                if pattern == "afternoons" and period == "afternoon" and offset < 14:
                    continue
                at = datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(
                    hours=hour, seconds=rng.uniform(0, 10000)
                )
                temperature = Decimal(f"{min(max(rng.gauss(usual, 0.18), 35.9), 36.9):.1f}")
                device = f"d{person.pk}"
                if pattern == "script" and period == "morning":
                    at = datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(
                        hours=7, seconds=3
                    )
                    temperature = Decimal(f"{rng.uniform(36.0, 37.0):.1f}")
                if pattern == "typed":
                    temperature = Decimal("36.5")
                if pattern == "phone":
                    device = f"shared{person.pk % 3}"
                if pattern == "fever" and offset == 0:
                    temperature = Decimal("38.2")
                rows.append(
                    Checkin(
                        person=person,
                        point=point,
                        at=at,
                        day=day,
                        period=period,
                        temperature=temperature,
                        colour="green",
                        reason="normal",
                        via="screen",
                        device=device,
                        idempotency_key=f"{day}-{period}",
                    )
                )
    started = time.perf_counter()
    Checkin.objects.bulk_create(rows, batch_size=5000)
    print(
        f"{n} people, {len(rows)} check-ins over {DAYS} days "
        f"({connection.vendor}), inserted in {time.perf_counter() - started:.1f} s"
    )
    with time_machine.travel(now, tick=False):
        for detector in registry.detectors():
            started = time.perf_counter()
            hits = detector.detect(school_id=school.pk, now=now)
            print(
                f"  {detector.kind:16} {time.perf_counter() - started:6.2f} s  {len(hits):5d} hits"
            )
        started = time.perf_counter()
        first = run_detectors(now=now)
        print(
            f"first daily run: {time.perf_counter() - started:.2f} s, "
            f"{len(first.opened)} cases opened of {first.hits} hits"
        )
        started = time.perf_counter()
        again = run_detectors(now=now)
        print(
            f"re-run: {time.perf_counter() - started:.2f} s, {len(again.opened)} opened, "
            f"{again.extended} extended"
        )
    by_kind = {}
    for kind in AnomalyCase.objects.values_list("kind", flat=True):
        by_kind[kind] = by_kind.get(kind, 0) + 1
    planted = {p: sum(1 for v in odd.values() if v == p) for p in patterns}
    print(f"cases by kind: {by_kind}")
    print(f"planted patterns: {planted}")


if __name__ == "__main__":
    main()
