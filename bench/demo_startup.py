"""How long `campuscode demo` takes, on first run, from start to a working page.

Starts the demo in a fresh, temporary data folder (dependencies already installed),
polls the sign-in page until it answers, prints the seconds, and stops the demo.
Target (foundation issue): under 60 s.

    .venv/bin/python bench/demo_startup.py
"""

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = 18765


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "CAMPUSCODE_DATA_DIR": data}
        env.pop("DATABASE_URL", None)
        started = time.monotonic()
        demo = subprocess.Popen(
            [sys.executable, "-m", "config.cli", "demo", "--port", str(PORT)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(600):  # bounded: at most ~120 s
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{PORT}/accounts/login/", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                sys.exit("the demo did not answer within 120 s")
            seconds = time.monotonic() - started
        finally:
            demo.terminate()
            demo.wait(timeout=30)
    print(f"demo first start to a working page: {seconds:.1f} s (target < 60 s)")


if __name__ == "__main__":
    main()
