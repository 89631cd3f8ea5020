"""Ed25519 signing keys for campus codes, kept in files outside the database (R2.1).

Layout of `settings.CODE_KEYS_DIR` (mode 0700):
  keyring.json   {"active": kid, "keys": {kid: {"created": iso, "retired": iso|null}}}
  <kid>.pem      the private key of kid (mode 0600)

A rotated key keeps verifying until it is retired; retired keys are unknown to verifiers.
"""

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils import timezone

_lock = threading.Lock()
_cache: dict = {"mtime": None, "ring": None}


@dataclass(frozen=True)
class KeyInfo:
    kid: str  # 8 hex characters: the first 4 bytes of the public key's SHA-256
    private: Ed25519PrivateKey | None
    public: Ed25519PublicKey
    created: str
    retired: str | None

    @property
    def public_bytes(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Keyring:
    active: str
    keys: dict[str, KeyInfo]

    def verifying(self) -> dict[str, KeyInfo]:
        return {kid: key for kid, key in self.keys.items() if not key.retired}

    @cached_property
    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        """kid → public key of every key that still verifies (a ring is never changed:
        a rotation or retirement loads a new one)."""
        return {kid: key.public for kid, key in self.verifying().items()}


def _dir() -> Path:
    return Path(settings.CODE_KEYS_DIR)


def _manifest_path() -> Path:
    return _dir() / "keyring.json"


def kid_for(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:8]


def _write_private(key: Ed25519PrivateKey) -> str:
    kid = kid_for(key.public_key())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = _dir() / f"{kid}.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return kid


def _write_manifest(manifest: dict) -> None:
    tmp = _manifest_path().with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(manifest, handle, indent=2)
    os.replace(tmp, _manifest_path())  # atomic: a reader never sees half a keyring
    _cache["mtime"] = None


def _read_manifest() -> dict:
    return json.loads(_manifest_path().read_text())


def ensure_keyring() -> None:
    """Create the key folder and a first key on first run, with safe permissions."""
    with _lock:
        _dir().mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(_dir(), 0o700)
        if _manifest_path().exists():
            return
        kid = _write_private(Ed25519PrivateKey.generate())
        _write_manifest(
            {"active": kid, "keys": {kid: {"created": timezone.now().isoformat(), "retired": None}}}
        )


def load_keyring() -> Keyring:
    if not _manifest_path().exists():
        ensure_keyring()
    mtime = _manifest_path().stat().st_mtime_ns
    if _cache["mtime"] == mtime and _cache["ring"] is not None:
        return _cache["ring"]
    manifest = _read_manifest()
    keys = {}
    for kid, meta in manifest["keys"].items():
        pem_path = _dir() / f"{kid}.pem"
        private = serialization.load_pem_private_key(pem_path.read_bytes(), password=None)
        keys[kid] = KeyInfo(
            kid, private, private.public_key(), meta["created"], meta.get("retired")
        )
    ring = Keyring(manifest["active"], keys)
    _cache.update(mtime=mtime, ring=ring)
    return ring


def rotate_key() -> str:
    """Make a new signing key active; the previous one keeps verifying."""
    ensure_keyring()
    with _lock:
        manifest = _read_manifest()
        kid = _write_private(Ed25519PrivateKey.generate())
        manifest["keys"][kid] = {"created": timezone.now().isoformat(), "retired": None}
        manifest["active"] = kid
        _write_manifest(manifest)
    return kid


def retire_key(kid: str) -> None:
    """Stop accepting codes signed by `kid`. The active key cannot be retired."""
    with _lock:
        manifest = _read_manifest()
        if kid not in manifest["keys"]:
            raise KeyError(kid)
        if manifest["active"] == kid:
            raise ValueError("rotate first: the active key cannot be retired")
        manifest["keys"][kid]["retired"] = timezone.now().isoformat()
        _write_manifest(manifest)
