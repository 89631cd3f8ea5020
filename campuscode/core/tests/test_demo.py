import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from campuscode.codes.tokens import verify_token
from campuscode.core import demo
from campuscode.people.models import OrgUnit, Person, Role, RoleAssignment

pytestmark = pytest.mark.django_db


def test_it_loads_a_realistic_school_with_one_login_per_role(client, capsys):
    call_command("demo", "--load-only")
    out = capsys.readouterr().out
    school = OrgUnit.objects.get(code="DEMO")
    assert Person.objects.filter(school=school, kind=Person.Kind.STUDENT).count() >= 700
    assert Person.objects.filter(school=school, kind=Person.Kind.STAFF).count() >= 70
    assert set(RoleAssignment.objects.values_list("role", flat=True)) == set(Role.values)
    for _role, login, _scope in demo.demo_logins():
        assert login in out
        client.post("/accounts/login/", {"username": login, "password": demo.PASSWORD})
        assert client.get("/").status_code == 200, login
        client.post("/accounts/logout/")


def test_the_demo_student_has_a_working_code(client):
    demo.load_demo()
    client.post("/accounts/login/", {"username": demo.DEMO_STUDENT, "password": demo.PASSWORD})
    page = client.get("/code/").content.decode()
    token = page.split('data-token="')[1].split('"')[0]
    verdict = verify_token(token)
    assert verdict.ok and verdict.person.number == demo.DEMO_STUDENT


def test_loading_twice_is_refused_by_the_command_not_duplicated(capsys):
    call_command("demo", "--load-only")
    call_command("demo", "--load-only")
    assert "already loaded" in capsys.readouterr().out
    assert OrgUnit.objects.filter(code="DEMO").count() == 1


def _free_port(offset: int = 0) -> int:
    """CAMPUSCODE_TEST_PORT (+ offset) if set, else a port the system says is free."""
    if base := os.environ.get("CAMPUSCODE_TEST_PORT"):
        return int(base) + offset
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _processes_with(marker: str) -> dict[int, str]:
    """{pid: command line} of every process whose environment holds `marker` (the test's
    own data folder): the demo and all it started, orphans included, whatever their parent.
    Read from /proc, so long paths are never cut off as `ps` cuts them."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() not in (entry / "environ").read_bytes():
                continue
            args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found[int(entry.name)] = args
    return found


def _start_demo(data: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "CAMPUSCODE_DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)  # the demo always runs on its embedded SQLite
    return subprocess.Popen(
        [sys.executable, "-m", "config.cli", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a group of its own, as a terminal's foreground job
    )


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
@pytest.mark.django_db(transaction=True)
def test_the_demo_command_starts_web_worker_and_scheduler_and_ctrl_c_stops_them(tmp_path):
    """The README's first command, end to end, in a fresh data folder; then Ctrl-C."""
    port = _free_port()
    data = tmp_path / "data"
    process = _start_demo(data, port)
    try:
        lines = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "ready in" in line:
                break
        output = "".join(lines)
        assert "ready in" in output, output
        page = (
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=10)
            .read()
            .decode()
        )
        assert "csrfmiddlewaretoken" in page
        outbox = urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/outbox/", timeout=10)
        assert outbox.status == 200  # the demo, and only the demo, shows its e-mail there
        running = " ".join(_processes_with(str(data)).values())
        assert "gunicorn" in running and "worker" in running and "beat" in running, running
        # Ctrl-C in a terminal: SIGINT to the whole foreground process group.
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
        deadline = time.monotonic() + 5
        while _processes_with(str(data)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _processes_with(str(data)) == {}
        with socket.socket() as probe:  # the port is free again
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        for pid in _processes_with(str(data)):
            os.kill(pid, signal.SIGKILL)
        process.stdout.close()


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_a_busy_port_is_refused_before_anything_starts(tmp_path):
    port = _free_port(offset=1)
    data = tmp_path / "data"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        process = _start_demo(data, port)
        output, _ = process.communicate(timeout=60)
    assert process.returncode != 0
    assert f"端口 {port}" in output and "已被其他程序占用" in output, output
    assert f"Port {port} on 127.0.0.1 is already in use" in output
    assert "Traceback" not in output
    assert _processes_with(str(data)) == {}


def test_load_only_does_not_print_addresses_of_a_server_it_does_not_start(capsys):
    call_command("demo", "--load-only", "--port", "8123")
    out = capsys.readouterr().out
    assert ":8123" not in out and "http://" not in out
    assert "campuscode demo" in out


def test_the_demo_is_realistic_for_its_date_and_its_gates_follow_the_rules():
    from datetime import date, timedelta

    from django.utils import timezone

    from campuscode.checkins.demo import next_holiday
    from campuscode.checkins.models import WindowNotice
    from campuscode.gates import demo as gates_demo
    from campuscode.gates.models import Direction, GateAlert, GateEvent, Notice, Reason

    assert next_holiday(date(2025, 12, 10)) == ("元旦", date(2026, 1, 1), date(2026, 1, 3))
    assert next_holiday(date(2026, 3, 20))[0] == "清明节"
    now = timezone.make_aware(timezone.datetime(2025, 12, 10, 9, 30))
    demo.load_demo(now=now)
    holiday = WindowNotice.objects.get(kind=WindowNotice.Kind.NO_CHECKIN)
    assert "清明" not in holiday.title and holiday.first_day == date(2026, 1, 1)
    names = set(
        Person.objects.filter(number__in=["T1004", "T1005", "T1006", "T1007"]).values_list(
            "name", flat=True
        )
    )
    assert not any(name.endswith(("老师", "保安", "医生", "督导")) for name in names), names
    exits = GateEvent.objects.filter(direction=Direction.OUT)
    assert exits.exists()
    assert not exits.filter(notice=Notice.CURFEW).exists()
    assert not exits.filter(reason=Reason.OUTSIDE_HOURS).exists()
    # Started a week after loading: the devices speak again, only the north gate is silent.
    later = now + timedelta(days=7)
    assert gates_demo.keep_alive(now=later) >= 5
    from campuscode.gates.services import check_silent_gates

    check_silent_gates(now=later + timedelta(minutes=1))
    silent = GateAlert.objects.filter(kind=GateAlert.Kind.SILENT, resolved_at__isnull=True)
    assert [a.gate.place.name for a in silent] == [gates_demo.SILENT_PLACE]
