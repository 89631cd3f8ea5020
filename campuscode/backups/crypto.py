"""Encryption of backup archives at rest: AES-256-GCM in framed chunks, streamed.

A file is `MAGIC ‖ file id (8 random bytes)` followed by frames `length (4 bytes) ‖
ciphertext`. Each frame is one chunk of at most CHUNK bytes sealed with the nonce
`file id ‖ frame number` and, as associated data, the header, the frame number and a
"last frame" flag: a frame moved, dropped, swapped with another file's or a file cut
short after any frame is found when the file is read, never restored as if whole.
Memory stays at one chunk, whatever the database's size.

The key is 32 random bytes (hex) in `settings.BACKUP_KEY_FILE`, made 0600 in a 0700
folder by the first backup; it is never written into an archive.
"""

import os
import secrets
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils.translation import gettext as _

MAGIC = b"CCBACKUP1\n"
CHUNK = 1 << 20
_FRAME = struct.Struct(">I")


class BackupKeyMissing(Exception):
    """No backup key file: nothing can be decrypted."""


class BackupUnreadable(Exception):
    """Not a Campus Code backup, the wrong key, or a damaged or cut-short file."""


def key_path() -> Path:
    return Path(settings.BACKUP_KEY_FILE)


def backup_key(*, create: bool) -> bytes:
    path = key_path()
    if not path.exists():
        if not create:
            raise BackupKeyMissing(str(path))
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another backup made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    key = bytes.fromhex(path.read_text().strip())
    if len(key) != 32:
        raise BackupUnreadable(
            _("%(file)s: the backup key must be 32 bytes as hex.") % {"file": path}
        )
    return key


def _aad(header: bytes, number: int, last: bool) -> bytes:
    return header + struct.pack(">Q?", number, last)


class EncryptingWriter:
    """A write-only file object: what is written goes to `target` sealed in frames, so
    `tarfile` can stream an archive straight into an encrypted file."""

    def __init__(self, target: BinaryIO, *, key: bytes):
        self._aead = AESGCM(key)
        self._file_id = secrets.token_bytes(8)
        self._header = MAGIC + self._file_id
        self._target = target
        self._buffer = bytearray()
        self._number = 0
        self.size = 0
        target.write(self._header)

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        nonce = self._file_id + struct.pack(">I", self._number)
        sealed = self._aead.encrypt(nonce, chunk, _aad(self._header, self._number, last))
        self._target.write(_FRAME.pack(len(sealed)) + sealed)
        self._number += 1

    def write(self, data: bytes) -> int:
        self._buffer += data
        self.size += len(data)
        # Keep at least one byte back: the last frame must be sealed as the last.
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()


class DecryptingReader:
    """A read-only file object over `decrypt_stream`, for `tarfile` in stream mode."""

    def __init__(self, source: BinaryIO, *, key: bytes):
        self._chunks = decrypt_stream(source, key=key)
        self._buffer = b""
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        parts = []
        while size != 0:
            if self._at >= len(self._buffer):
                self._buffer, self._at = next(self._chunks, b""), 0
                if not self._buffer:
                    break
            take = (
                len(self._buffer) - self._at
                if size < 0
                else min(size, len(self._buffer) - self._at)
            )
            parts.append(self._buffer[self._at : self._at + take])
            self._at += take
            if size > 0:
                size -= take
        return b"".join(parts)


def decrypt_stream(source: BinaryIO, *, key: bytes) -> Iterator[bytes]:
    header = source.read(len(MAGIC) + 8)
    if len(header) != len(MAGIC) + 8 or not header.startswith(MAGIC):
        raise BackupUnreadable(_("This file is not a Campus Code backup."))
    aead = AESGCM(key)
    file_id = header[len(MAGIC) :]
    number = 0
    while True:
        size_bytes = source.read(_FRAME.size)
        if len(size_bytes) < _FRAME.size:
            raise BackupUnreadable(_("The file is cut short (its last part is missing)."))
        (size,) = _FRAME.unpack(size_bytes)
        if size > CHUNK + 16:
            raise BackupUnreadable(_("The file is damaged (a part has an impossible length)."))
        sealed = source.read(size)
        if len(sealed) < size:
            raise BackupUnreadable(_("The file is cut short (its last part is missing)."))
        nonce = file_id + struct.pack(">I", number)
        for last in (False, True):
            try:
                chunk = aead.decrypt(nonce, sealed, _aad(header, number, last))
            except InvalidTag:
                continue
            break
        else:
            raise BackupUnreadable(
                _(
                    "The file cannot be decrypted: it was made with another backup key, "
                    "or it has been damaged or changed."
                )
            )
        yield chunk
        if last:
            if source.read(1):
                raise BackupUnreadable(_("The file has data after its end (it was changed)."))
            return
        number += 1
