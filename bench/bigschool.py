"""Scale, measured (issue 12): a school of 50,000 people with a year of history on
PostgreSQL, and the time of what runs on it.

    .venv/bin/python bench/bigschool.py [--people 50000] [--days 365] [--gate-per-day 0.3]
        [--repeats 7] [--reuse] [--keep] [--skip-backup]
        [--database-url postgres://postgres@127.0.0.1:5432/cc_scale_big]

1. Creates the database (dropped first; `--reuse` keeps an earlier run's), migrates it and
   writes the school by COPY (bench/bigschool_data.py): ~36 million check-ins and gate
   events for the full size. `--people 5000 --days 60` tries it in a minute.
2. Times, in this process through the project's own code (median and p95 of `--repeats`
   runs after one untimed warm-up; the first, cold, run is printed too):
   - today's check-in lists for a department admin (one college) and for the whole school
     (health office): the selector's counts (checkins.selectors.roll), the 14-day trend
     (tally.trend) and the page over HTTP with a signed-in test client (server time);
   - the consecutive-miss detector over the whole school (anomalies.detectors), and that
     it finds the planted misses;
   - the analytics dashboards and a college's daily report, when that app is installed;
   - `campuscode backup` and `campuscode verify-backup`, then the restore drill: the
     database is dropped, created empty and `campuscode restore` brings the backup back;
     its row counts are compared with the manifest. Time and size of each.
Loopback only; every loop is bounded. The databases are dropped at the end unless `--keep`.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "bigschool"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cc_scale_big"
sys.path.insert(0, str(ROOT))


def admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts._replace(path="/postgres").geturl(), parts.path.lstrip("/")


def drop_database(url: str) -> None:
    import psycopg

    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_database(url: str) -> None:
    import psycopg

    drop_database(url)
    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def check_name(url: str) -> None:
    name = admin_url(url)[1]
    if name.startswith("test_") or name in ("postgres", "template0", "template1"):
        sys.exit(f"refusing to use the database {name!r}: give this bench a database of its own")


def cpu_seconds() -> float:
    """CPU time of this process and of its PostgreSQL backend: on a shared machine the
    wall time says more about the neighbours than about the code."""
    from django.db import connection

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:  # the server is on another machine
        server = 0.0
    return time.process_time() + server


def timed(fn, repeats: int) -> dict:
    """Cold (first) run, then `repeats` timed runs: median and p95 in milliseconds, and
    the median CPU time (this process and its database backend)."""
    tic = time.perf_counter()
    value = fn()
    cold = (time.perf_counter() - tic) * 1000
    runs, cpus = [], []
    for _ in range(repeats):
        cpu = cpu_seconds()
        tic = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - tic) * 1000)
        cpus.append((cpu_seconds() - cpu) * 1000)
    runs.sort()
    p95 = runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))]
    return {
        "cold": cold,
        "median": statistics.median(runs),
        "p95": p95,
        "cpu": statistics.median(cpus),
        "value": value,
    }


def line(label: str, result: dict, target: float | None = None) -> str:
    verdict = ""
    if target is not None:
        verdict = "  ok" if result["median"] <= target else f"  MISSES {target:,.0f} ms"
    return (
        f"{label:<58} median {result['median']:>9,.1f} ms  p95 {result['p95']:>9,.1f} ms"
        f"  cold {result['cold']:>9,.1f} ms  cpu {result['cpu']:>9,.1f} ms{verdict}"
    )


def sizes() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        found = {"database": cursor.fetchone()[0]}
        for table in ("checkins_checkin", "gates_gateevent", "people_person"):
            cursor.execute("SELECT pg_table_size(%s), pg_indexes_size(%s)", [table, table])
            found[f"{table} table"], found[f"{table} indexes"] = cursor.fetchone()
    return found


def gb(n: int) -> str:
    return f"{n / 1e9:,.2f} GB" if n >= 1e8 else f"{n / 1e6:,.1f} MB"


def staff(school) -> tuple:
    """A department admin over the first college and a health-office account over the
    whole school, as the demo grants them."""
    from django.contrib.auth.models import User

    from campuscode.core.rules import set_setting
    from campuscode.people.models import Role, RoleAssignment

    set_setting(key="session_require_second_factor", value=False)
    dept, _ = User.objects.get_or_create(username="bench-dept")
    whole, _ = User.objects.get_or_create(username="bench-school")
    RoleAssignment.objects.get_or_create(
        user=dept, role=Role.DEPARTMENT_ADMIN, org_unit_id=school.college_ids[0]
    )
    RoleAssignment.objects.get_or_create(
        user=whole, role=Role.HEALTH_OFFICE, org_unit_id=school.school_id
    )
    return dept, whole


def measure(
    school, *, repeats: int, results: dict, summary_days: int = 30, only: str | None = None
) -> None:
    from django.test import Client
    from django.utils import timezone

    from campuscode.checkins import selectors

    now = timezone.now()
    today = timezone.localdate(now)
    local = timezone.localtime(now)
    period = "afternoon" if local.hour >= 15 else "morning"
    dept, whole = staff(school)
    print(f"\n-- today's check-in lists ({today}, {period} window) --", flush=True)
    for label, user in (("department admin (one college)", dept), ("whole school", whole)):
        if only not in (None, "lists"):
            break

        def counts(user=user):
            result = selectors.roll(user=user, day=today, period=period)
            result.page_rows(result.rows[:50])
            return result.total

        found = timed(counts, repeats)
        total = found["value"]
        print(
            line(f"roll counts + first page, {label}", found, 300)
            + f"  [{total.expected:,} expected, {total.checked:,} checked, {total.missed:,} missed]",
            flush=True,
        )
        results[f"roll {label}"] = found
        trend = timed(lambda user=user: selectors.trend(user=user, end=today), repeats)
        print(line(f"14-day trend, {label}", trend, 300), flush=True)
        results[f"trend {label}"] = trend
        if hasattr(selectors.Roll, "day_totals"):
            # What the list page does: today comes from the roll's own count of the day.
            today_totals = selectors.roll(user=user, day=today, period=period).day_totals
            past = timed(
                lambda user=user, last=today_totals: selectors.trend(
                    user=user, end=today, last_day=last
                ),
                repeats,
            )
            print(line(f"  the same, today from the list's count, {label}", past), flush=True)
            results[f"trend past {label}"] = past
        client = Client()
        client.force_login(user)
        url = f"/checkins/lists/?day={today}&period={period}"

        def page(client=client, url=url):
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            return len(response.content)

        http = timed(page, repeats)
        print(line(f"GET /checkins/lists/ (page + trend), {label}", http, 300), flush=True)
        results[f"http {label}"] = http

    if only in (None, "detector"):
        detector(school, now=now, repeats=repeats, results=results)
    if only in (None, "analytics"):
        analytics(
            school,
            dept,
            whole,
            today=today,
            repeats=repeats,
            results=results,
            summary_days=summary_days,
        )


def detector(school, *, now, repeats: int, results: dict) -> None:
    from campuscode.anomalies.detectors import detect_missed_checkins

    print("\n-- consecutive-miss detector, whole school --", flush=True)
    hits = timed(
        lambda: detect_missed_checkins(school_id=school.school_id, now=now),
        max(1, min(repeats, 5)),
    )
    people = {h.person_id for h in hits["value"]}
    planted = set(school.missers)
    print(
        line("detect_missed_checkins", hits, 3000)
        + f"  [{len(hits['value'])} hits; planted {len(planted)}, found {len(planted & people)};"
        f" suspended reported {len(people & set(school.suspended))}]",
        flush=True,
    )
    results["detector"] = hits
    results["detector found planted"] = len(planted & people) == len(planted)
    # The detector before its bound (anomalies.detectors.could_miss): school_days over
    # everyone. Its hits must be the same.
    reference = timed(lambda: reference_hits(school.school_id, now), 1)
    same = sorted(reference["value"]) == sorted((h.person_id, h.days) for h in hits["value"])
    print(
        line("  the same over everyone (the detector before)", reference) + f"  [same hits: {same}]"
    )
    results["detector before"] = reference
    results["detector same hits"] = same


def reference_hits(school_id: int, now) -> list:
    from datetime import timedelta

    from django.utils import timezone

    from campuscode.anomalies.detectors import missed_runs, school_days
    from campuscode.core.rules import get_setting
    from campuscode.people.models import Person

    n = get_setting("anomaly_missed_days", school_id)
    last = timezone.localdate(now)
    first = last - timedelta(days=get_setting("anomaly_lookback_days", school_id) - 1)
    people = Person.objects.filter(school_id=school_id)
    states = school_days(people=people, first=first, last=last, now=now)
    return [(pk, run) for pk, days in states.items() for run in missed_runs(days, n)]


def analytics(school, dept, whole, *, today, repeats: int, results: dict, summary_days=30):
    """The analytics app's dashboards and daily report, when it is installed."""
    try:
        from bench.bigschool_analytics import measure_analytics
    except ImportError as error:
        print(f"\n-- analytics: skipped ({error}) --", flush=True)
        return
    measure_analytics(
        school,
        dept,
        whole,
        today=today,
        repeats=repeats,
        results=results,
        timed=timed,
        line=line,
        summary_days=summary_days,
    )


def backup(url: str, results: dict) -> None:
    """`campuscode backup`, `verify-backup`, then the database is dropped and the backup
    restored into an empty one (the restore drill), its row counts against the manifest."""
    from django.db import connection

    print("\n-- backup and verified restore --", flush=True)
    target = OUT / "backups"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    env = dict(os.environ)
    campuscode = str(ROOT / ".venv" / "bin" / "campuscode")
    connection.close()
    tic = time.monotonic()
    done = subprocess.run(
        [campuscode, "backup", "--to", str(target)], env=env, capture_output=True, text=True
    )
    seconds = time.monotonic() - tic
    if done.returncode:
        print(f"backup failed: {done.stderr[-2000:]}")
        return
    archive = max(target.glob("*"), key=lambda p: p.stat().st_mtime)
    results["backup s"], results["backup bytes"] = seconds, archive.stat().st_size
    print(f"campuscode backup: {seconds:,.1f} s, {gb(archive.stat().st_size)} ({archive.name})")
    tic = time.monotonic()
    done = subprocess.run(
        [campuscode, "verify-backup", str(archive)], env=env, capture_output=True, text=True
    )
    results["verify s"] = time.monotonic() - tic
    print(
        f"campuscode verify-backup: {results['verify s']:,.1f} s, exit {done.returncode}:"
        f" {done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]}"
    )
    # The drill of the issue: destroy, then restore into an empty database of the same
    # name. Dropping first also keeps the disk needed to one copy of the school.
    print(f"disk before the restore: {shutil.disk_usage(ROOT).free / 1e9:,.1f} GB free")
    create_database(url)
    restore_env = {**env, "CAMPUSCODE_DATA_DIR": str(OUT / "restored-data")}
    shutil.rmtree(OUT / "restored-data", ignore_errors=True)
    try:
        tic = time.monotonic()
        done = subprocess.run(
            [campuscode, "restore", str(archive), "--yes"],
            env=restore_env,
            capture_output=True,
            text=True,
        )
        results["restore s"] = time.monotonic() - tic
        print(
            f"campuscode restore into an empty database: {results['restore s']:,.1f} s,"
            f" exit {done.returncode} {done.stderr.strip()[-300:]}"
        )
        if done.returncode == 0:
            results["restored counts match"] = compare_counts(archive, env, url)
    finally:
        shutil.rmtree(OUT / "restored-data", ignore_errors=True)


def compare_counts(archive: Path, env: dict, scratch: str) -> bool:
    """Each table's rows in the restored database against the backup's manifest."""
    import psycopg

    code = (
        "import json, sys, tempfile, pathlib\n"
        "import django; django.setup()\n"
        "from campuscode.backups import services as s\n"
        "report = s.VerifyReport(path=pathlib.Path(sys.argv[1]))\n"
        "with tempfile.TemporaryDirectory() as d:\n"
        "    s._unpack(pathlib.Path(sys.argv[1]), pathlib.Path(d), report)\n"
        "print(json.dumps(report.manifest['row_counts']))\n"
    )
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", code, str(archive)],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode:
        print(f"could not read the manifest: {done.stderr[-500:]}")
        return False
    expected = json.loads(done.stdout.strip().splitlines()[-1])
    wrong = []
    with psycopg.connect(scratch) as conn:
        for table, rows in expected.items():
            found = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            # The restore writes its own audit entry into the restored database.
            if found != rows and not (table == "audit_auditentry" and found == rows + 1):
                wrong.append(f"{table}: {found} != {rows}")
    big = {t: expected.get(t) for t in ("checkins_checkin", "gates_gateevent", "people_person")}
    print(f"restored row counts against the manifest: {wrong if wrong else 'all match'}; {big}")
    return not wrong


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--gate-per-day", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/8",
        help="the cache, as in production (flushed first); '' for the database cache",
    )
    parser.add_argument("--reuse", action="store_true", help="measure an earlier run's data")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--skip-backup", action="store_true")
    parser.add_argument(
        "--only", choices=["lists", "detector", "analytics"], help="measure only this part"
    )
    parser.add_argument(
        "--summary-days", type=int, default=30, help="days of analytics summaries filled first"
    )
    args = parser.parse_args()
    check_name(args.database_url)
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        CAMPUSCODE_DATA_DIR=str(OUT / "data"),
        CAMPUSCODE_BACKUP_KEY_FILE=str(OUT / "data" / "keys-backup" / "backup.key"),
    )
    os.environ.pop("REDIS_URL", None)
    if args.redis_url:
        import redis

        # Cached notices and rules are keyed by school id: an earlier run's would be stale.
        redis.Redis.from_url(args.redis_url).flushdb()
        os.environ["REDIS_URL"] = args.redis_url
    print(f"disk before: {shutil.disk_usage(ROOT).free / 1e9:,.1f} GB free", flush=True)
    if not args.reuse:
        create_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    from bench.bigschool_data import Plan, School, generate

    state_file = OUT / f"{admin_url(args.database_url)[1]}.json"
    results: dict = {}
    try:
        if args.reuse:
            school = School(**json.loads(state_file.read_text()))
            print(f"reusing {args.database_url}: {school.checkins:,} check-ins")
            tic = time.monotonic()
            call_command("migrate", verbosity=0)  # this checkout's indexes, if new
            print(f"migrate: {time.monotonic() - tic:.1f} s", flush=True)
        else:
            tic = time.monotonic()
            call_command("migrate", verbosity=0)
            call_command("createcachetable", verbosity=0)
            print(f"migrate: {time.monotonic() - tic:.1f} s", flush=True)
            plan = Plan(
                people=args.people,
                days=args.days,
                seed=args.seed,
                gate_per_day=args.gate_per_day,
                bulk=True,
            )
            print(f"generating {plan.people:,} people × {plan.days} days ...", flush=True)
            school = generate(plan, verbose=True)
            state = {k: v for k, v in vars(school).items() if k != "miss_window_days"}
            state_file.write_text(json.dumps(state))
            for name, seconds in school.timings.items():
                print(f"  {name}: {seconds:,.1f}")
            rate = school.checkins / school.timings["total s"]
            print(
                f"generated {school.people:,} people, {school.checkins:,} check-ins,"
                f" {school.gate_events:,} gate events in {school.timings['total s']:,.0f} s"
                f" ({rate:,.0f} check-ins/s overall)",
                flush=True,
            )
        # What autovacuum does in production (this test server runs without it): without
        # statistics on the small tables (units, summaries) PostgreSQL planned nested
        # loops over tens of thousands of rows.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        for name, size in sizes().items():
            print(f"  size {name}: {gb(size)}")
        measure(
            school,
            repeats=args.repeats,
            results=results,
            summary_days=args.summary_days,
            only=args.only,
        )
        if not args.skip_backup and not args.only:
            backup(args.database_url, results)
        print(f"disk now: {shutil.disk_usage(ROOT).free / 1e9:,.1f} GB free", flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.database_url)
            shutil.rmtree(OUT / "backups", ignore_errors=True)
            print(f"dropped {admin_url(args.database_url)[1]}")
    ok = args.only not in (None, "detector") or (
        results.get("detector found planted") and results.get("detector same hits")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
