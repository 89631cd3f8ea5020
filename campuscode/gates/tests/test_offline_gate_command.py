"""The `campuscode gate` command against a real HTTP server that is stopped and started:
it decides from its snapshot while the server is down, uploads its queue once it is
back (no duplicates), and refuses as "stale" when the snapshot is too old."""

import io
import json
import threading
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

from campuscode.codes.tokens import Colour
from campuscode.gates.client import GateClient
from campuscode.gates.models import GateEvent
from campuscode.gates.offline import OfflineVerifier
from campuscode.gates.tests.conftest import code_for
from campuscode.people.models import Person
from conftest import tamper

pytestmark = pytest.mark.django_db(transaction=True)


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class Server:
    """The project's WSGI app over real HTTP on 127.0.0.1, in a thread we can stop."""

    def __init__(self, port: int = 0):
        self.httpd = ThreadedWSGIServer(("127.0.0.1", port), Quiet, allow_reuse_address=True)
        self.httpd.set_app(WSGIHandler())
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def files(tmp_path):
    return {"snapshot_file": str(tmp_path / "snap.json"), "queue_file": str(tmp_path / "q.jsonl")}


def queued_events(files) -> list[dict]:
    return [json.loads(line) for line in Path(files["queue_file"]).read_text().splitlines()]


def gate_cmd(monkeypatch, action, lines=(), **options):
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    out, err = io.StringIO(), io.StringIO()
    # A stopped server refuses at once; the timeout only has to outlast a slow, loaded machine.
    call_command("gate", action, stdout=out, stderr=err, timeout=5.0, **options)
    return out.getvalue().splitlines()


def test_it_works_through_an_outage_and_uploads_once(
    monkeypatch, files, device_token, gate, tree, student, other_student
):
    suspended = tree.person("停学生", tree.cs_2501)
    Person.objects.filter(pk=suspended.pk).update(state="suspended")
    server = Server()
    options = {"server": server.url, "token": device_token, **files}
    try:
        gate_cmd(monkeypatch, "sync", **options)
        online = gate_cmd(monkeypatch, "run", [code_for(student)], **options)
        assert online == ["ALLOW ok 张*伟 · 计科2501班"]
    finally:
        server.stop()
    assert GateEvent.objects.count() == 1

    # The server is down: the gate decides alone, from its snapshot.
    bad = tamper(code_for(other_student))
    offline = gate_cmd(
        monkeypatch,
        "run",
        [code_for(other_student), code_for(student, Colour.RED), code_for(suspended), bad],
        **options,
    )
    # The gate's list holds only people this gate admits, by masked name: a suspended
    # student is not on it at all.
    assert offline == [
        "ALLOW ok 李* (offline)",
        "REFUSE red_status 张*伟 (offline)",
        "REFUSE not_on_list (offline)",
        "REFUSE bad_signature (offline)",
    ]
    assert all(event["token"] for event in queued_events(files))
    queued = queued_events(files)
    assert len(queued) == 4 and GateEvent.objects.count() == 1

    # Back on the same address: the queue goes up once, by nonce.
    server = Server(port=server.port)
    try:
        gate_cmd(monkeypatch, "sync", **options)
        assert GateEvent.objects.filter(source="offline").count() == 4
        assert Path(files["queue_file"]).read_text() == ""
        again = GateClient(server.url, device_token).upload(queued)
        assert again == {"stored": 0, "duplicates": 4, "unverified": 0}
    finally:
        server.stop()
    reasons = sorted(GateEvent.objects.filter(source="offline").values_list("reason", flat=True))
    assert reasons == ["bad_signature", "not_on_list", "ok", "red_status"]
    allowed = GateEvent.objects.get(source="offline", reason="ok")
    assert (allowed.person, allowed.allowed, allowed.unverified) == (other_student, True, "")
    assert not GateEvent.objects.exclude(unverified="").exists()


def test_an_older_snapshot_with_the_whole_school_is_removed_not_used(
    monkeypatch, files, device_token, student
):
    old = {"version": 1, "people": {str(student.pk): ["student", "/1/", "active", "green"]}}
    Path(files["snapshot_file"]).write_text(json.dumps(old))
    options = {"token": device_token, **files}
    assert gate_cmd(monkeypatch, "status", **options) == ["no snapshot"]
    assert not Path(files["snapshot_file"]).exists()
    assert gate_cmd(monkeypatch, "run", [code_for(student)], offline=True, **options) == [
        "REFUSE stale (offline)"
    ]


def test_it_refuses_as_stale_after_the_maximum_age(
    monkeypatch, files, device_token, student, time_machine
):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=True)
    server = Server()
    options = {"server": server.url, "token": device_token, **files}
    try:
        gate_cmd(monkeypatch, "sync", **options)
    finally:
        server.stop()
    time_machine.shift(239 * 60)
    assert gate_cmd(monkeypatch, "run", [code_for(student)], **options) == [
        "ALLOW ok 张*伟 (offline)"
    ]
    time_machine.shift(2 * 60)  # past the 240-minute default
    assert gate_cmd(monkeypatch, "run", [code_for(student)], **options) == [
        "REFUSE stale 张*伟 (offline)"
    ]
    status = gate_cmd(monkeypatch, "status", **options)
    assert "STALE" in status[0] and "degraded mode not allowed" in status[0]


def test_a_school_that_allows_degraded_mode_admits_valid_codes_flagged(
    monkeypatch, files, device_token, student, time_machine
):
    from campuscode.core.rules import set_setting

    set_setting(key="gate_degraded_mode", value=True)
    time_machine.move_to("2026-03-02 09:00 +0800", tick=True)
    server = Server()
    options = {"server": server.url, "token": device_token, **files}
    try:
        gate_cmd(monkeypatch, "sync", **options)
    finally:
        server.stop()
    time_machine.shift(5 * 3600)
    assert gate_cmd(monkeypatch, "run", [code_for(student)], **options) == [
        "ALLOW ok [degraded] 张*伟 (offline)"
    ]


def test_the_offline_verifier_checks_the_same_rules_as_the_server(gate, student):
    from campuscode.gates.selectors import build_snapshot

    verifier = OfflineVerifier(build_snapshot(gate=gate))
    token = code_for(student)
    assert verifier.decide(token, "in").reason == "ok"
    assert verifier.decide(token, "in").reason == "duplicate"
    assert verifier.decide("CC1.garbage", "in").reason == "malformed"
