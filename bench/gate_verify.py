"""Gate benchmarks (issue 5). Prints two ratios:

1. The verify API's throughput over HTTP against a hello-world view of the same stack
   (gunicorn, the same middleware, the same database), measured in the same run with the
   same bounded load generator. Target: >= 70 %. Beside it, the same for a bare
   hand-written "floor" view doing only the work a verify cannot skip (bench/gate_urls.py).
2. The offline verifier's decisions per second against the raw Ed25519 verification rate
   of this machine (the same tokens). Target: >= 80 %.

    .venv/bin/python bench/gate_verify.py [--seconds 8] [--threads 8] [--workers 2]
        [--server-threads 4] [--history 100000] [--database-url postgres://postgres@127.0.0.1:5432/cc_gates_bench]

Everything runs on 127.0.0.1 in a temporary data folder; each load phase stops by itself.
"""

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(people: int, history: int = 0):
    """Migrate the temporary database and create a school, people and one gate, with
    `history` earlier scans at its place (a gate's log grows by thousands a day)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from campuscode.codes.tokens import Colour, issue_token
    from campuscode.gates.models import Place
    from campuscode.gates.services import register_gate
    from campuscode.people.models import OrgUnit, Person

    school = OrgUnit.objects.create(kind="school", name="压测大学", code="BENCH")
    campus = OrgUnit.objects.create(parent=school, kind="campus", name="主校区")
    college = OrgUnit.objects.create(parent=campus, kind="college", name="计算机学院")
    klass = OrgUnit.objects.create(parent=college, kind="class", name="计科2501班")
    Person.objects.bulk_create(
        Person(school=school, number=f"2025{i:05d}", name=f"学生{i}", org_unit=klass)
        for i in range(people)
    )
    place = Place.objects.create(campus=campus, name="南门", kind="campus_gate")
    gate, device_token = register_gate(place=place, name="南门闸机1")
    persons = list(Person.objects.all())
    if history:
        from datetime import timedelta

        from django.utils import timezone

        from campuscode.gates.models import GateEvent

        start = timezone.now() - timedelta(days=30)
        for first in range(0, history, 10_000):
            GateEvent.objects.bulk_create(
                GateEvent(
                    gate=gate,
                    place=place,
                    direction="in" if i % 2 else "out",
                    person=persons[i % len(persons)],
                    at=start + timedelta(seconds=i),
                    allowed=True,
                    reason="ok",
                    token_fp=f"{i:016x}",
                    nonce=f"h{i}",
                )
                for i in range(first, min(first + 10_000, history))
            )
        from django.db import connection

        with connection.cursor() as cursor:  # the statistics autovacuum gathers in a minute
            cursor.execute("ANALYZE gates_gateevent")

    def fresh_tokens() -> list[str]:
        return [issue_token(person=p, colour=Colour.GREEN) for p in persons]

    return gate, device_token, fresh_tokens


def load(port: int, seconds: float, threads: int, make_request) -> tuple[float, int, int]:
    """Closed-loop load: `threads` clients, each one request at a time, for `seconds`."""
    counts = [0] * threads
    errors = [0] * threads
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            method, path, body, headers = make_request(index, n)
            n += 1
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    counts[index] += 1
                else:
                    errors[index] += 1
            except OSError:
                errors[index] += 1
            finally:
                conn.close()

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    return sum(counts) / elapsed, sum(counts), sum(errors)


def server_cpu_seconds(master_pid: int) -> float:
    """User + system CPU of the gunicorn master and its workers so far (Linux /proc)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if master_pid in (pid, ppid):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def http_bench(args, env, device_token, fresh_tokens) -> dict[str, float]:
    port = args.port or free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.server_threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        for _ in range(300):  # until a worker answers, not just the master's socket
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/bench-hello/")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        auth = {"Authorization": f"Bearer {device_token}", "Content-Type": "application/json"}

        def hello(_index, _n):
            return "GET", "/bench-hello/", None, {}

        tokens = fresh_tokens()

        def verify(index, n):
            token = tokens[(index * 7919 + n) % len(tokens)]
            body = json.dumps(
                {"token": token, "direction": "in" if n % 2 else "out", "nonce": uuid.uuid4().hex}
            )
            return "POST", "/api/v1/gates/verify", body, auth

        def floor(index, n):
            return "POST", "/bench-floor/", verify(index, n)[2], auth

        load(port, 1.5, args.threads, hello)  # warm-up: imports, connections
        load(port, 1.5, args.threads, verify)
        endpoints = {"hello": hello, "verify": verify, "floor": floor}
        results = {name: [] for name in endpoints}
        cpu = {name: [0.0, 0] for name in endpoints}  # server CPU seconds, requests
        # Alternate the two in short rounds so drift on a shared machine hits both alike.
        rounds = 4
        for _round in range(rounds):
            tokens[:] = fresh_tokens()  # codes live 90 s; keep them fresh
            for name, maker in endpoints.items():
                before = server_cpu_seconds(server.pid)
                rate, ok, errors = load(port, args.seconds / rounds, args.threads, maker)
                cpu[name][0] += server_cpu_seconds(server.pid) - before
                cpu[name][1] += ok + errors
                results[name].append(rate)
                print(f"  {name:<7} {rate:8.1f} req/s  ({ok} ok, {errors} errors)")
        for name, (seconds, requests) in cpu.items():
            print(f"  server CPU per {name} request: {seconds / requests * 1000:.2f} ms")
        return {name: sum(rates) / rounds for name, rates in results.items()}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def offline_bench(gate, fresh_tokens, seconds: float) -> tuple[float, float]:
    import base64

    from campuscode.codes.tokens import PAYLOAD, PREFIX
    from campuscode.gates.offline import OfflineVerifier
    from campuscode.gates.selectors import build_snapshot

    verifier = OfflineVerifier(build_snapshot(gate=gate))
    tokens = fresh_tokens()
    raw_items = []
    for token in tokens:
        raw = base64.urlsafe_b64decode(token[len(PREFIX) :] + "==")
        payload, signature = raw[: PAYLOAD.size], raw[PAYLOAD.size :]
        raw_items.append((verifier.public_keys[payload[1:5].hex()], signature, payload))

    def rate(fn) -> float:
        n, deadline, started = 0, time.perf_counter() + seconds, time.perf_counter()
        while time.perf_counter() < deadline:
            for i in range(200):
                fn(i + n)
            n += 200
        return n / (time.perf_counter() - started)

    def raw_verify(i):
        key, signature, payload = raw_items[i % len(raw_items)]
        key.verify(signature, payload)

    def decide(i):
        verifier.decide(tokens[i % len(tokens)], "in")

    raw_rates, decide_rates = [], []
    for _round in range(10):  # alternating short rounds; the best of each resists noise
        raw_rates.append(rate(raw_verify))
        decide_rates.append(rate(decide))
    # On a shared machine one round can catch a burst of other work: the median of the
    # ratios of back-to-back rounds is printed too (the best-of ratio stays the headline).
    ratios = sorted(d / r for r, d in zip(raw_rates, decide_rates, strict=True))
    print(f"  median of paired round ratios: {ratios[len(ratios) // 2]:.1%}")
    return max(raw_rates), max(decide_rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per endpoint, split in 2")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="as `campuscode demo` runs it")
    parser.add_argument("--server-threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--history", type=int, default=100_000, help="earlier scans stored")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--port", type=int, default=0, help="for gunicorn; 0 = any free port")
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/13",
        help="The cache (school rules are read through it on every verify); '' = DB cache.",
    )
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="cc-gate-bench-")
    env = {
        **os.environ,
        "CAMPUSCODE_DATA_DIR": data,
        "DJANGO_SETTINGS_MODULE": "gate_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)]),
        "DB_CONN_MAX_AGE": "60",
        "DJANGO_DEBUG": "0",
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    os.environ.update(env)
    sys.path[:0] = [str(ROOT), str(BENCH)]
    gate, device_token, fresh_tokens = prepare(args.people, args.history)
    from django.db import connection

    print(
        f"database: {connection.vendor}, {args.history} earlier scans, gunicorn: {args.workers} workers x "
        f"{args.server_threads} threads, "
        f"client threads: {args.threads}, cores: {os.cpu_count()}"
    )
    connection.close()

    print("HTTP (same gunicorn, same middleware, same database):")
    rates = http_bench(args, env, device_token, fresh_tokens)
    hello_rate, verify_rate, floor_rate = rates["hello"], rates["verify"], rates["floor"]
    from campuscode.gates.models import GateEvent

    print(f"  events stored: {GateEvent.objects.count()}")
    print("Offline verifier (one core, in-process):")
    raw_rate, decide_rate = offline_bench(gate, fresh_tokens, seconds=0.5)
    print(f"  raw Ed25519 verify   {raw_rate:10.0f} /s")
    print(f"  offline decisions    {decide_rate:10.0f} /s")
    print()
    print(
        f"verify API / hello-world        = {verify_rate / hello_rate:6.1%}  "
        f"({verify_rate:.0f} vs {hello_rate:.0f} req/s; target >= 70%)"
    )
    print(
        f"floor (the same work, bare) / hello-world = {floor_rate / hello_rate:6.1%}  "
        f"({floor_rate:.0f} req/s: the most a verify could reach on this stack)"
    )
    print(
        f"offline decisions / raw Ed25519 = {decide_rate / raw_rate:6.1%}  "
        f"({decide_rate:.0f} vs {raw_rate:.0f} /s; target >= 80%)"
    )


if __name__ == "__main__":
    main()
