"""Backup and restore of the demo school, on SQLite and PostgreSQL: backup time and size,
the verified restore (restore into a scratch database + every check), a full restore
over the live database (RTO), and the RPO.

Each database is loaded with the demo school (`campuscode demo --load-only`: ~900 people,
30 days of check-ins and gate passages) in a child process of its own, in a temporary
data folder; PostgreSQL uses `cc_bench_backup` on the local server (created and dropped).

    .venv/bin/python bench/backup_restore.py [--db sqlite postgres]

RPO: the data a failure can lose is what was written since the newest good backup. Right
after a backup that is the backup's own duration; at worst it is the school's period
(`backup_every_hours`, default 24 h) plus that duration, and the missed-backup alert fires
at the period plus `backup_missed_grace_hours`. Point-in-time recovery (pgBackRest, see
the README) brings the PostgreSQL RPO down to seconds.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_DB = "cc_bench_backup"

CHILD = r"""
import json, os, time
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

call_command("migrate", verbosity=0, interactive=False)
call_command("createcachetable", verbosity=0)
from campuscode.codes.keys import ensure_keyring
ensure_keyring()
from campuscode.core import demo
started = time.monotonic()
demo.load_demo()
load = time.monotonic() - started

from campuscode.backups.services import create_backup, restore_backup, engine
from campuscode.backups.verification import run_verified_restore

if engine() == "sqlite":
    db_bytes = os.path.getsize(connection.settings_dict["NAME"])
else:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        db_bytes = cursor.fetchone()[0]
result = create_backup(actor=None)
rpo_now = (timezone.now() - result.record.finished_at).total_seconds() + result.seconds
verification = run_verified_restore(path=result.path)
started = time.monotonic()
restore_backup(path=result.path, actor=None)
rto = time.monotonic() - started
print("RESULT " + json.dumps({
    "load": load,
    "db_bytes": db_bytes,
    "rows": sum(result.manifest["row_counts"].values()),
    "backup_s": result.seconds,
    "backup_bytes": result.size,
    "verify_state": verification.state,
    "verify_restore_s": verification.restore_seconds,
    "verify_total_s": verification.seconds,
    "restore_s": rto,
    "rpo_now_s": rpo_now,
}))
"""


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=5432, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(sql)


def run(kind: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="cc-bench-backup-") as data:
        env = {
            **os.environ,
            "CAMPUSCODE_DATA_DIR": data,
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        for name in ("REDIS_URL", "CAMPUSCODE_BACKUP_OFFSITE_DIR", "CAMPUSCODE_BACKUP_DIR"):
            env.pop(name, None)
        env.pop("CAMPUSCODE_BACKUP_RESTIC_REPOSITORY", None)
        env.pop("CAMPUSCODE_BACKUP_KEY_FILE", None)
        env.pop("CAMPUSCODE_KEYS_DIR", None)
        if kind == "postgres":
            _pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            _pg(f"CREATE DATABASE {PG_DB}")
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
        else:
            env.pop("DATABASE_URL", None)
        try:
            done = subprocess.run(
                [sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True
            )
        finally:
            if kind == "postgres":
                _pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        for line in done.stdout.splitlines():
            if line.startswith("RESULT "):
                return json.loads(line[7:])
        sys.exit(f"{kind}: the child failed:\n{done.stderr[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgres"])
    args = parser.parse_args()
    print(
        f"{'db':9} {'rows':>8} {'db MB':>7} {'backup s':>9} {'archive MB':>11} "
        f"{'verify s':>9} {'(restore s)':>11} {'restore s (RTO)':>16} {'RPO now s':>10}"
    )
    for kind in args.db:
        r = run(kind)
        print(
            f"{kind:9} {r['rows']:>8,} {r['db_bytes'] / 1e6:>7.1f} {r['backup_s']:>9.2f} "
            f"{r['backup_bytes'] / 1e6:>11.2f} {r['verify_total_s']:>9.2f} "
            f"{r['verify_restore_s']:>11.2f} {r['restore_s']:>16.2f} {r['rpo_now_s']:>10.1f}"
            + ("" if r["verify_state"] == "ok" else f"  verified restore: {r['verify_state']}"),
            flush=True,
        )
    print(
        "RPO at worst: backup_every_hours (default 24 h) + the backup time; "
        "alerted at backup_every_hours + backup_missed_grace_hours."
    )


if __name__ == "__main__":
    main()
