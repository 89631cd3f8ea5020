"""Verified restores (R6.2 "restore is possible and verified"): the latest backup is
restored into a scratch database, checked, and the scratch database removed.

SQLite: a temporary file, written through the online backup API as a real restore is.
PostgreSQL: `<database>_verify`, created, filled by `pg_restore`, read, and dropped.

The checks, each recorded with its result (models.Check): the archive decrypts and every
checksum matches; same engine and a schema this code knows (the refusals of a restore);
the restore itself; integrity (SQLite `PRAGMA integrity_check`, PostgreSQL a clean
`pg_restore --exit-on-error` and every table read through); the applied migrations and
the row count of every table against the manifest; then, in a child process whose
settings point at the scratch copy and the unpacked keys (probe.py), campus codes issued
and verified with the restored keys and the audit chain verified against the restored
anchors: a restore into an empty installation would bring back a working site.
"""

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from campuscode.audit.actions import AuditAction
from campuscode.audit.services import log_action
from campuscode.backups.models import BackupRecord, Check, VerificationRecord
from campuscode.backups.progress import Progress, silent
from campuscode.backups.services import (
    _DB_MEMBER,
    BackupRefused,
    VerifyReport,
    _check_compatible,
    _latest_migrations,
    _pg_env,
    _pg_tools,
    _run,
    _sqlite_facts,
    _unpack,
    finish_record,
    latest_backup,
    row_count_problem,
    start_record,
)

PROBE_TIMEOUT = 600
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class Scratch:
    label: str
    url: str
    integrity: list[str]
    counts: dict[str, int]
    migrations: dict[str, str]


@contextlib.contextmanager
def _scratch_sqlite(dump: Path, folder: Path):
    target = folder / "scratch.sqlite3"
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    integrity, counts, migrations = _sqlite_facts(target)
    yield Scratch(
        _("a temporary SQLite file"), f"sqlite:///{target}", integrity, counts, migrations
    )


def _pg_params(dbname: str) -> dict:
    params = dict(connection.get_connection_params())
    params["dbname"] = dbname
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return params


def scratch_name() -> str:
    return f"{settings.DATABASES['default']['NAME']}_verify"[:63]


@contextlib.contextmanager
def _scratch_postgresql(dump: Path, folder: Path):
    import psycopg
    from psycopg import sql

    tools = _pg_tools("pg_restore")
    name = scratch_name()
    db = settings.DATABASES["default"]
    # CREATE/DROP DATABASE cannot run in a transaction: a connection of its own, in
    # autocommit, to the live database (any database serves to create another).
    with psycopg.connect(**_pg_params(db["NAME"]), autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        _run(
            [
                tools["pg_restore"],
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                name,
                str(dump),
            ],
            env=_pg_env(db),
        )
        counts, tables = {}, []
        with psycopg.connect(**_pg_params(name), autocommit=True) as scratch:
            tables = [
                row[0]
                for row in scratch.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
                )
            ]
            for table in tables:
                query = sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(table))
                counts[table] = scratch.execute(query).fetchone()[0]
            migrations = (
                _latest_migrations(
                    scratch.execute("SELECT app, name FROM django_migrations ORDER BY id")
                )
                if "django_migrations" in tables
                else {}
            )
        host = quote(str(db.get("HOST") or ""), safe="")
        auth = quote(str(db.get("USER") or ""), safe="")
        if db.get("PASSWORD"):
            auth += ":" + quote(str(db["PASSWORD"]), safe="")
        port = f":{db['PORT']}" if db.get("PORT") else ""
        url = f"postgres://{auth}@{host}{port}/{name}"
        yield Scratch(
            _("the scratch PostgreSQL database %(name)s") % {"name": name},
            url,
            ["ok"],
            counts,
            migrations,
        )
    finally:
        with psycopg.connect(**_pg_params(db["NAME"]), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _probe(scratch: Scratch, staging: Path, *, migrate: bool) -> dict:
    """Run probe.py in a child process pointed at the scratch copy and the unpacked keys."""
    env = dict(os.environ)
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "CAMPUSCODE_BACKUP_RESTIC_REPOSITORY"):
        env.pop(name, None)
    data_dir = staging / "probe-data"
    data_dir.mkdir(mode=0o700)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=scratch.url,
        CAMPUSCODE_DATA_DIR=str(data_dir),
        CAMPUSCODE_KEYS_DIR=str(staging / "keys"),
        CAMPUSCODE_AUDIT_KEY_FILE=str(staging / "audit" / "audit-chain.key"),
        CAMPUSCODE_ANCHOR_DIR=str(staging / "anchors"),
        CAMPUSCODE_BACKUP_DIR=str(data_dir / "backups"),
        CAMPUSCODE_BACKUP_OFFSITE_DIR="",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )
    args = [sys.executable, "-m", "campuscode.backups.probe"] + (["--migrate"] if migrate else [])
    try:
        done = subprocess.run(
            args,
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": _("The check of the restored copy did not finish in time.")}
    for line in done.stdout.splitlines():
        if line.startswith("PROBE "):
            return json.loads(line[len("PROBE ") :])
    return {"error": (done.stderr.strip() or done.stdout.strip())[-800:]}


def _compare_counts(expected: dict, counts: dict) -> list[str]:
    return [
        row_count_problem(table, expected.get(table), counts.get(table))
        for table in sorted(set(expected) | set(counts))
        if expected.get(table) != counts.get(table)
    ]


def run_verified_restore(
    *,
    actor=None,
    client_ip: str | None = None,
    trigger: str = "command",
    path: Path | None = None,
    record: VerificationRecord | None = None,
    progress=None,
) -> VerificationRecord:
    """Restore `path` (default: the newest backup) into a scratch database, check it,
    record and audit the result; alert when it fails. Never touches the live data."""
    progress = progress or silent
    started = time.monotonic()
    record = start_record(VerificationRecord, trigger=trigger, actor=actor, record=record)
    if isinstance(progress, Progress) and progress.record is None:
        progress.record = record
    checks: list[dict] = []

    def check(code: str, ok: bool, detail: str = "") -> bool:
        checks.append({"check": str(code), "ok": bool(ok), "detail": str(detail)[:2000]})
        return ok

    path = Path(path) if path else latest_backup()
    problem = ""
    fields: dict = {}
    try:
        if path is None or not path.is_file():
            problem = _("There is no backup to verify.")
        else:
            record.file = path.name
            record.backup = BackupRecord.objects.filter(file=path.name).order_by("-pk").first()
            record.save(update_fields=["file", "backup"])
            fields = _verify(path, check=check, progress=progress, record=record)
    except Exception as error:  # recorded and alerted, never lost: the job must report
        problem = str(getattr(error, "message", error))
    failed = [row for row in checks if not row["ok"]]
    if failed and not problem:
        problem = "; ".join(f"{Check(row['check']).label}: {row['detail']}" for row in failed)
    ok = not problem and bool(checks)
    finish_record(
        record,
        ok=ok,
        problem=problem,
        checks=checks,
        seconds=round(time.monotonic() - started, 3),
        step=_("Done"),
        **fields,
    )
    log_action(
        action=AuditAction.BACKUP_RESTORE_VERIFIED,
        actor=actor,
        client_ip=client_ip,
        data={
            "file": record.file,
            "ok": ok,
            "failed": [row["check"] for row in failed],
            "problem": problem[:500],
            "restore_seconds": record.restore_seconds,
            "record": record.pk,
        },
    )
    if not ok:
        from campuscode.backups.alerts import alert_failed_verification

        alert_failed_verification(record)
    return record


def _verify(path: Path, *, check, progress, record) -> dict:
    fields: dict = {}
    with tempfile.TemporaryDirectory(prefix="campuscode-verify-restore-") as staging:
        staging = Path(staging)
        progress(_("Decrypting the backup and checking every file"), 5)
        report = VerifyReport(path=path)
        try:
            _unpack(path, staging, report)
        except BackupRefused as refused:
            report.problems.append(refused.message)
        manifest = report.manifest or {}
        if not check(
            Check.ARCHIVE,
            report.ok,
            "; ".join(report.problems[:5])
            or _("%(count)s files") % {"count": len(manifest.get("checksums", {}))},
        ):
            return fields
        try:
            older = _check_compatible(manifest)
        except BackupRefused as refused:
            check(Check.COMPATIBLE, False, refused.message)
            return fields
        check(
            Check.COMPATIBLE,
            True,
            _("%(engine)s, version %(version)s")
            % {
                "engine": ENGINE_NAMES.get(manifest.get("engine"), manifest.get("engine")),
                "version": manifest.get("version"),
            },
        )
        dump = staging / _DB_MEMBER[manifest["engine"]]
        progress(_("Restoring into a scratch database"), 25)
        restore_started = time.monotonic()
        make = _scratch_sqlite if manifest["engine"] == "sqlite" else _scratch_postgresql
        try:
            scratch_context = make(dump, staging)
            scratch = scratch_context.__enter__()
        except Exception as error:
            check(Check.RESTORED, False, str(error))
            return fields
        try:
            fields["restore_seconds"] = round(time.monotonic() - restore_started, 3)
            fields["scratch"] = scratch.label[:300]
            check(
                Check.RESTORED,
                True,
                _("%(where)s in %(seconds).1f s")
                % {"where": scratch.label, "seconds": fields["restore_seconds"]},
            )
            progress(_("Checking the restored database"), 60)
            intact = scratch.integrity == ["ok"]
            check(
                Check.INTEGRITY,
                intact,
                _("No problem found") if intact else "; ".join(scratch.integrity[:5]),
            )
            same = scratch.migrations == manifest.get("migrations", {})
            if not same:
                detail = _("The backup's manifest and its database disagree about the migrations.")
            elif older:
                detail = _(
                    "%(apps)s apps; this code has newer migrations, applied after a restore "
                    "(campuscode migrate)"
                ) % {"apps": len(scratch.migrations)}
            else:
                detail = _("%(apps)s apps, as in the backup") % {"apps": len(scratch.migrations)}
            check(Check.MIGRATIONS, same, detail)
            problems = _compare_counts(manifest.get("row_counts", {}), scratch.counts)
            fields["tables"] = len(scratch.counts)
            fields["rows"] = sum(scratch.counts.values())
            check(
                Check.ROW_COUNTS,
                not problems,
                "; ".join(problems[:5])
                or _("%(tables)s tables, %(rows)s rows")
                % {"tables": fields["tables"], "rows": fields["rows"]},
            )
            progress(_("Checking campus codes and the audit chain in the restored copy"), 75)
            probe = _probe(scratch, staging, migrate=older)
        finally:
            scratch_context.__exit__(None, None, None)
        if "error" in probe:
            check(Check.CODES, False, probe["error"])
            check(Check.AUDIT_CHAIN, False, probe["error"])
            return fields
        codes = probe["codes"]
        if not codes["ok"]:
            detail = codes.get("problem") or _("Codes that fail: %(bad)s") % {
                "bad": codes.get("bad")
            }
        elif codes["checked"]:
            detail = _("%(checked)s codes issued and verified") % {"checked": codes["checked"]}
        else:
            detail = _("No active person yet: no code to check.")
        check(Check.CODES, codes["ok"], detail)
        audit = probe["audit"]
        check(
            Check.AUDIT_CHAIN,
            audit["ok"],
            _("%(checked)s entries, %(anchors)s signed anchors")
            % {"checked": audit["checked"], "anchors": audit["anchors"]}
            if audit["ok"]
            else _("Entry %(id)s: %(problem)s")
            % {"id": audit.get("broken_at"), "problem": audit.get("problem")},
        )
        progress(_("Done"), 100)
    return fields


def verification_due(*, now=None) -> bool:
    """Due when the last verified restore started longer ago than the school's period."""
    from datetime import timedelta

    from django.utils import timezone

    from campuscode.core.rules import get_setting

    now = now or timezone.now()
    last = VerificationRecord.objects.exclude(started_at=None).order_by("-started_at").first()
    every = timedelta(days=get_setting("backup_verify_every_days"))
    return last is None or now - last.started_at >= every - timedelta(minutes=5)


def run_scheduled_verification(*, now=None) -> VerificationRecord | None:
    """The beat job (hourly look): verify the newest backup when due and one exists."""
    if latest_backup() is None or not verification_due(now=now):
        return None
    return run_verified_restore(trigger="schedule")
