"""The off-site copy of each scheduled backup (R6.2: "stored off-site").

Two targets, either or both:

- a mounted folder (a NAS, another disk): `CAMPUSCODE_BACKUP_OFFSITE_DIR`, a plain copy
  renamed into place, so a half-copied file never looks like a backup;
- a restic repository: `CAMPUSCODE_BACKUP_RESTIC_REPOSITORY` (`sftp:user@host:/path`,
  `s3:https://host/bucket`, `rest:…`, or a local path) with its password in
  `CAMPUSCODE_BACKUP_RESTIC_PASSWORD_FILE`; S3 credentials come from the usual
  `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` variables, which restic reads itself.

Why restic rather than a storage library (boto3, paramiko): one maintained program, packaged
by Debian, speaks SFTP, S3-compatible storage (MinIO, 阿里云 OSS, 腾讯云 COS) and more with
the same commands; it writes each upload atomically, checks its repository (`restic
check`), keeps daily/weekly/monthly snapshots itself (`restic forget`) and encrypts again
with a password of its own, so the off-site copy is safe even if its storage is read. Our
archives are already encrypted with a random nonce, so restic's de-duplication saves
little between two archives; it is the transport, integrity and retention we use.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.utils.translation import gettext as _

TAG = "campuscode"


class OffsiteError(Exception):
    pass


def restic_configured() -> bool:
    return bool(settings.BACKUP_RESTIC_REPOSITORY)


def targets() -> list[str]:
    """Where copies go, as the status page shows them (no passwords)."""
    found = []
    if settings.BACKUP_OFFSITE_DIR:
        found.append(str(settings.BACKUP_OFFSITE_DIR))
    if restic_configured():
        found.append(f"restic {masked(settings.BACKUP_RESTIC_REPOSITORY)}")
    return found


def masked(repository: str) -> str:
    """A repository URL without the password a `rest:https://user:pw@host/` URL may carry."""
    kind, _colon, rest = repository.partition(":")
    if "://" in rest and "@" in rest:
        parts = urlsplit(rest)
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return f"{kind}:{urlunsplit(parts._replace(netloc=netloc))}"
    return repository


def _restic(*args: str, timeout: int | None = None) -> str:
    binary = shutil.which("restic")
    if binary is None:
        raise OffsiteError(_("restic is not installed: apt-get install restic"))
    if not settings.BACKUP_RESTIC_PASSWORD_FILE:
        raise OffsiteError(
            _("CAMPUSCODE_BACKUP_RESTIC_PASSWORD_FILE is not set: restic needs a password.")
        )
    env = dict(os.environ)
    env["RESTIC_REPOSITORY"] = settings.BACKUP_RESTIC_REPOSITORY
    env["RESTIC_PASSWORD_FILE"] = str(settings.BACKUP_RESTIC_PASSWORD_FILE)
    env.pop("RESTIC_PASSWORD", None)
    env.setdefault("RESTIC_CACHE_DIR", str(Path(settings.DATA_DIR) / "restic-cache"))
    try:
        done = subprocess.run(
            [binary, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OffsiteError(_("restic did not finish in time.")) from None
    if done.returncode != 0:
        raise OffsiteError(
            _("restic %(command)s failed: %(error)s")
            % {"command": args[0], "error": done.stderr.strip()[-800:]}
        )
    return done.stdout


def restic_init() -> None:
    """Create the repository (once, when setting up; `campuscode backup --offsite-init`)."""
    _restic("init")


def copy_to_restic(archive: Path) -> str:
    """Upload one archive as a snapshot; its id."""
    # The full path keeps each snapshot self-describing; --host keeps snapshots of one
    # school together even when the server is renamed.
    out = _restic("backup", "--json", "--tag", TAG, "--host", TAG, str(archive))
    for line in reversed(out.strip().splitlines()):
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("message_type") == "summary":
            return message.get("snapshot_id", "")
    raise OffsiteError(_("restic did not report a snapshot."))


def restic_snapshots() -> list[dict]:
    return json.loads(_restic("snapshots", "--json", "--tag", TAG) or "[]")


def fetch_from_restic(*, snapshot: str = "latest", target: Path) -> Path:
    """Restore a snapshot's archive into `target`; the archive's path."""
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    _restic("restore", snapshot, "--tag", TAG, "--target", str(target))
    found = sorted(target.rglob("*.ccbackup"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise OffsiteError(_("The restic snapshot holds no backup."))
    return found[-1]


def forget_in_restic(*, daily: int, weekly: int, monthly: int) -> None:
    keep = ["--keep-last", "1"]
    for flag, count in (
        ("--keep-daily", daily),
        ("--keep-weekly", weekly),
        ("--keep-monthly", monthly),
    ):
        if count:
            keep += [flag, str(count)]
    _restic("forget", "--tag", TAG, *keep, "--prune")


def copy_to_folder(archive: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = folder / f".{archive.name}.partial"
    shutil.copyfile(archive, partial)
    os.utime(partial, (archive.stat().st_atime, archive.stat().st_mtime))
    final = folder / archive.name
    os.replace(partial, final)  # a half-copied file never looks like a backup
    return final


def copy_offsite(archive: Path) -> tuple[bool | None, list[str]]:
    """Copy `archive` to every configured target: (None: no target, True: all copied,
    False: one failed) and a line per target for the record."""
    if not targets():
        return None, []
    ok, lines = True, []
    if settings.BACKUP_OFFSITE_DIR:
        try:
            copy_to_folder(archive, Path(settings.BACKUP_OFFSITE_DIR))
            lines.append(_("Folder %(folder)s: copied") % {"folder": settings.BACKUP_OFFSITE_DIR})
        except OSError as error:
            ok = False
            lines.append(
                _("Folder %(folder)s: %(error)s")
                % {"folder": settings.BACKUP_OFFSITE_DIR, "error": error}
            )
    if restic_configured():
        repository = masked(settings.BACKUP_RESTIC_REPOSITORY)
        try:
            snapshot = copy_to_restic(archive)
            lines.append(
                _("restic %(repository)s: snapshot %(snapshot)s")
                % {"repository": repository, "snapshot": snapshot[:8]}
            )
        except OffsiteError as error:
            ok = False
            lines.append(f"restic {repository}: {error}")
    return ok, lines
