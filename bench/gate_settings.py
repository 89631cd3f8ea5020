"""Settings of the gate benchmark: the project's own, plus a hello-world URL (gate_urls)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "gate_urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
