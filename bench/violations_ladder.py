"""Violations benchmark: with N decided cases in the school, the ladder's proposal (history,
range, similar decisions), the deciding office's case page, the consistency view and the
daily run (final, lifted, retired). In a fresh SQLite database in a temporary folder (or
DATABASE_URL).

    .venv/bin/python bench/violations_ladder.py [--cases 3000]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=3000, help="decided cases in the school")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="cc-bench-violations-")
    os.environ.setdefault("CAMPUSCODE_DATA_DIR", data)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_FAST_PASSWORDS", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    run(args.cases)


def _timed(fn, repeat=20):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def run(n: int) -> None:
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from campuscode.core.rules import set_setting
    from campuscode.people.models import OrgUnit, Person, Role, RoleAssignment
    from campuscode.violations import ladder, services
    from campuscode.violations.models import LADDER, Decision, ViolationCase, ViolationType
    from campuscode.violations.sources import Found

    set_setting(key="session_require_second_factor", value=False)
    school = OrgUnit.objects.create(kind="school", name="基准大学", code="BENCH")
    campus = OrgUnit.objects.create(parent=school, kind="campus", name="主校区")
    colleges = [
        OrgUnit.objects.create(parent=campus, kind="college", name=f"学院{i}") for i in range(8)
    ]
    classes = [
        OrgUnit.objects.create(parent=colleges[i % 8], kind="class", name=f"班{i:02d}")
        for i in range(40)
    ]
    people = Person.objects.bulk_create(
        [
            Person(school=school, number=f"s{i}", name=f"学生{i}", org_unit=classes[i % 40])
            for i in range(n)
        ]
    )
    now = timezone.now()
    types = ViolationType.values
    started = time.perf_counter()
    cases = ViolationCase.objects.bulk_create(
        [
            ViolationCase(
                school=school,
                person=p,
                unit=p.org_unit,
                vtype=types[i % 5],
                source="report",
                facts="基准",
                opened_at=now - timedelta(days=i % 700),
                notified_at=now - timedelta(days=i % 700),
                statement_due=now - timedelta(days=i % 700),
                decided_at=now - timedelta(days=i % 700),
                appeal_due=now - timedelta(days=i % 700 - 10),
                step=LADDER[i % 3],
                departed=i % 3 != 0,
                state="decided",
            )
            for i, p in enumerate(people)
        ]
    )
    Decision.objects.bulk_create(
        [
            Decision(
                case=c,
                step=c.step,
                proposed_step=LADDER[0],
                range_low=LADDER[0],
                range_high=LADDER[2],
                deviation_reason="情节" if c.step != LADDER[0] else "",
                reasons="基准",
                basis="基准",
                decided_at=c.decided_at,
            )
            for c in cases
        ]
    )
    print(f"{n} decided cases written in {time.perf_counter() - started:.1f} s")

    office = User.objects.create_user("office@BENCH", password="x")
    RoleAssignment.objects.create(user=office, role=Role.DISCIPLINE_OFFICE, org_unit=school)
    adviser = User.objects.create_user("adviser@BENCH", password="x")
    RoleAssignment.objects.create(user=adviser, role=Role.CLASS_ADVISER, org_unit=classes[0])
    target = people[0]
    found = Found(source="report", ref="", person=target, vtype="missed", summary=[])
    case = services.open_case(actor=adviser, found=found, vtype="missed", facts="基准").case
    services.send_notice(case=case, actor=office)

    with CaptureQueriesContext(connection) as queries:
        ladder.propose(case)
    median, worst = _timed(lambda: ladder.propose(case))
    print(f"ladder proposal: {median:.1f} ms median, {worst:.1f} ms worst, {len(queries)} queries")

    client = Client()
    client.force_login(office)
    assert client.get(f"/violations/{case.pk}/").status_code == 200
    median, worst = _timed(lambda: client.get(f"/violations/{case.pk}/"), repeat=10)
    print(f"office case page (HTTP): {median:.1f} ms median, {worst:.1f} ms worst")

    assert client.get("/violations/consistency/").status_code == 200
    median, worst = _timed(lambda: client.get("/violations/consistency/"), repeat=5)
    print(f"consistency view over {n} cases (HTTP): {median:.0f} ms median, {worst:.0f} ms worst")

    started = time.perf_counter()
    result = services.run_daily()
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = services.run_daily()
    print(
        f"daily run: {len(result.final)} final, {len(result.lifted)} lifted, "
        f"{len(result.archived)} retired in {first:.1f} s; re-run {time.perf_counter() - started:.2f} s "
        f"({len(again.final) + len(again.lifted) + len(again.archived)} changes)"
    )


if __name__ == "__main__":
    main()
