import os
import subprocess
import sys
import time
import urllib.request

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


@pytest.mark.django_db(transaction=True)
def test_the_demo_command_starts_web_worker_and_scheduler(tmp_path):
    """The README's first command, end to end, in a fresh data folder."""
    port = 18000 + os.getpid() % 1000
    env = {**os.environ, "CAMPUSCODE_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)  # the demo always runs on its embedded SQLite
    process = subprocess.Popen(
        [sys.executable, "-m", "config.cli", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 120
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
        running = subprocess.run(
            ["ps", "-o", "args=", "--ppid", str(process.pid)], capture_output=True, text=True
        ).stdout
        assert "gunicorn" in running and "worker" in running and "beat" in running, running
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
