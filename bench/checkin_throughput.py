"""Check-in submission throughput over HTTP (issue 3).

Starts gunicorn on 127.0.0.1 with production-like settings (DEBUG off, PostgreSQL with
persistent connections, Redis cache, gthread workers like `campuscode demo`) against a
database this script creates, prepares N people each with a signed-in session, a CSRF
cookie, a device cookie and an opened point URL, then runs a bounded threaded load
generator against:

1. the check-in submission (POST to the point URL: token check, window, campus, the
   honesty reads, person lock, insert, supersede), 1 in 10 sent twice with the same
   idempotency key as a phone's retry would;
2. the ceiling: a view behind the same middleware doing one INSERT
   (CAMPUSCODE_BENCH_CEILING=1, never set in production).

Each virtual phone connects from its own loopback address (127.0.x.y) so that the
honesty checks see distinct phones, as on a campus network. Afterwards it counts the
rows: every person exactly one check-in, no more (zero lost, zero duplicated).

    .venv/bin/python bench/checkin_throughput.py [--people 600] [--threads 8]
        [--workers 2] [--database-url postgres://postgres@127.0.0.1:5432/cc_bench_checkin]
"""

import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-checkin-secret-key-not-for-production-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def phone_address(index: int) -> str:
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(people: int) -> dict:
    """Runs in a child process with the server's environment: data and sessions."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.core import signing
    from django.core.management import call_command
    from django.db import connection
    from django.utils.crypto import get_random_string

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from campuscode.checkins.models import CheckinPoint
    from campuscode.checkins.views import DEVICE_COOKIE, DEVICE_SALT
    from campuscode.core.rules import set_setting
    from campuscode.people.models import OrgUnit, Person

    # One all-day window, so the run does not depend on the hour it starts.
    set_setting(key="checkin_morning_student", value="00:00-23:59")
    set_setting(key="checkin_afternoon_student", value="")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_ceiling (id bigserial PRIMARY KEY, user_id bigint,"
            " at timestamptz, key varchar(64))"
        )
    school = OrgUnit.objects.create(kind="school", name="压测大学", code="BENCH")
    campus = OrgUnit.objects.create(parent=school, kind="campus", name="主校区")
    college = OrgUnit.objects.create(parent=campus, kind="college", name="计算机学院")
    klass = OrgUnit.objects.create(parent=college, kind="class", name="计科2501班")
    password = make_password("bench-password-1")
    users = User.objects.bulk_create(
        User(username=f"2025{i:05d}@BENCH", password=password) for i in range(people)
    )
    Person.objects.bulk_create(
        Person(school=school, number=f"2025{i:05d}", name=f"学生{i}", org_unit=klass, user=u)
        for i, u in enumerate(users)
    )
    point = CheckinPoint.objects.create(campus=campus, building="一教", name="一教大厅")
    signer = signing.get_cookie_signer(salt=DEVICE_COOKIE + DEVICE_SALT)
    clients = []
    for index, user in enumerate(users):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        csrf = get_random_string(32)
        clients.append(
            {
                "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}; "
                f"csrftoken={csrf}; {DEVICE_COOKIE}={signer.sign(f'bench{index:08d}')}",
                "csrf": csrf,
                "address": phone_address(index),
            }
        )
    from campuscode.checkins.devices import register_display

    # The load generator reads the code as a registered screen does (its credential).
    _display, credential = register_display(point=point, name="bench")
    return {"point": point.pk, "kiosk_key": credential, "clients": clients}


def count_rows() -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count

    from campuscode.checkins.models import Checkin, Flag

    per_person = Checkin.objects.values("person_id").annotate(n=Count("id"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_ceiling")
        ceiling = cursor.fetchone()[0]
    return {
        "checkins": Checkin.objects.count(),
        "people_with_one": sum(1 for row in per_person if row["n"] == 1),
        "people_with_more": sum(1 for row in per_person if row["n"] > 1),
        "flags": Flag.objects.count(),
        "ceiling_rows": ceiling,
    }


def request(port, address, method, path, headers, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(address, 0))
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, response.getheader("Location"), data
    finally:
        conn.close()


def current_point_path(port, point, kiosk_key) -> str:
    """What the kiosk shows now (the load generator reads it like a camera would)."""
    _status, _loc, body = request(
        port,
        "127.0.0.1",
        "GET",
        f"/checkins/kiosk/{point}/panel/",
        {"Authorization": f"Bearer {kiosk_key}"},
    )
    url = re.search(rb'data-url="([^"]+)"', body).group(1).decode()
    return urlsplit(url).path


def open_forms(port, setup, threads) -> list[tuple[dict, str, str]]:
    """Each phone opens the point's URL (untimed): the visit and the form's key."""
    jobs = list(setup["clients"])
    opened: list[tuple[dict, str, str]] = []
    failures: list[str] = []
    lock = threading.Lock()
    path_box = {
        "path": current_point_path(port, setup["point"], setup["kiosk_key"]),
        "at": time.time(),
    }

    def worker():
        while True:
            with lock:
                if not jobs:
                    return
                client = jobs.pop()
                if time.time() - path_box["at"] > 5:
                    path_box.update(
                        path=current_point_path(port, setup["point"], setup["kiosk_key"]),
                        at=time.time(),
                    )
                path = path_box["path"]
            status, _loc, body = request(
                port, client["address"], "GET", path, {"Cookie": client["cookie"]}
            )
            if status != 200:
                reason = re.search(rb'data-reason="([^"]*)"', body)
                with lock:
                    failures.append(f"{status} {reason.group(1) if reason else body[:200]!r}")
                return
            key = re.search(rb'name="key" value="([^"]+)"', body).group(1).decode()
            with lock:
                opened.append((client, path, key))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if failures:
        raise RuntimeError(f"opening the form failed: {failures[:3]}")
    return opened


def load(port, jobs, threads, deadline_s) -> tuple[list[float], int, float]:
    """Send every job once (bounded in count and time); latencies in ms, errors, wall."""
    queue = list(jobs)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + deadline_s

    def worker():
        nonlocal errors
        while time.monotonic() < stop_at:
            with lock:
                if not queue:
                    return
                address, path, headers, body = queue.pop()
            started = time.perf_counter()
            status, _loc, _body = request(port, address, "POST", path, headers, body)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if status not in (204, 302):
                    errors += 1

    began = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies, errors, time.perf_counter() - began


def summary(name, latencies, wall) -> dict:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    rate = len(ordered) / wall
    print(
        f"  {name:<24} {len(ordered):>6} requests in {wall:6.2f} s = {rate:7.1f}/s"
        f"   p50 {statistics.median(ordered):6.1f} ms   p99 {p99:6.1f} ms"
    )
    return {"rate": rate}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=600)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60, help="upper bound per phase")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--without-followup-hook",
        action="store_true",
        help="disconnect followup's post_save receiver on check-ins (to see its share)",
    )
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/cc_bench_checkin"
    )
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="cc-bench-checkin-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": args.database_url,
        "DB_CONN_MAX_AGE": "60",
        "REDIS_URL": "redis://127.0.0.1:6379/12",  # not 13: the gates bench uses it
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET,
        "CAMPUSCODE_DATA_DIR": data_dir,
        "CAMPUSCODE_BENCH_CEILING": "1",
        "LOG_LEVEL": "WARNING",
        "CAMPUSCODE_BENCH_NO_FOLLOWUP_HOOK": "1" if args.without_followup_hook else "0",
    }
    env.pop("DJANGO_FAST_PASSWORDS", None)
    recreate_database(args.database_url)
    subprocess.run(["redis-cli", "-n", "12", "flushdb"], check=False, capture_output=True)
    print(f"preparing {args.people} people in {args.database_url} ...")
    child = subprocess.run(
        [sys.executable, "-c", f"import json,sys; sys.path.insert(0, {str(ROOT)!r}); "
         f"from bench.checkin_throughput import prepare; print(json.dumps(prepare({args.people})))"],
        env=env, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if child.returncode:
        raise SystemExit(child.stderr[-3000:])
    setup = json.loads(child.stdout.strip().splitlines()[-1])
    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", str(args.workers), "--threads", "4",
         "--worker-class", "gthread", "--log-level", "warning"],
        env=env, cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        # Warm both paths up (imports, connections) before anything is timed.
        warm = setup["clients"][0]
        headers = {"Cookie": warm["cookie"], "Content-Type": "application/x-www-form-urlencoded"}
        for _ in range(20):
            request(port, warm["address"], "POST", "/checkins/bench-ceiling/", headers,
                    urlencode({"csrfmiddlewaretoken": warm["csrf"], "key": "warm"}))  # fmt: skip
        opened = open_forms(port, setup, args.threads)
        form = {"temperature": "36.5", "symptoms": "none", "contact": "none"}
        checkin_jobs, ceiling_jobs = [], []
        for index, (client, path, key) in enumerate(opened):
            headers = {
                "Cookie": client["cookie"],
                "Content-Type": "application/x-www-form-urlencoded",
            }
            body = urlencode({**form, "key": key, "csrfmiddlewaretoken": client["csrf"]})
            checkin_jobs.append((client["address"], path, headers, body))
            if index % 10 == 0:  # a phone's retry after a timeout: the same key again
                checkin_jobs.append((client["address"], path, headers, body))
            ceiling_body = urlencode({"key": key, "csrfmiddlewaretoken": client["csrf"]})
            ceiling_jobs.append(
                (client["address"], "/checkins/bench-ceiling/", headers, ceiling_body)
            )
        # The same number of requests in both phases; retries interleaved with the rest.
        ceiling_jobs = (ceiling_jobs * 2)[: len(checkin_jobs)]
        print(f"gunicorn: {args.workers} workers x 4 threads; load: {args.threads} threads; "
              f"{len(checkin_jobs)} requests per phase")  # fmt: skip
        # Alternate the two in rounds, so a change in the machine's load (other work on
        # the same cores) falls on both alike.
        c_lat, k_lat, c_err, k_err, c_wall, k_wall = [], [], 0, 0, 0.0, 0.0
        rounds = args.rounds
        for r in range(rounds):
            lat, err, wall = load(port, ceiling_jobs[r::rounds], args.threads, args.seconds)
            c_lat, c_err, c_wall = c_lat + lat, c_err + err, c_wall + wall
            lat, err, wall = load(port, checkin_jobs[r::rounds], args.threads, args.seconds)
            k_lat, k_err, k_wall = k_lat + lat, k_err + err, k_wall + wall
        ceiling = summary("ceiling (one INSERT)", c_lat, c_wall)
        checkin = summary("check-in submission", k_lat, k_wall)
        print(
            f"  ratio check-in / ceiling: {checkin['rate'] / ceiling['rate']:.0%}  (target >= 50%)"
        )
        print(f"  HTTP errors: ceiling {c_err}, check-in {k_err}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    counted = subprocess.run(
        [sys.executable, "-c", f"import json,sys; sys.path.insert(0, {str(ROOT)!r}); "
         "from bench.checkin_throughput import count_rows; print(json.dumps(count_rows()))"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = json.loads(counted.stdout.strip().splitlines()[-1])
    people = len(setup["clients"])
    lost = people - rows["people_with_one"] - rows["people_with_more"]
    print(
        f"  rows: {rows['checkins']} check-ins for {people} people; lost {lost}, "
        f"duplicated {rows['checkins'] - rows['people_with_one'] - rows['people_with_more']}"
        f" (people with >1: {rows['people_with_more']}); honesty flags {rows['flags']}; "
        f"ceiling rows {rows['ceiling_rows']}"
    )


if __name__ == "__main__":
    main()
