"""Health analysis on the demo school: summary refresh, today's dashboard, reports.

Loads the demo school (≈1,700 people, 30 days of check-ins and 3 of gate passages) into
a fresh database — a temporary SQLite file, and `cc_bench_analytics` on the local
PostgreSQL (created and dropped here) — then prints, median of 5 runs where repeated:

- refresh today+yesterday: the beat job every 10 minutes; refresh 31 days: a month rebuilt
- dashboard dept / school: `dashboard_for(user)` (the figures of today's dashboard, 14
  days) for the department admin T1002 and the health office T1004 (whole school), and
  the same as a page (`GET /analytics/`, server time through Django's test client)
- daily reports: `send_reports(period="daily")`, first run and a rerun (nothing new)

The 50,000-person, year-long figures come from bench/ of the `scale` work, which times
the same functions (see bench/README.md). Targets (issue 12): dashboard < 300 ms.

    .venv/bin/python bench/analytics_dashboard.py [--db sqlite postgres]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_analytics"


def median_ms(function, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def child() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from campuscode.analytics.reports import send_reports
    from campuscode.analytics.selectors import dashboard_for
    from campuscode.analytics.summaries import refresh_summaries
    from campuscode.core.demo import load_demo
    from campuscode.core.rules import set_setting

    load_demo()
    set_setting(key="session_require_second_factor", value=False)
    today = timezone.localdate()
    result = {
        "refresh_31_days_ms": median_ms(
            lambda: refresh_summaries(since=today - timedelta(days=30)), runs=1
        ),
        "refresh_recent_ms": median_ms(lambda: refresh_summaries(since=today - timedelta(days=1))),
    }
    client = Client()
    for label, number in (("dept", "T1002"), ("school", "T1004")):
        user = User.objects.get(person__number=number)
        result[f"dashboard_{label}_ms"] = median_ms(lambda user=user: dashboard_for(user))
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        client.get("/analytics/")  # warm
        result[f"page_{label}_ms"] = median_ms(lambda: client.get("/analytics/"))
    started = time.perf_counter()
    first = send_reports(period="daily", day=today - timedelta(days=4))
    result["reports_first_ms"] = round((time.perf_counter() - started) * 1000, 1)
    result["reports"] = len(first.reports)
    started = time.perf_counter()
    again = send_reports(period="daily", day=today - timedelta(days=4))
    result["reports_again_ms"] = round((time.perf_counter() - started) * 1000, 1)
    result["reports_again_new"] = again.created + again.notified
    print(json.dumps(result))


def fresh_database(db: str, folder: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{folder}/bench.sqlite3"
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS cc_bench_analytics")
        conn.execute("CREATE DATABASE cc_bench_analytics")
    return PG_URL


def drop_database(db: str) -> None:
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS cc_bench_analytics")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    print(
        f"{'db':<9}{'refresh 31 d':>13}{'refresh 2 d':>12}{'dash dept':>10}{'dash school':>12}"
        f"{'page dept':>10}{'page school':>12}{'reports':>9}{'again':>7}  (ms)"
    )
    for db in args.db:
        with tempfile.TemporaryDirectory(prefix="cc-bench-") as folder:
            url = fresh_database(db, folder)
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "CAMPUSCODE_DATA_DIR": folder,
                "DJANGO_FAST_PASSWORDS": "true",
            }
            subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True
            )
            output = subprocess.run(
                [sys.executable, __file__, "--child"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            drop_database(db)
        r = json.loads(output.strip().splitlines()[-1])
        print(
            f"{db:<9}{r['refresh_31_days_ms']:>13}{r['refresh_recent_ms']:>12}"
            f"{r['dashboard_dept_ms']:>10}{r['dashboard_school_ms']:>12}{r['page_dept_ms']:>10}"
            f"{r['page_school_ms']:>12}{r['reports_first_ms']:>9}{r['reports_again_ms']:>7}"
            f"  ({r['reports']} reports, rerun new: {r['reports_again_new']})"
        )


if __name__ == "__main__":
    main()
