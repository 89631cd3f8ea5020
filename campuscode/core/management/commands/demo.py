"""`campuscode demo`: set up everything and run the demo school on this machine.

Migrates the embedded SQLite database, loads the demo school on first run, then starts
the web server (gunicorn), a Celery worker and Celery beat with a broker in local
folders (no server needed), prints the URLs and one login per role, and stops all
three on Ctrl-C.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from campuscode.codes.keys import ensure_keyring
from campuscode.core import demo


class Command(BaseCommand):
    help = "Set up and run the demo school (web server, worker, scheduler)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("CAMPUSCODE_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("CAMPUSCODE_PORT", "8000"))
        )
        parser.add_argument("--load-only", action="store_true", help="set up and load, then exit")
        parser.add_argument("--reset", action="store_true", help="delete the demo database first")

    def handle(self, *args, host, port, load_only, reset, **options):
        started = time.monotonic()
        if reset:
            self._reset()
        self.step("preparing the database")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        self.step("collecting static files")
        call_command("collectstatic", interactive=False, verbosity=0)
        ensure_keyring()
        for folder in ("queue", "processed", "control"):
            (Path(settings.DATA_DIR) / "broker" / folder).mkdir(parents=True, exist_ok=True)
        hints = Path(settings.DATA_DIR) / "demo-hints.txt"
        if demo.demo_exists():
            self.step("demo school already loaded (use --reset to start again)")
        else:
            self.step("loading the demo school")
            result = demo.load_demo(stdout=self.stdout)
            hints.write_text("\n".join(result.lines))  # printed again at every start
            self.step(f"demo school loaded in {result.seconds:.1f} s")
        lines = hints.read_text().splitlines() if hints.exists() else []
        if load_only:
            self._print_banner(host, port, lines)
            return
        self._run(host, port, lines, started)

    def step(self, text: str) -> None:
        self.stdout.write(self.style.HTTP_INFO(f"» {text}"))

    def _reset(self) -> None:
        if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            self.stderr.write(
                "--reset only deletes the embedded SQLite database; drop others yourself."
            )
            sys.exit(2)
        db = Path(settings.DATABASES["default"]["NAME"])
        hints = Path(settings.DATA_DIR) / "demo-hints.txt"
        for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"), hints):
            path.unlink(missing_ok=True)
        self.step(f"deleted {db}")

    def _print_banner(self, host: str, port: int, lines: list[str]) -> None:
        base = f"http://{host}:{port}"
        out = self.stdout.write
        out("")
        out(self.style.SUCCESS("Campus Code demo — 示范大学"))
        out(f"  Web:            {base}/")
        out(f"  My code:        {base}/code/")
        out(f"  API docs:       {base}/api/v1/docs")
        out(f"  E-mail outbox:  {base}/accounts/outbox/")
        out("")
        out(f"  Logins (password for all: {demo.PASSWORD}):")
        for role, login, scope in demo.demo_logins():
            out(f"    {role:<22} {login:<10} {scope}")
        for line in lines:
            out(f"  {line.replace('{base}', base)}")
        out("")

    def _run(self, host: str, port: int, lines: list[str], started: float) -> None:
        python = sys.executable
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
        env.setdefault("EMAIL_BACKEND", settings.OUTBOX_BACKEND)  # the demo's outbox page
        env.setdefault("CAMPUSCODE_SMS_BACKEND", "outbox")  # text messages there too
        commands = {
            "web": [
                python,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--log-level",
                "warning",
            ],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                "2",
                "--loglevel",
                "WARNING",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel",
                "WARNING",
                "--schedule",
                str(Path(settings.DATA_DIR) / "celerybeat-schedule"),
            ],
        }
        processes = {
            name: subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR)
            for name, cmd in commands.items()
        }
        stopping = False

        def stop(*_args):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self._wait_for_web(host, port, processes["web"])
        self._print_banner(host, port, lines)
        self.step(
            f"ready in {time.monotonic() - started:.1f} s — Ctrl-C stops the web server, worker and scheduler"
        )
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(
                            f"{name} stopped (exit {process.returncode}); stopping the demo"
                        )
                        stopping = True
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in processes.values():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _wait_for_web(self, host: str, port: int, web) -> None:
        import urllib.request

        for _ in range(120):
            if web.poll() is not None:
                raise SystemExit("the web server did not start (see above)")
            try:
                urllib.request.urlopen(f"http://{host}:{port}/accounts/login/", timeout=2)
                return
            except OSError:
                time.sleep(0.25)
