"""The audit-chain key: a secret kept in a file outside the database (issue 8, hole 6).

Someone who can write the database but not read this file cannot recompute the audit
chain or a check-in's MAC, so a row they edit, insert or remove is found by
`campuscode verify-audit` / `campuscode verify-records`.

The file is `settings.AUDIT_KEY_FILE` when set (env `CAMPUSCODE_AUDIT_KEY_FILE`), else
`audit-chain.key` in the code-signing keys folder, read at call time (tests give each test
a folder of its own). It is made on first use: 32 random bytes as hex, mode 0600, in a
folder of mode 0700. Back it up with the signing keys and never change it: a new key
makes every keyed row and every check-in MAC fail to verify.
"""

import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path

from django.conf import settings

_lock = threading.Lock()
_cache: dict[Path, bytes] = {}


class AuditKeyMissing(Exception):
    """The key file is gone: keyed rows cannot be checked (restore it from the backup)."""


def key_path() -> Path:
    configured = getattr(settings, "AUDIT_KEY_FILE", None)
    return Path(configured) if configured else Path(settings.CODE_KEYS_DIR) / "audit-chain.key"


def audit_key(*, create: bool = True) -> bytes:
    path = key_path()
    if (key := _cache.get(path)) is not None:
        return key
    with _lock:
        if not path.exists():
            if not create:
                raise AuditKeyMissing(str(path))
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first: use theirs
                pass
            else:
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_hex(32) + "\n")
        key = bytes.fromhex(path.read_text().strip())
        if len(key) < 32:
            raise ValueError(f"{path}: the audit key must hold at least 32 bytes as hex")
        _cache[path] = key
        return key


def keyed_digest(purpose: bytes, body: bytes, *, create: bool = True) -> str:
    """HMAC-SHA256 of `body` under the audit key; `purpose` keeps the audit chain and
    the check-in MACs apart, so a value valid for one is never valid for the other."""
    return hmac.new(audit_key(create=create), purpose + b"\x00" + body, hashlib.sha256).hexdigest()


def forget() -> None:
    _cache.clear()
