"""Class attendance at scale (issue 12, R6.3/R6.4): the attendance summary rebuild, the
attendance panels and the consecutive-class-absence detector for a school of 50,000.

    .venv/bin/python bench/attendance_scale.py [--people 50000] [--days 28] [--repeats 5]
        [--keep] [--database-url postgres://postgres@127.0.0.1:5432/cc_bench_attendance]

1. Creates the database (dropped first), migrates it, writes the org tree and the people
   as bench/bigschool_data.py does (classes of 40 students, 10 % staff), then by COPY four
   class sessions a school day (Monday to Friday) for every class over `--days` days, all
   closed, and one sign-in mark per student and session: present 90 %, late 4 %, left
   early 1 %, absent 3 %, excused 2 %. One student in 500 is planted absent from their
   last three sessions (the detector must find each).
2. Times, through the project's code (median of `--repeats` after a warm-up):
   - `refresh_attendance` for today and yesterday (the beat job's range) and for a week
     (the nightly one);
   - the three attendance panels (contexts, as the dashboard renders them) over 14 days
     for one college and for the whole school, from the summary table;
   - the consecutive-class-absence detector over the whole school.
The database is dropped at the end unless `--keep`.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out" / "attendance"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_attendance"
STATUSES = [("present", 0.90), ("late", 0.04), ("left_early", 0.01), ("absent", 0.03)]
SLOTS = [(8, 0), (10, 0), (14, 0), (16, 0)]


def pick(rng: random.Random) -> str:
    roll = rng.random()
    for status, share in STATUSES:
        if roll < share:
            return status
        roll -= share
    return "excused"


def timed(fn, repeats: int) -> tuple[float, float]:
    """(cold seconds, median of `repeats` warm runs)."""
    tic = time.monotonic()
    fn()
    cold = time.monotonic() - tic
    runs = []
    for _n in range(repeats):
        tic = time.monotonic()
        fn()
        runs.append(time.monotonic() - tic)
    return cold, statistics.median(runs)


def generate(people: int, days: int, now: datetime) -> dict:
    from django.utils import timezone

    from bench.bigschool_data import Plan, _copy, _org_tree, _people
    from campuscode.attendance.models import Session

    rng = random.Random(7)
    plan = Plan(people=people, days=days)
    school, units = _org_tree(plan)
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    found = _people(plan, school, units, rng, since=first)
    students = [pk for pk, kind, _c, _d in found if kind == "student"]
    by_class: dict[int, list[int]] = {}
    for index, pk in enumerate(students):
        klass = units["classes"][index // 40 % len(units["classes"])][0]
        by_class.setdefault(klass, []).append(pk)
    zone = timezone.get_default_timezone()
    rows = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for hour, minute in SLOTS:
            start = datetime.combine(day, dtime(hour, minute), tzinfo=zone)
            if start + timedelta(minutes=100) > now:
                continue
            end = (start + timedelta(minutes=100)).isoformat()
            for klass in by_class:
                rows.append(
                    f"{school.school_id}\tclass\t课\t{start.isoformat()}\t{end}\t\t{klass}\t"
                    f"timetable\t{start.isoformat()}\t\t{end}\tjob\n"
                )
    columns = [
        "school_id", "kind", "title", "starts_at", "ends_at", "place", "unit_id", "origin",
        "created_at", "source_key", "closed_at", "closed_by",
    ]  # fmt: skip
    tic = time.monotonic()
    sessions = _copy("attendance_session", columns, rows)
    sessions_of: dict[int, list[tuple[int, datetime]]] = {}
    for pk, unit_id, starts_at in (
        Session.objects.filter(school_id=school.school_id)
        .order_by("starts_at", "pk")
        .values_list("pk", "unit_id", "starts_at")
    ):
        sessions_of.setdefault(unit_id, []).append((pk, starts_at))
    truants = set(rng.sample(students, max(3, people // 500)))

    def marks():
        for klass, pks in by_class.items():
            held = sessions_of.get(klass, [])
            for person in pks:
                for n, (session, starts_at) in enumerate(held):
                    planted = person in truants and n >= len(held) - 3
                    status = "absent" if planted else pick(rng)
                    at = starts_at.isoformat()
                    method = "auto_absent" if status == "absent" else "session_qr"
                    yield (
                        f"{session}\t{person}\t{status}\t\t{method}\tin\t\t{at}\t{at}\t\t\t{{}}\n"
                    )

    mark_columns = [
        "session_id", "person_id", "status", "leave_kind", "method", "direction", "point",
        "happened_at", "recorded_at", "device", "reason", "evidence",
    ]  # fmt: skip
    count = _copy("attendance_mark", mark_columns, marks())
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE attendance_session")
        cursor.execute("ANALYZE attendance_mark")
    return {
        "school": school,
        "sessions": sessions,
        "marks": count,
        "truants": truants,
        "copy s": time.monotonic() - tic,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        CAMPUSCODE_DATA_DIR=str(OUT / "data"),
    )
    os.environ.pop("REDIS_URL", None)
    from bench.bigschool import create_database, drop_database

    create_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    try:
        tic = time.monotonic()
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        print(f"migrate: {time.monotonic() - tic:.1f} s", flush=True)
        now = timezone.now()
        tic = time.monotonic()
        made = generate(args.people, args.days, now)
        print(
            f"{args.people:,} people, {made['sessions']:,} class sessions, "
            f"{made['marks']:,} marks over {args.days} days: "
            f"{time.monotonic() - tic:.1f} s (COPY {made['copy s']:.1f} s)",
            flush=True,
        )
        report(made, now, args.repeats, args.days)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.database_url)
    return 0


def report(made: dict, now, repeats: int, days: int) -> None:
    from django.utils import timezone

    from campuscode.analytics.panels import PanelScope
    from campuscode.analytics.summaries import refresh_attendance
    from campuscode.attendance import analysis
    from campuscode.attendance.anomalies import detect_class_absences
    from campuscode.people.models import OrgUnit

    school = OrgUnit.objects.get(pk=made["school"].school_id)
    college = OrgUnit.objects.get(pk=made["school"].college_ids[0])
    today = timezone.localdate(now)
    cold, warm = timed(lambda: refresh_attendance(today - timedelta(days=1), today, now=now), 2)
    print(f"refresh_attendance, today and yesterday: {cold:.2f} s cold, {warm:.2f} s")
    tic = time.monotonic()
    rows = refresh_attendance(today - timedelta(days=days - 1), today, now=now)
    print(f"refresh_attendance, all {days} days: {time.monotonic() - tic:.2f} s, {rows:,} rows")
    cold, warm = timed(lambda: refresh_attendance(today - timedelta(days=6), today, now=now), 1)
    print(f"refresh_attendance, a week (nightly): {cold:.2f} s cold, {warm:.2f} s")

    def panels(unit):
        scope = PanelScope(None, unit, today - timedelta(days=13), today)
        analysis.trend_context(scope)
        analysis.units_context(scope)
        analysis.status_context(scope)

    for label, unit in (("a college", college), ("the whole school", school)):
        cold, warm = timed(lambda unit=unit: panels(unit), repeats)
        print(
            f"attendance panels, 14 days, {label}: {1000 * cold:.0f} ms cold, "
            f"{1000 * warm:.0f} ms median"
        )
    hits = []

    def detect():
        hits[:] = detect_class_absences(school_id=school.pk, now=now)

    cold, warm = timed(detect, repeats)
    found = {hit.person_id for hit in hits}
    print(
        f"class-absence detector, whole school: {cold:.2f} s cold, {warm:.2f} s median; "
        f"{len(hits)} hits, planted {len(made['truants'])}, "
        f"all planted found: {made['truants'] <= found}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
