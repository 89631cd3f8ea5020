"""A 300-person lecture marking attendance by the rotating session code, over HTTP against
PostgreSQL (issue 11, R2.4).

Starts gunicorn on 127.0.0.1 with production-like settings (DEBUG off, PostgreSQL with
persistent connections, Redis cache, gthread workers) against a database this script
creates: three classes of 100 students taught together, their teacher, and a session
that started a minute ago. The room screen is read as the projector shows it (the
teacher's panel, re-read every step of the code), and each student's phone opens the
code's link and sends the sign-in (GET + POST, both timed), from its own loopback
address; 1 in 10 phones sends the sign-in twice, as a retry after a timeout would. All
of it must finish within 60 s. Afterwards it counts: every student exactly one mark.

    .venv/bin/python bench/attendance_lecture.py [--people 300] [--threads 8]
        [--workers 2] [--database-url postgres://postgres@127.0.0.1:5432/cc_bench_attendance]
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.checkin_throughput import (  # noqa: E402 (the shared HTTP and database helpers)
    free_port,
    phone_address,
    recreate_database,
    request,
)

SECRET = "bench-attendance-secret-key-not-for-production-0123456789"


def prepare(people: int) -> dict:
    """Runs in a child process with the server's environment: data and sessions."""
    import django

    django.setup()
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.core import signing
    from django.core.management import call_command
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from campuscode.attendance.models import Session
    from campuscode.checkins.views import DEVICE_COOKIE, DEVICE_SALT
    from campuscode.core.rules import set_setting
    from campuscode.people.models import OrgUnit, Person, Role, RoleAssignment

    school = OrgUnit.objects.create(kind="school", name="压测大学", code="BENCH")
    # The teacher's panel is what the projector shows; a second factor is not the point here.
    set_setting(key="session_require_second_factor", value=False)
    campus = OrgUnit.objects.create(parent=school, kind="campus", name="主校区")
    college = OrgUnit.objects.create(parent=campus, kind="college", name="计算机学院")
    classes = [
        OrgUnit.objects.create(parent=college, kind="class", name=f"计科250{n}班")
        for n in range(1, 4)
    ]
    password = make_password("bench-password-1")
    users = User.objects.bulk_create(
        User(username=f"2025{i:05d}@BENCH", password=password) for i in range(people)
    )
    Person.objects.bulk_create(
        Person(
            school=school,
            number=f"2025{i:05d}",
            name=f"学生{i}",
            org_unit=classes[i % 3],
            user=u,
        )
        for i, u in enumerate(users)
    )
    teacher = User.objects.create_user("T1007@BENCH", password="bench-password-1")
    Person.objects.create(
        school=school, number="T1007", name="周老师", kind="staff", org_unit=college, user=teacher
    )
    RoleAssignment.objects.create(user=teacher, role=Role.TEACHER, org_unit=college)
    now = timezone.now()
    session = Session.objects.create(
        school=school,
        title="计算机导论",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(minutes=100),
        place="大礼堂",
        unit=classes[0],
        owner=teacher,
    )
    session.extra_units.set(classes[1:])
    signer = signing.get_cookie_signer(salt=DEVICE_COOKIE + DEVICE_SALT)

    def cookie_for(user, index):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        csrf = get_random_string(32)
        return {
            "cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}; csrftoken={csrf}; "
            f"{DEVICE_COOKIE}={signer.sign(f'bench{index:08d}')}",
            "csrf": csrf,
            "address": phone_address(index),
        }

    return {
        "session": session.pk,
        "teacher": cookie_for(teacher, 99999),
        "clients": [cookie_for(user, i) for i, user in enumerate(users)],
    }


def count_marks(session_id: int) -> dict:
    import django

    django.setup()
    from django.db.models import Count

    from campuscode.attendance.models import Mark

    per_person = (
        Mark.objects.filter(session_id=session_id).values("person_id").annotate(n=Count("id"))
    )
    return {
        "marks": Mark.objects.filter(session_id=session_id).count(),
        "people_with_one": sum(1 for row in per_person if row["n"] == 1),
        "people_with_more": sum(1 for row in per_person if row["n"] > 1),
        "flagged": Mark.objects.filter(session_id=session_id).exclude(evidence__flags=[]).count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/cc_bench_attendance"
    )
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="cc-bench-attendance-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": args.database_url,
        "DB_CONN_MAX_AGE": "60",
        "REDIS_URL": "redis://127.0.0.1:6379/1",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET,
        "CAMPUSCODE_DATA_DIR": data_dir,
        "LOG_LEVEL": "ERROR",
    }
    env.pop("DJANGO_FAST_PASSWORDS", None)
    recreate_database(args.database_url)
    subprocess.run(["redis-cli", "-n", "1", "flushdb"], check=False, capture_output=True)
    print(f"preparing {args.people} students in {args.database_url} ...")
    child = subprocess.run(
        [sys.executable, "-c", f"import json,sys; sys.path.insert(0, {str(ROOT)!r}); "
         f"from bench.attendance_lecture import prepare; print(json.dumps(prepare({args.people})))"],
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
    session = setup["session"]
    teacher = setup["teacher"]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    screen = {"path": "", "at": 0.0}

    def read_screen() -> str:
        # The projector's panel: the QR's link, as the phones' cameras read it.
        _s, _l, body = request(
            port, "127.0.0.1", "GET", f"/attendance/sessions/{session}/screen/panel/",
            {"Cookie": teacher["cookie"]},
        )  # fmt: skip
        return urlsplit(re.search(rb'data-url="([^"]+)"', body).group(1).decode()).path

    def timed(*call):
        started = time.perf_counter()
        status, _loc, _body = request(*call)
        with lock:
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
        return status

    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        for _ in range(6):  # warm up: the workers may still be importing the site
            try:
                read_screen()
                break
            except TimeoutError:
                continue
        for _ in range(3):
            read_screen()
        jobs = list(enumerate(setup["clients"]))
        stop_at = time.monotonic() + args.seconds

        def phone():
            while time.monotonic() < stop_at:
                with lock:
                    if not jobs:
                        return
                    index, client = jobs.pop()
                    if time.time() - screen["at"] > 5:  # the code changes every 10 s
                        screen.update(path=read_screen(), at=time.time())
                    path = screen["path"]
                cookie = {"Cookie": client["cookie"]}
                timed(port, client["address"], "GET", path, cookie)
                post = {**cookie, "Content-Type": "application/x-www-form-urlencoded"}
                body = urlencode({"csrfmiddlewaretoken": client["csrf"]})
                timed(port, client["address"], "POST", path, post, body)
                if index % 10 == 0:  # a retry: must not add a second mark
                    timed(port, client["address"], "POST", path, post, body)

        began = time.perf_counter()
        pool = [threading.Thread(target=phone) for _ in range(args.threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        wall = time.perf_counter() - began
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    counted = subprocess.run(
        [sys.executable, "-c", f"import json,sys; sys.path.insert(0, {str(ROOT)!r}); "
         f"from bench.attendance_lecture import count_marks; print(json.dumps(count_marks({session})))"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = json.loads(counted.stdout.strip().splitlines()[-1])
    ordered = sorted(latencies)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    people = len(setup["clients"])
    print(f"gunicorn: {args.workers} workers x 4 threads; load: {args.threads} phones at a time")
    print(
        f"  {len(ordered)} requests (open + sign in, 1 in 10 retried) in {wall:.1f} s "
        f"= {len(ordered) / wall:.1f} requests/s; p50 {p50:.0f} ms, p99 {p99:.0f} ms"
    )
    print(f"  statuses: {dict(sorted(statuses.items()))} (400 = a retry told 'already signed in')")
    print(
        f"  marks: {rows['marks']} for {people} students; with exactly one: "
        f"{rows['people_with_one']}, with more: {rows['people_with_more']}; "
        f"flagged: {rows['flagged']}"
    )
    ok = rows["people_with_one"] == people and rows["marks"] == people and wall <= args.seconds
    print("  every student has exactly one mark within 60 s: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
