"""Follow-up benchmark: the approval queue of a department with many pending requests,
bulk approval, the notices middleware's cost per page, and the isolation status provider's
cost per code refresh. In a fresh SQLite database in a temporary folder (or DATABASE_URL).

    .venv/bin/python bench/followup_queue.py [--requests 300]
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
    parser.add_argument("--requests", type=int, default=300, help="pending reports (and make-ups)")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="cc-bench-followup-")
    os.environ.setdefault("CAMPUSCODE_DATA_DIR", data)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_FAST_PASSWORDS", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    run(args.requests)


def run(n: int) -> None:
    from datetime import date, datetime, timedelta
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from campuscode.checkins.services import Answers
    from campuscode.codes.status import current_status
    from campuscode.followup import services
    from campuscode.followup.isolation import place_isolation
    from campuscode.people.models import OrgUnit, Person, Role, RoleAssignment

    school = OrgUnit.objects.create(kind="school", name="基准大学", code="BENCH")
    campus = OrgUnit.objects.create(parent=school, kind="campus", name="主校区")
    college = OrgUnit.objects.create(parent=campus, kind="college", name="计算机学院")
    classes = [
        OrgUnit.objects.create(parent=college, kind="class", name=f"计科{i:02d}班")
        for i in range(10)
    ]
    people = []
    for i in range(n):
        user = User.objects.create_user(f"s{i}@BENCH", password="x")
        people.append(
            Person.objects.create(
                school=school, number=f"s{i}", name=f"学生{i}", org_unit=classes[i % 10], user=user
            )
        )
    admin = User.objects.create_user("admin@BENCH", password="x")
    RoleAssignment.objects.create(user=admin, role=Role.DEPARTMENT_ADMIN, org_unit=college)
    health = User.objects.create_user("health@BENCH", password="x")
    RoleAssignment.objects.create(user=health, role=Role.HEALTH_OFFICE, org_unit=school)

    tz = timezone.get_default_timezone()
    now = datetime.combine(date.today(), datetime.min.time(), tzinfo=tz) + timedelta(hours=11)
    started = time.perf_counter()
    for person in people:
        services.file_advance_report(
            person=person,
            first_day=now.date() + timedelta(days=1),
            last_day=now.date() + timedelta(days=2),
            periods=["morning", "afternoon"],
            reason="bench",
            idempotency_key="r",
            now=now,
        )
        services.request_makeup(
            person=person,
            day=now.date(),
            period="morning",
            answers=Answers(temperature=Decimal("36.5"), symptoms=[]),
            reason="bench",
            idempotency_key="m",
            now=now,
        )
    filed = time.perf_counter() - started
    print(f"filed {n} advance reports + {n} make-ups: {2 * n / filed:.0f} requests/s")

    client = Client()
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    timings = []
    for _ in range(5):
        t = time.perf_counter()
        page = client.get("/followup/queue/")
        timings.append(time.perf_counter() - t)
    assert page.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get("/followup/queue/")
    print(
        f"queue page with {2 * n} pending: median {statistics.median(timings) * 1000:.0f} ms, "
        f"{len(queries)} queries"
    )

    from campuscode.followup.models import AdvanceReport, MakeupRequest

    items = [f"report:{pk}" for pk in AdvanceReport.objects.values_list("pk", flat=True)]
    items += [f"makeup:{pk}" for pk in MakeupRequest.objects.values_list("pk", flat=True)]
    t = time.perf_counter()
    response = client.post("/followup/queue/", {"items": items, "action": "approve"})
    took = time.perf_counter() - t
    assert response.status_code == 200
    decided = AdvanceReport.objects.filter(state="approved").count()
    decided += MakeupRequest.objects.filter(state="approved").count()
    print(
        f"bulk approval of {decided} requests in one POST: {took:.2f} s "
        f"({took / max(decided, 1) * 1000:.1f} ms each, incl. {n} make-up check-ins)"
    )

    # The notices middleware on an ordinary page, for a student and an approver.
    student = Client()
    student.force_login(people[0].user, backend="django.contrib.auth.backends.ModelBackend")
    student.get("/followup/")
    with CaptureQueriesContext(connection) as queries:
        student.get("/code/")
    mine = [q["sql"] for q in queries.captured_queries if "followup_" in q["sql"]]
    print(f"'my code' page for a student: {len(queries)} queries, {len(mine)} of them followup's")

    # The isolation status provider on every code refresh / gate scan.
    place_isolation(
        person=people[1],
        user=health,
        kind="isolation",
        place="bench",
        reason="bench",
        starts_on=now.date(),
        ends_on=now.date() + timedelta(days=13),
    )
    for person, label in ((people[1], "isolated"), (people[2], "not isolated")):
        t = time.perf_counter()
        for _ in range(500):
            status = current_status(person)
        each = (time.perf_counter() - t) / 500
        print(f"current_status ({label}, {status.colour}): {each * 1000:.2f} ms per call")


if __name__ == "__main__":
    main()
