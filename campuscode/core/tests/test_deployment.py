"""Deployment settings (issue 8, hole 10): `check --deploy`, the Content-Security-Policy,
file permissions, database connections and what reaches the logs."""

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from campuscode.accounts.tests.helpers import NEW_PASSWORD, identity, last_code
from conftest import sign_in

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


def production_env(data_dir: Path, **extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CAMPUSCODE_", "SECURE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        CAMPUSCODE_HTTPS="true",
        CAMPUSCODE_DATA_DIR=str(data_dir),
        DJANGO_ALLOWED_HOSTS="code.example.edu.cn",
        **extra,
    )
    return env


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "config.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path / "data"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


def test_check_deploy_warns_of_a_data_folder_open_to_other_users(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    result = subprocess.run(
        [sys.executable, "-m", "config.cli", "check", "--deploy"],
        env=production_env(data),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert "campuscode.W001" in output and str(data) in output


def test_behind_a_trusted_proxy_the_forwarded_scheme_is_read(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=production_env(tmp_path / "data", CAMPUSCODE_TRUSTED_PROXIES="127.0.0.1"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert out.split() == ["('HTTP_X_FORWARDED_PROTO',", "'https')", "True", "True", "True", "True"]


def test_a_database_restart_costs_a_reconnect_not_an_error():
    # A kept connection is checked before a request reuses it.
    assert django_settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


FILE_MODES = """
import json, os
os.umask(0o022)  # a usual shell: files world-readable unless the application says otherwise
import django
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (x integer)")
    cursor.execute("INSERT INTO probe VALUES (1)")
default_storage.save("attachments/2026/03/note.png", ContentFile(b"not really a png"))
root = os.environ["CAMPUSCODE_DATA_DIR"]
modes = {}
for folder, dirs, files in os.walk(root):
    for name in dirs + files:
        path = os.path.join(folder, name)
        modes[os.path.relpath(path, root)] = os.stat(path).st_mode & 0o777
modes["."] = os.stat(root).st_mode & 0o777
print(json.dumps(modes))
"""


def test_a_new_data_folder_its_database_and_uploads_are_for_the_owner_only(tmp_path):
    data = tmp_path / "data"
    env = production_env(data)
    env.pop("DATABASE_URL", None)  # the embedded SQLite file
    out = subprocess.run(
        [sys.executable, "-c", FILE_MODES],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    modes = json.loads(out.stdout)
    for name in (
        ".",
        "campuscode.sqlite3",
        "campuscode.sqlite3-wal",
        "campuscode.sqlite3-shm",
        "secret_key",
        "media/attachments/2026/03/note.png",
        "media/attachments/2026",
    ):
        assert name in modes, sorted(modes)
    readable_by_others = {name: oct(mode) for name, mode in modes.items() if mode & 0o077}
    assert readable_by_others == {}


# --- Content-Security-Policy --------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.I)


def assert_no_inline_code(page: str):
    assert not INLINE_SCRIPT.search(page), INLINE_SCRIPT.search(page).group(0)
    assert not INLINE_HANDLER.search(page), INLINE_HANDLER.search(page).group(0)
    assert not INLINE_STYLE.search(page), INLINE_STYLE.search(page).group(0)


def test_pages_carry_a_content_security_policy_without_inline_script(client, student):
    response = client.get("/accounts/login/")
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["img-src"] == "'self' data:"
    assert_no_inline_code(response.content.decode())
    sign_in(client, student.user)
    for path in ("/code/", "/checkins/", "/gates/kiosk/", "/accounts/security/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Content-Security-Policy" in response
        assert_no_inline_code(response.content.decode())


def test_the_error_pages_have_no_inline_code(client):
    assert_no_inline_code((ROOT / "templates/500.html").read_text())
    assert_no_inline_code(client.get("/no-such-page/").content.decode())


# --- Logs --------------------------------------------------------------------------------


@pytest.fixture
def every_log_record(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def logged_text(caplog) -> str:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines)


def test_search_terms_and_claim_codes_stay_out_of_the_logs(every_log_record, tree, adviser):
    newcomer = tree.person("欧阳娜娜", tree.cs_2501, account=False)
    searcher = sign_in(Client(), adviser)
    assert searcher.get("/people/", {"q": "张小伟"}).status_code == 200
    assert searcher.get("/people/", {"q": "no-such-person-7731"}).status_code == 200

    claimer = Client()
    claimer.post("/accounts/claim/", identity(newcomer))
    code = last_code()
    claimer.post("/accounts/claim/code/", {"code": "000000" if code != "000000" else "111111"})
    claimer.post("/accounts/claim/code/", {"code": code})
    response = claimer.post(
        "/accounts/claim/password/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302

    text = logged_text(every_log_record)
    for secret in (
        "张小伟",
        "no-such-person-7731",
        newcomer.name,
        newcomer.number,
        newcomer.id_number[-4:],
        newcomer.email,
        code,
        NEW_PASSWORD,
    ):
        assert secret not in text


def test_a_refused_request_is_one_log_line_without_a_traceback(every_log_record, outsider):
    client = sign_in(Client(), outsider)
    assert client.get("/people/").status_code == 403
    refusals = [r for r in every_log_record.records if r.name == "django.request"]
    assert [r.getMessage() for r in refusals] == ["Forbidden (Permission denied): /people/"]
    assert refusals[0].exc_info is None
