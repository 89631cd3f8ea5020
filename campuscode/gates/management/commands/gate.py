"""`campuscode gate`: a gate on a small PC with a scanner that types like a keyboard.

    campuscode gate sync --server URL --token T     fetch the snapshot, upload the queue
    campuscode gate run  --server URL --token T     read codes from stdin, one a line

`run` asks the server first; when it cannot be reached it decides from the snapshot
(offline.py) and queues the event, uploaded by nonce when the server is back. Each line
printed is `ALLOW <reason> [notice] <label>` or `REFUSE <reason> <label>`, then
`(offline)` for local decisions.
"""

import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campuscode.gates.client import GateClient, Offline, Refused
from campuscode.gates.offline import OfflineVerifier, OldSnapshot


def _write_json(path: Path, data) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False))
    os.replace(tmp, path)  # a crash mid-write never leaves half a file


class Command(BaseCommand):
    help = "Run a gate from the command line: online with an offline fallback."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["run", "sync", "status"], nargs="?", default="run")
        parser.add_argument("--server", default=os.environ.get("CAMPUSCODE_GATE_SERVER", ""))
        parser.add_argument("--token", default=os.environ.get("CAMPUSCODE_GATE_TOKEN", ""))
        parser.add_argument("--snapshot-file", default="gate-snapshot.json")
        parser.add_argument("--queue-file", default="gate-queue.jsonl")
        parser.add_argument("--direction", choices=["in", "out"], default="in")
        parser.add_argument(
            "--offline", action="store_true", help="Never ask the server; decide locally."
        )
        parser.add_argument("--timeout", type=float, default=3.0)
        parser.add_argument(
            "--sync-every", type=int, default=300, help="Seconds between snapshot refreshes."
        )

    def handle(self, *args, action, server, token, snapshot_file, queue_file, **options):
        if not token:
            raise CommandError("give --token (or CAMPUSCODE_GATE_TOKEN)")
        self.client = GateClient(server, token, timeout=options["timeout"]) if server else None
        self.snapshot_path = Path(snapshot_file)
        self.queue_path = Path(queue_file)
        self.verifier = None
        if action == "sync":
            ok = self.sync()
            if not ok:
                raise CommandError("the server could not be reached; the old snapshot stays")
            return
        self.load_snapshot()
        if action == "status":
            self.print_status()
            return
        self.run(options["direction"], offline_only=options["offline"], every=options["sync_every"])

    # --- snapshot and queue ------------------------------------------------------------
    def load_snapshot(self) -> None:
        if not self.snapshot_path.exists():
            return
        try:
            self.verifier = OfflineVerifier(json.loads(self.snapshot_path.read_text()))
        except OldSnapshot:
            # An older server's snapshot listed the whole school with health colours:
            # it is not kept. Until the next sync the gate refuses offline as `stale`.
            self.snapshot_path.unlink()
            self.stderr.write("an old snapshot format was removed; sync to fetch a new one")

    def queued(self) -> list[dict]:
        if not self.queue_path.exists():
            return []
        return [json.loads(line) for line in self.queue_path.read_text().splitlines() if line]

    def enqueue(self, event: dict) -> None:
        with self.queue_path.open("a") as handle:
            handle.write(json.dumps(event, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def upload_queue(self) -> dict | None:
        events = self.queued()
        if not events or self.client is None:
            return None
        result = {"stored": 0, "duplicates": 0, "unverified": 0}
        for start in range(0, len(events), 500):
            answer = self.client.upload(events[start : start + 500])
            for key in result:
                result[key] += answer.get(key, 0)
        # The server keeps each nonce once, so a crash between the upload and this
        # truncation only means the next upload counts them as duplicates.
        self.queue_path.write_text("")
        return result

    def sync(self) -> bool:
        if self.client is None:
            return False
        try:
            uploaded = self.upload_queue()
            snapshot = self.client.snapshot()
            _write_json(self.snapshot_path, snapshot)
            self.verifier = OfflineVerifier(snapshot)
            self.client.heartbeat(
                tampered=False, queue_length=len(self.queued()), software="campuscode-gate/1"
            )
        except Offline as error:
            self.stderr.write(f"offline: {error}")
            return False
        except Refused as error:
            raise CommandError(f"the server refused this gate: {error}") from None
        self.stderr.write(
            f"synced: {len(snapshot['people'])} people, {len(snapshot['keys'])} keys"
            + (
                f", uploaded {uploaded['stored']} (+{uploaded['duplicates']} known"
                f", {uploaded['unverified']} not confirmed by the server)"
                if uploaded
                else ""
            )
        )
        return True

    def print_status(self) -> None:
        if self.verifier is None:
            self.stdout.write("no snapshot")
            return
        age = self.verifier.age()
        self.stdout.write(
            f"snapshot age {age:.0f}s (max {self.verifier.max_age}s)"
            f"{' STALE' if self.verifier.is_stale() else ''}; "
            f"degraded mode {'allowed' if self.verifier.degraded_allowed else 'not allowed'}; "
            f"queued {len(self.queued())}"
        )

    # --- scanning ------------------------------------------------------------------------
    def run(self, direction: str, *, offline_only: bool, every: int) -> None:
        last_sync = 0.0
        for line in sys.stdin:
            code = line.strip()
            if not code:
                continue
            if not offline_only and time.monotonic() - last_sync > every:
                last_sync = time.monotonic()
                self.sync()
            self.stdout.write(self.scan(code, direction, offline_only=offline_only))
            self.stdout.flush()

    def scan(self, code: str, direction: str, *, offline_only: bool = False) -> str:
        nonce = uuid.uuid4().hex
        at = time.time()
        if self.client is not None and not offline_only:
            try:
                answer = self.client.verify(token=code, direction=direction, nonce=nonce)
                if self.queued():
                    self.upload_queue()
                return self._line(
                    answer["allowed"], answer["reason"], answer["notice"], answer["display"]
                )
            except Offline:
                pass
            except Refused as error:
                if error.status == 401:
                    raise CommandError("the server refused this gate's token") from None
                return self._line(False, "malformed", "", "")
        if self.verifier is None:  # never synced: nothing to decide with
            self.enqueue(self._event(nonce, code, direction, at, None, False, "stale", "", ""))
            return self._line(False, "stale", "", "", offline=True)
        decision = self.verifier.decide(code, direction, now=at)
        self.enqueue(
            self._event(
                nonce,
                code,
                direction,
                at,
                decision.person_id,
                decision.allowed,
                decision.reason,
                decision.notice,
                decision.colour,
            )
        )
        return self._line(
            decision.allowed, decision.reason, decision.notice, decision.label, offline=True
        )

    @staticmethod
    def _event(nonce, code, direction, at, person_id, allowed, reason, notice, colour) -> dict:
        # The code goes up with the event: the server re-verifies it before an allowed
        # passage counts (uploads.check_offline_event).
        return {
            "nonce": nonce,
            "token": code if len(code) <= 400 else "",
            "person_id": person_id,
            "direction": direction,
            "at": datetime.fromtimestamp(at, UTC).isoformat(),
            "allowed": allowed,
            "reason": str(reason),
            "notice": str(notice or ""),
            "colour": str(colour or ""),
        }

    @staticmethod
    def _line(allowed, reason, notice, label, *, offline=False) -> str:
        parts = ["ALLOW" if allowed else "REFUSE", str(reason)]
        if notice:
            parts.append(f"[{notice}]")
        if label:
            parts.append(label)
        if offline:
            parts.append("(offline)")
        return " ".join(parts)
