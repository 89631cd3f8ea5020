"""Run every benchmark in turn and print their figures (`make bench`).

Each script is also runnable alone; see bench/README.md for what each measures and its
target. PostgreSQL parts need the local server at 127.0.0.1:5432.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["demo_startup.py", "import_roster.py", "gate_verify.py", "checkin_throughput.py"]
SCRIPTS.append("backup_restore.py")  # backups
SCRIPTS.append("analytics_dashboard.py")  # analytics
SCRIPTS += ["anomaly_detectors.py"]  # anomalies2
SCRIPTS.append("bigschool.py")  # scale (issue 12): about an hour at full size, see README
SCRIPTS = [
    "demo_startup.py",
    "import_roster.py",
    "gate_verify.py",
    "checkin_throughput.py",
    "attendance_lecture.py",  # attendance (issue 11)
    "event_door.py",  # events (R2.5)
]
SCRIPTS += ["violations_ladder.py"]  # violations (R8)
SCRIPTS.append("attendance_scale.py")  # class attendance in analytics (issue 12)


def main() -> int:
    failed = []
    for name in SCRIPTS:
        path = HERE / name
        if not path.exists():
            continue
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(path)], cwd=HERE.parent)
        print(f"({name}: {time.monotonic() - started:.0f} s, exit {result.returncode})", flush=True)
        if result.returncode:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
