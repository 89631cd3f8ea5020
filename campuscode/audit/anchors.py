"""Signed records of the audit chain kept outside the database (issue 8, hole 6).

Two kinds of file in `settings.ANCHOR_DIR` (mode 0700, files 0600), the folder the
backup / off-site copy takes:

- an anchor pins the head: the newest entry's id and hash, the number of entries, the
  time. Rows removed, edited or re-chained before an anchor are reported by
  `verify-audit` even by someone who holds the chain key, because the anchor's hash no
  longer matches the row (or the row is gone).
- a checkpoint is written by the retention purge: the first entry kept and the hash it
  links to, so verification starts there instead of at the genesis.

They are signed with the Ed25519 code-signing key (`campuscode.codes.keys`), not with
the chain's HMAC key: a public key verifies them, so an off-site copy can be checked
by someone who is not trusted with any secret, and whoever holds the copies cannot
forge one. The kid names the key; a rotated or retired key of the keyring still checks
its old anchors.
"""

import base64
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.utils import timezone

from campuscode.codes import keys

ANCHOR = "anchor"
CHECKPOINT = "checkpoint"


def anchor_dir() -> Path:
    return Path(settings.ANCHOR_DIR)


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Document:
    name: str
    kind: str = ""
    payload: dict = field(default_factory=dict)
    valid: bool = False

    @property
    def at(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.payload["at"])
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def row_id(self) -> int:
        """The entry the document is about: an anchor's head, a checkpoint's first kept."""
        value = self.payload.get("last_id" if self.kind == ANCHOR else "first_id")
        return value if isinstance(value, int) else 0


def write(kind: str, payload: dict) -> Document:
    """Sign `payload` with the active code-signing key and store it as a new file."""
    ring = keys.load_keyring()
    key = ring.keys[ring.active]
    body = {**payload, "kind": kind, "v": 1, "kid": key.kid}
    body["sig"] = base64.b64encode(key.private.sign(_canonical(body))).decode()
    folder = anchor_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
    document = Document(
        f"{kind}-{stamp}-{payload.get('last_id', payload.get('first_id', 0)):012d}.json"
    )
    fd = os.open(folder / document.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(body, handle, ensure_ascii=False, indent=1, sort_keys=True)
    document.kind, document.payload, document.valid = kind, body, True
    return document


def _read(path: Path) -> Document:
    document = Document(path.name)
    try:
        body = json.loads(path.read_text())
        signature = base64.b64decode(body.pop("sig"))
        key = keys.load_keyring().keys[body["kid"]]
        key.public.verify(signature, _canonical(body))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, InvalidSignature):
        return document  # unreadable, unsigned, signed by an unknown key, or altered
    document.kind, document.payload, document.valid = body.get("kind", ""), body, True
    return document


def load(kind: str | None = None, *, newest: int | None = None) -> list[Document]:
    """Every document in the folder (of `kind`, by its file name; only the `newest` few
    if given, for the audit page), oldest first; invalid ones have valid=False."""
    folder = anchor_dir()
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob(f"{kind}-*.json" if kind else "*.json"))
    if newest is not None:
        paths = paths[-newest:]
    documents = []
    for path in paths:
        document = _read(path)
        if kind is None or not document.valid or document.kind == kind:
            documents.append(document)
    return documents
