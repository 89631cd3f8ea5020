"""`campuscode demo`: set up everything and run the demo school on this machine.

Migrates the embedded SQLite database, loads the demo school on first run, then starts
the web server (gunicorn), a Celery worker and Celery beat with a broker in local
folders (no server needed), prints the URLs and one login per role, and stops all
three on Ctrl-C.

Each child runs in its own process group (so the terminal's Ctrl-C reaches only this
command, which then stops them in order): SIGTERM to the whole group, SIGKILL to the
group after STOP_TIMEOUT seconds. A gunicorn worker stuck on a long-polling request
cannot hold the port past that. A busy port is refused before anything starts.
"""

import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from campuscode.codes.keys import ensure_keyring
from campuscode.core import demo
from campuscode.gates import demo as gates_demo

STOP_TIMEOUT = 8  # seconds between SIGTERM and SIGKILL for each child's process group
HEARTBEAT_EVERY = 60  # seconds between the demo gates' simulated heartbeats


def port_in_use(host: str, port: int) -> bool:
    """True if something already listens on host:port (bound as gunicorn binds it)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False  # gunicorn reports an unknown host itself
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            return error.errno in (errno.EADDRINUSE, errno.EACCES)
    return False


def _child_setup() -> None:  # pragma: no cover (runs in the child between fork and exec)
    """In the child: a process group of its own, and (on Linux) SIGTERM when this command
    dies without cleaning up (killed with -9), so no server is left holding the port."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def stop_children(processes, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM every child's group, wait up to `timeout`, then SIGKILL what is left
    (including workers whose master already exited)."""
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    for process in processes:
        _signal_group(process, signal.SIGKILL)  # stragglers in the group, if any
        process.wait()


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
        if not load_only and port_in_use(host, port):
            raise CommandError(
                f"端口 {port}（{host}）已被其他程序占用，示范系统未启动。"
                f"请先关闭占用该端口的程序，或换一个端口：campuscode demo --port {port + 1}\n"
                f"Port {port} on {host} is already in use, so the demo did not start. "
                f"Stop the program using it, or choose another port: --port {port + 1}"
            )
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
            self._print_logins()
            self.stdout.write(
                "  No server is running: start it with `campuscode demo` (or `make demo`),"
                " which prints the addresses.\n"
                "  服务器尚未启动：运行 `campuscode demo`（或 `make demo`）启动，启动后会显示访问地址。"
            )
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
        self._print_logins()
        for line in lines:
            out(f"  {line.replace('{base}', base)}")
        out("")

    def _print_logins(self) -> None:
        out = self.stdout.write
        out("")
        out(f"  Logins (password for all: {demo.PASSWORD}):")
        for role, login, scope in demo.demo_logins():
            out(f"    {role:<22} {login:<10} {scope}")

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
                # A worker busy with a long request gets this long to finish on stop.
                "--graceful-timeout",
                "3",
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
        stopping = False

        def stop(*_args):
            nonlocal stopping
            stopping = True

        # Before the first child starts: a Ctrl-C from here on stops whatever was started.
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        processes: dict[str, subprocess.Popen] = {}
        try:
            for name, cmd in commands.items():
                processes[name] = subprocess.Popen(
                    cmd,
                    env=env,
                    cwd=settings.BASE_DIR,
                    start_new_session=True,
                    preexec_fn=_child_setup if sys.platform == "linux" else None,
                )
            if not self._wait_for_web(host, port, processes["web"], lambda: stopping):
                return
            gates_demo.keep_alive()
            last_beat = time.monotonic()
            self._print_banner(host, port, lines)
            self.step(
                f"ready in {time.monotonic() - started:.1f} s — Ctrl-C stops the web server, worker and scheduler"
            )
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(
                            f"{name} stopped (exit {process.returncode}); stopping the demo"
                        )
                        stopping = True
                if time.monotonic() - last_beat >= HEARTBEAT_EVERY:
                    gates_demo.keep_alive()  # the demo's gate devices, still speaking
                    last_beat = time.monotonic()
                time.sleep(0.5)
        finally:
            self.step("stopping the web server, worker and scheduler")
            stop_children(list(processes.values()))
            self.step("stopped")

    def _wait_for_web(self, host: str, port: int, web, stopping) -> bool:
        import urllib.request

        for _ in range(240):
            if stopping():
                return False
            if web.poll() is not None:
                raise CommandError("the web server did not start (see above)")
            try:
                urllib.request.urlopen(f"http://{host}:{port}/accounts/login/", timeout=2)
                return True
            except OSError:
                time.sleep(0.25)
        raise CommandError("the web server did not answer within a minute")
