"""Backups that are proven by restoring (R6.2): make, verify and restore one archive.

An archive is one encrypted tar (`crypto.py`) holding everything needed to come back:

    database/campuscode.sqlite3   SQLite, copied through the online backup API (no downtime)
    database/campuscode.pgdump    or PostgreSQL, `pg_dump -Fc` of one snapshot
    media/…                       uploads (MEDIA_ROOT)
    keys/…                        the campus code signing keys (CODE_KEYS_DIR)
    audit/audit-chain.key         the audit-chain key (campuscode.audit.keys.key_path())
    anchors/…                     the signed anchors of the audit chain (ANCHOR_DIR)
    manifest.json                 version, latest migration per app, engine, row counts per
                                  table, SHA-256 of every other member (written last)

Verifying and restoring unpack into a private temporary folder first and check every
checksum there; nothing in the installation is touched until the whole archive is known
to be intact, of this engine and of a schema this code knows.
"""

import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campuscode.audit import keys as audit_keys
from campuscode.audit.actions import AuditAction
from campuscode.audit.services import log_action
from campuscode.backups import crypto
from campuscode.backups.progress import Progress, silent
from campuscode.codes import keys as code_keys

SUFFIX = ".ccbackup"
MANIFEST = "manifest.json"
FORMAT = 1
_ENGINES = {
    "django.db.backends.sqlite3": "sqlite",
    "django.db.backends.postgresql": "postgresql",
}
_DB_MEMBER = {"sqlite": "database/campuscode.sqlite3", "postgresql": "database/campuscode.pgdump"}
_COPY = 1 << 20


class Refusal(models.TextChoices):
    UNREADABLE = "unreadable", gettext_lazy("The backup cannot be read")
    DAMAGED = "damaged", gettext_lazy("The backup is damaged")
    OTHER_ENGINE = "other_engine", gettext_lazy("The backup is of another kind of database")
    NEWER_SCHEMA = "newer_schema", gettext_lazy("The backup is from a newer version of Campus Code")
    TOOLS_MISSING = "tools_missing", gettext_lazy("The PostgreSQL tools are not installed")
    IN_TRANSACTION = (
        "in_transaction",
        gettext_lazy("A backup cannot run inside a database transaction"),
    )


class BackupRefused(Exception):
    def __init__(self, reason: Refusal, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass
class BackupResult:
    path: Path
    size: int
    seconds: float
    manifest: dict
    record: object = None


@dataclass
class VerifyReport:
    path: Path
    manifest: dict | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class RestoreResult:
    path: Path
    seconds: float
    manifest: dict
    older_schema: bool


# ---------------------------------------------------------------------------- helpers


def engine() -> str:
    return _ENGINES.get(settings.DATABASES["default"]["ENGINE"], "unknown")


def app_version() -> str:
    try:
        return importlib.metadata.version("campuscode")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _pg_tools(*names: str) -> dict[str, str]:
    found = {name: shutil.which(name) for name in names}
    missing = [name for name, path in found.items() if not path]
    if missing:
        raise BackupRefused(
            Refusal.TOOLS_MISSING,
            _(
                "%(tools)s not found: install the PostgreSQL client tools "
                "(Debian/Ubuntu: apt-get install postgresql-client) and try again."
            )
            % {"tools": ", ".join(missing)},
        )
    return found


def _pg_env(db: dict) -> dict[str, str]:
    env = dict(os.environ)
    for var, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    return env


def _run(args: list[str], *, env: dict) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _latest_migrations(rows) -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in rows:  # ordered by id: the last one applied wins
        latest[app] = name
    return latest


class _Hashing:
    """Reads through a file, hashing what passes (tarfile.addfile reads each file once)."""

    def __init__(self, handle):
        self._handle = handle
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.sha.update(data)
        return data


def row_count_problem(table: str, expected, found) -> str:
    return _(
        "Table %(table)s: the backup's manifest says %(expected)s rows, the database holds %(found)s."
    ) % {
        "table": table,
        "expected": expected,
        "found": found,
    }


def _sqlite_facts(path: Path) -> tuple[list[str], dict[str, int], dict[str, str]]:
    """integrity_check's answer, row counts per table and migrations of a SQLite file."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        integrity = [row[0] for row in db.execute("PRAGMA integrity_check")]
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        # Table names come from the file's own catalogue, quoted.
        counts = {}
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            counts[table] = db.execute(f"SELECT COUNT(*) FROM {quoted}").fetchone()[0]  # noqa: S608
        migrations = (
            _latest_migrations(db.execute("SELECT app, name FROM django_migrations ORDER BY id"))
            if "django_migrations" in tables
            else {}
        )
    finally:
        db.close()
    return integrity, counts, migrations


# ---------------------------------------------------------------------------- backup


def _dump_sqlite(target: Path) -> tuple[dict[str, int], dict[str, str]]:
    # The online backup API copies a consistent snapshot while the site keeps writing.
    source = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=20)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    integrity, counts, migrations = _sqlite_facts(target)
    if integrity != ["ok"]:
        raise RuntimeError(f"the database copy fails its integrity check: {integrity[:5]}")
    return counts, migrations


def _dump_postgresql(target: Path) -> tuple[dict[str, int], dict[str, str]]:
    tools = _pg_tools("pg_dump")
    if connection.in_atomic_block:
        raise BackupRefused(
            Refusal.IN_TRANSACTION,
            _("A backup must run outside a database transaction (its snapshot must be its own)."),
        )
    db = settings.DATABASES["default"]
    # One snapshot for the counts and the dump: the manifest describes exactly the rows
    # the dump holds, however many check-ins arrive meanwhile.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        tables = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for table in tables:
            quoted = connection.ops.quote_name(table)  # a name from the catalogue
            cursor.execute(f"SELECT COUNT(*) FROM {quoted}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        migrations = _latest_migrations(cursor.fetchall())
        _run(
            [tools["pg_dump"], "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(target)],
            env=_pg_env(db),
        )
    return counts, migrations


def _folders() -> list[tuple[str, Path]]:
    return [
        ("media", Path(settings.MEDIA_ROOT)),
        ("keys", Path(settings.CODE_KEYS_DIR)),
        ("anchors", Path(settings.ANCHOR_DIR)),
    ]


def start_record(model, *, trigger: str, actor=None, record=None):
    """The row of a run about to start (a queued one from the page, or a new one)."""
    from campuscode.backups.models import State

    sweep_stale()
    now = timezone.now()
    if record is None:
        record = model(trigger=trigger, started_by=actor, created_at=now)
    record.state, record.started_at, record.heartbeat_at = State.RUNNING, now, now
    record.save()
    return record


def finish_record(record, *, ok: bool, problem: str = "", **fields) -> None:
    from campuscode.backups.models import State

    record.state = State.OK if ok else State.FAILED
    record.finished_at = timezone.now()
    record.problem = problem[:5000]
    record.percent = 100 if ok else record.percent
    for name, value in fields.items():
        setattr(record, name, value)
    record.save()


# A running job writes its progress at least this often; one silent for longer died with
# its process (a restart, a killed worker) and is marked failed so the page stops waiting.
STALE_AFTER = 3600


def sweep_stale() -> None:
    from campuscode.backups.models import BackupRecord, State, VerificationRecord

    cutoff = timezone.now() - timedelta(seconds=STALE_AFTER)
    for model in (BackupRecord, VerificationRecord):
        model.objects.filter(state=State.RUNNING, heartbeat_at__lt=cutoff).update(
            state=State.FAILED,
            finished_at=timezone.now(),
            problem=_("The job stopped without finishing (its process ended)."),
        )


def create_backup(
    *,
    actor,
    client_ip: str | None = None,
    target_dir: Path | None = None,
    trigger: str = "command",
    record=None,
    progress=None,
):
    """Write one encrypted archive into `target_dir` (default BACKUP_DIR) and audit it.

    The run is a BackupRecord from its start (progress for the status page); a failure
    marks it failed, is audited and raised again."""
    from campuscode.backups.models import BackupRecord

    progress = progress or silent
    started = time.monotonic()
    target_dir = Path(target_dir or settings.BACKUP_DIR)
    target_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    kind = engine()
    if kind == "unknown":
        raise BackupRefused(
            Refusal.OTHER_ENGINE, _("Only SQLite and PostgreSQL databases can be backed up.")
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    final = target_dir / f"campuscode-{stamp}-{kind}{SUFFIX}"
    record = start_record(BackupRecord, trigger=trigger, actor=actor, record=record)
    record.file, record.location, record.engine = final.name, str(target_dir), kind
    record.version = app_version()[:40]
    record.save(update_fields=["file", "location", "engine", "version"])
    if isinstance(progress, Progress) and progress.record is None:
        progress.record = record
    try:
        manifest = _write_archive(final=final, target_dir=target_dir, kind=kind, progress=progress)
    except Exception as error:
        problem = error.message if isinstance(error, BackupRefused) else str(error)
        finish_record(record, ok=False, problem=problem)
        log_action(
            action=AuditAction.BACKUP_FAILED,
            actor=actor,
            client_ip=client_ip,
            data={"file": final.name, "problem": problem[:500], "record": record.pk},
        )
        from campuscode.backups.alerts import alert_failed_backup

        alert_failed_backup(record)
        raise
    size = final.stat().st_size
    seconds = time.monotonic() - started
    finish_record(
        record,
        ok=True,
        size=size,
        seconds=round(seconds, 3),
        rows=sum(manifest["row_counts"].values()),
        step=_("Done"),
    )
    log_action(
        action=AuditAction.BACKUP_CREATED,
        actor=actor,
        client_ip=client_ip,
        data={"file": final.name, "bytes": size, "engine": kind, "seconds": round(seconds, 2)},
    )
    return BackupResult(path=final, size=size, seconds=seconds, manifest=manifest, record=record)


def _write_archive(*, final: Path, target_dir: Path, kind: str, progress) -> dict:
    key = crypto.backup_key(create=True)
    audit_key_file = audit_keys.key_path()
    audit_keys.audit_key()  # made on first use: a backup always carries it
    checksums: dict[str, str] = {}
    with tempfile.TemporaryDirectory(dir=target_dir, prefix=".making-") as scratch:
        dump = Path(scratch) / "db"
        progress(_("Copying the database"), 2)
        if kind == "sqlite":
            counts, migrations = _dump_sqlite(dump)
        else:
            counts, migrations = _dump_postgresql(dump)
        members = [(dump, _DB_MEMBER[kind])]
        for prefix, folder in _folders():
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.is_symlink() and path != audit_key_file:
                    members.append((path, f"{prefix}/{path.relative_to(folder).as_posix()}"))
        members.append((audit_key_file, "audit/audit-chain.key"))
        total = sum(path.stat().st_size for path, _name in members) or 1
        done = 0
        partial = Path(scratch) / "archive"
        with open(partial, "wb") as raw:
            writer = crypto.EncryptingWriter(raw, key=key)
            with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for number, (path, name) in enumerate(members, start=1):
                    info = tar.gettarinfo(str(path), arcname=name)
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    with open(path, "rb") as handle:
                        hashing = _Hashing(handle)
                        tar.addfile(info, hashing)
                    checksums[name] = hashing.sha.hexdigest()
                    done += info.size
                    progress(
                        _("Encrypting file %(number)s of %(total)s")
                        % {"number": number, "total": len(members)},
                        30 + 60 * done // total,
                    )
                manifest = {
                    "format": FORMAT,
                    "app": "campuscode",
                    "version": app_version(),
                    "created_at": timezone.now().isoformat(),
                    "engine": kind,
                    "file": final.name,
                    "migrations": migrations,
                    "row_counts": counts,
                    "checksums": checksums,
                }
                body = json.dumps(manifest, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(body), int(time.time()), 0o600
                tar.addfile(info, _BytesReader(body))
            writer.close()
        os.chmod(partial, 0o600)
        os.replace(partial, final)
    progress(_("Backup written"), 90)
    return manifest


class _BytesReader:
    def __init__(self, body: bytes):
        self._body, self._at = body, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._body) if size < 0 else self._at + size
        data, self._at = self._body[self._at : end], min(end, len(self._body))
        return data


# ---------------------------------------------------------------------------- verify


def _unpack(path: Path, staging: Path, report: VerifyReport) -> None:
    """Decrypt and unpack `path` into `staging`, checking every member against the
    manifest. Problems go into `report`; raises BackupRefused if it cannot be read."""
    try:
        key = crypto.backup_key(create=False)
    except crypto.BackupKeyMissing as missing:
        raise BackupRefused(
            Refusal.UNREADABLE,
            _(
                "The backup key %(file)s is missing: restore it from where you keep it apart "
                "from the backups (CAMPUSCODE_BACKUP_KEY_FILE)."
            )
            % {"file": missing},
        ) from None
    if not path.is_file():
        raise BackupRefused(Refusal.UNREADABLE, _("%(file)s does not exist.") % {"file": path})
    seen: dict[str, str] = {}
    manifest_body = None
    try:
        with open(path, "rb") as raw:
            reader = crypto.DecryptingReader(raw, key=key)
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for member in tar:
                    if not member.isfile():
                        report.problems.append(
                            _("Unexpected entry %(name)s in the archive.") % {"name": member.name}
                        )
                        continue
                    try:
                        tarfile.data_filter(member, str(staging))
                    except tarfile.FilterError:
                        report.problems.append(
                            _("Unsafe file name %(name)s in the archive.") % {"name": member.name}
                        )
                        continue
                    handle = tar.extractfile(member)
                    if member.name == MANIFEST:
                        manifest_body = handle.read()
                        continue
                    out = staging / member.name
                    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                    sha = hashlib.sha256()
                    with open(out, "wb") as sink:
                        while chunk := handle.read(_COPY):
                            sha.update(chunk)
                            sink.write(chunk)
                    seen[member.name] = sha.hexdigest()
    except crypto.BackupUnreadable as unreadable:
        raise BackupRefused(Refusal.UNREADABLE, str(unreadable)) from None
    except tarfile.TarError as broken:
        raise BackupRefused(
            Refusal.DAMAGED, _("The archive inside is damaged (%(error)s).") % {"error": broken}
        ) from None
    if manifest_body is None:
        raise BackupRefused(Refusal.DAMAGED, _("The archive has no manifest."))
    try:
        manifest = json.loads(manifest_body)
        expected: dict = manifest["checksums"]
    except (ValueError, KeyError, TypeError):
        raise BackupRefused(Refusal.DAMAGED, _("The archive's manifest is unreadable.")) from None
    report.manifest = manifest
    for name, digest in sorted(expected.items()):
        if name not in seen:
            report.problems.append(
                _("%(name)s is listed in the manifest but missing.") % {"name": name}
            )
        elif seen[name] != digest:
            report.problems.append(
                _("%(name)s does not match its checksum (it was changed).") % {"name": name}
            )
    for name in sorted(set(seen) - set(expected)):
        report.problems.append(
            _("%(name)s is in the archive but not in the manifest.") % {"name": name}
        )


def _check_database(staging: Path, report: VerifyReport) -> None:
    manifest = report.manifest
    kind = manifest.get("engine")
    member = _DB_MEMBER.get(kind)
    if member is None or not (staging / member).is_file():
        report.problems.append(_("The archive holds no database."))
        return
    if kind == "sqlite":
        integrity, counts, _migrations = _sqlite_facts(staging / member)
        if integrity != ["ok"]:
            report.problems.append(
                _("The database fails its integrity check: %(answer)s")
                % {"answer": "; ".join(integrity[:5])}
            )
            return
        expected = manifest.get("row_counts", {})
        for table in sorted(set(expected) | set(counts)):
            if expected.get(table) != counts.get(table):
                report.problems.append(
                    row_count_problem(table, expected.get(table), counts.get(table))
                )
    else:
        tools = _pg_tools("pg_restore")
        done = subprocess.run(
            [tools["pg_restore"], "--list", str(staging / member)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            report.problems.append(
                _("pg_restore cannot read the dump: %(error)s")
                % {"error": done.stderr.strip()[:500]}
            )


def verify_backup(*, path: Path, actor, client_ip: str | None = None) -> VerifyReport:
    """Decrypt `path`, check every checksum and the database inside; audit the result."""
    path = Path(path)
    report = VerifyReport(path=path)
    try:
        with tempfile.TemporaryDirectory(prefix="campuscode-verify-") as staging:
            _unpack(path, Path(staging), report)
            if report.ok:
                _check_database(Path(staging), report)
    except BackupRefused as refused:
        report.problems.append(refused.message)
    log_action(
        action=AuditAction.BACKUP_VERIFIED,
        actor=actor,
        client_ip=client_ip,
        data={"file": path.name, "ok": report.ok, "problems": report.problems[:10]},
    )
    return report


# ---------------------------------------------------------------------------- restore


def _migration_loader() -> MigrationLoader:
    return MigrationLoader(None, ignore_no_migrations=True)


def _check_compatible(manifest: dict) -> bool:
    """Refuse another engine or a newer schema; True when the archive's schema is older."""
    here, there = engine(), manifest.get("engine")
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    if there != here:
        raise BackupRefused(
            Refusal.OTHER_ENGINE,
            _(
                "This backup is of a %(there)s database and this installation uses %(here)s: "
                "restore it into a %(there)s installation. Nothing was changed."
            )
            % {"there": names.get(there, there), "here": names.get(here, here)},
        )
    loader = _migration_loader()
    known = set(loader.disk_migrations)
    unknown = sorted(
        f"{app}.{name}"
        for app, name in manifest.get("migrations", {}).items()
        if (app, name) not in known
    )
    if unknown:
        raise BackupRefused(
            Refusal.NEWER_SCHEMA,
            _(
                "This backup was made by a newer version of Campus Code (%(version)s; "
                "migrations this code does not know: %(unknown)s): upgrade first, then "
                "restore. Nothing was changed."
            )
            % {"version": manifest.get("version"), "unknown": ", ".join(unknown[:5])},
        )
    # Older when an app's last migration in the backup is not this code's last one:
    # the restored database then needs `campuscode migrate`.
    backed_up = manifest.get("migrations", {})
    return any(backed_up.get(app) != name for app, name in loader.graph.leaf_nodes())


def _restore_sqlite(dump: Path) -> None:
    target = Path(settings.DATABASES["default"]["NAME"])
    connections.close_all()
    # The backup API, run the other way, writes the verified copy into the live file under
    # SQLite's own locks and in one step: the WAL and readers stay consistent, and a failure
    # part-way leaves the old database as it was.
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    live = sqlite3.connect(target, timeout=20)
    try:
        source.backup(live)
    finally:
        live.close()
        source.close()


def _restore_postgresql(dump: Path) -> None:
    tools = _pg_tools("pg_restore")
    db = settings.DATABASES["default"]
    connections.close_all()
    _run(
        [
            tools["pg_restore"],
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",  # all or nothing
            "--dbname",
            str(db["NAME"]),
            str(dump),
        ],
        env=_pg_env(db),
    )


def _replace_folder(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        target.mkdir(parents=True, mode=0o700)


def restore_backup(*, path: Path, actor, client_ip: str | None = None) -> RestoreResult:
    """Bring the installation back to `path`: database, uploads, keys, anchors.

    Refuses (BackupRefused, nothing changed) a damaged archive, another engine's or a
    newer schema's; the audit entry is written into the restored database."""
    started = time.monotonic()
    path = Path(path)
    report = VerifyReport(path=path)
    with tempfile.TemporaryDirectory(prefix="campuscode-restore-") as staging:
        staging = Path(staging)
        _unpack(path, staging, report)
        if report.ok:
            older = _check_compatible(report.manifest)
            _check_database(staging, report)
        if not report.ok:
            raise BackupRefused(
                Refusal.DAMAGED,
                _("The backup is damaged, nothing was changed: %(problems)s")
                % {"problems": "; ".join(report.problems[:5])},
            )
        manifest = report.manifest
        dump = staging / _DB_MEMBER[manifest["engine"]]
        if manifest["engine"] == "sqlite":
            _restore_sqlite(dump)
        else:
            _restore_postgresql(dump)
        for prefix, folder in _folders():
            _replace_folder(staging / prefix, folder)
        key_file = audit_keys.key_path()
        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copyfile(staging / "audit" / "audit-chain.key", key_file)
        os.chmod(key_file, 0o600)
    audit_keys.forget()
    code_keys._cache.update(mtime=None, ring=None)
    _settle_restored_runs(manifest, path)
    seconds = time.monotonic() - started
    log_action(
        action=AuditAction.BACKUP_RESTORED,
        actor=actor,
        client_ip=client_ip,
        data={
            "file": path.name,
            "made_at": manifest.get("created_at"),
            "seconds": round(seconds, 2),
        },
    )
    return RestoreResult(path=path, seconds=seconds, manifest=manifest, older_schema=older)


def _settle_restored_runs(manifest: dict, path: Path) -> None:
    """The restored database holds the run that made this archive as still running (its
    row was written before the snapshot): it succeeded, or there would be no archive.
    Any other run it shows as running ended with the old installation."""
    from campuscode.backups.models import BackupRecord, State, VerificationRecord

    made = None
    with contextlib.suppress(TypeError, ValueError):
        made = datetime.fromisoformat(manifest.get("created_at"))
    BackupRecord.objects.filter(state=State.RUNNING, file=manifest.get("file") or path.name).update(
        state=State.OK, finished_at=made or timezone.now(), percent=100, size=path.stat().st_size
    )
    for model in (BackupRecord, VerificationRecord):
        model.objects.active().update(
            state=State.FAILED,
            finished_at=timezone.now(),
            problem=_("Interrupted: the installation was restored from a backup."),
        )


def latest_backup(folder: Path | None = None) -> Path | None:
    folder = Path(folder or settings.BACKUP_DIR)
    found = (
        sorted(folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime)
        if folder.is_dir()
        else []
    )
    return found[-1] if found else None


def describe(manifest: dict) -> str:
    made = manifest.get("created_at", "?")
    with contextlib.suppress(TypeError, ValueError):
        made = timezone.localtime(datetime.fromisoformat(made)).strftime("%Y-%m-%d %H:%M:%S")
    rows = sum(manifest.get("row_counts", {}).values())
    return f"made {made}, {manifest.get('engine')}, version {manifest.get('version')}, {rows} rows"


# ---------------------------------------------------------------------------- schedule


def _archives(folder: Path) -> list[Path]:
    folder = Path(folder)
    return (
        sorted(folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime)
        if folder.is_dir()
        else []
    )


def prune_backups(*, folder: Path, daily: int, weekly: int, monthly: int, now=None) -> list[Path]:
    """Keep the newest archive of each of the last `daily` days, `weekly` ISO weeks and
    `monthly` months (and always the newest); delete the rest. Returns what was deleted."""
    now = timezone.localtime(now)
    archives = _archives(folder)
    keep: set[Path] = set(archives[-1:])
    buckets = (
        (daily, lambda d: d.date(), lambda d: (now.date() - d.date()).days),
        (weekly, lambda d: d.isocalendar()[:2], lambda d: (now.date() - d.date()).days // 7),
        (
            monthly,
            lambda d: (d.year, d.month),
            lambda d: (now.year - d.year) * 12 + now.month - d.month,
        ),
    )
    for count, bucket_of, age_of in buckets:
        newest: dict = {}
        for path in archives:  # oldest first: the last one seen in a bucket is its newest
            made = timezone.localtime(datetime.fromtimestamp(path.stat().st_mtime, tz=UTC))
            if age_of(made) < count:
                newest[bucket_of(made)] = path
        keep.update(newest.values())
    deleted = [path for path in archives if path not in keep]
    for path in deleted:
        path.unlink()
    return deleted


def backup_due(*, now=None) -> bool:
    from campuscode.core.rules import get_setting

    now = now or timezone.now()
    newest = latest_backup()
    every = get_setting("backup_every_hours")
    return not (newest and now.timestamp() - newest.stat().st_mtime < every * 3600 - 300)


def run_scheduled_backup(
    *, now=None, force: bool = False, record=None, actor=None, trigger="schedule", progress=None
) -> BackupResult | None:
    """The beat job: back up when the newest archive is older than `backup_every_hours`
    (or `force`), copy it off-site, prune by the retention counts. None when not due."""
    from campuscode.backups import offsite
    from campuscode.backups.alerts import alert_offsite_failed
    from campuscode.backups.models import Offsite
    from campuscode.core.rules import get_setting

    now = now or timezone.now()
    if not force and not backup_due(now=now):
        return None
    progress = progress or silent
    result = create_backup(actor=actor, trigger=trigger, record=record, progress=progress)
    record = result.record
    if offsite.targets():
        record.offsite = Offsite.PENDING  # the page shows "not copied yet" meanwhile
        record.save(update_fields=["offsite"])
        progress(_("Copying off-site"), 92)
        ok, lines = offsite.copy_offsite(result.path)
        record.offsite = Offsite.COPIED if ok else Offsite.FAILED
        record.offsite_detail = "\n".join(lines)
        record.save(update_fields=["offsite", "offsite_detail"])
        log_action(
            action=AuditAction.BACKUP_COPIED_OFFSITE,
            actor=actor,
            data={"file": result.path.name, "ok": ok, "targets": lines[:5]},
        )
        if not ok:
            alert_offsite_failed(record)
    progress(_("Removing backups past the retention counts"), 97)
    keep = {
        "daily": get_setting("backup_keep_daily"),
        "weekly": get_setting("backup_keep_weekly"),
        "monthly": get_setting("backup_keep_monthly"),
    }
    folders = [Path(settings.BACKUP_DIR)]
    if settings.BACKUP_OFFSITE_DIR:
        folders.append(Path(settings.BACKUP_OFFSITE_DIR))
    deleted = []
    for folder in folders:
        deleted += prune_backups(folder=folder, now=now, **keep)
    if offsite.restic_configured() and record.offsite == Offsite.COPIED:
        try:
            offsite.forget_in_restic(**keep)
        except offsite.OffsiteError as error:
            record.offsite_detail += "\n" + str(error)
            record.save(update_fields=["offsite_detail"])
    if deleted:
        log_action(
            action=AuditAction.BACKUPS_PRUNED,
            actor=None,
            data={"files": [p.name for p in deleted][:50], "count": len(deleted)},
        )
    progress(_("Done"), 100)
    return result
