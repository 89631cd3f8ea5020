"""Progress of a long run: written to its row (the status page polls it) and, from the
command line, printed as it goes.

Why a row update and not a cache key: the page, the worker and the command may be three
processes on a school's one server without Redis; the database is what they all share.
The update is a single UPDATE outside any transaction the job holds (never inside the
PostgreSQL dump's read-only snapshot) and at most twice a second.
"""

import time

from django.utils import timezone

INTERVAL = 0.5


class Progress:
    def __init__(self, record=None, *, stream=None):
        self.record = record
        self.stream = stream
        self._written_at = 0.0
        self._step = None
        self._percent = -1

    def __call__(self, step: str, percent: int) -> None:
        percent = max(0, min(100, int(percent)))
        changed_step = step != self._step
        if not changed_step and percent == self._percent:
            return
        now = time.monotonic()
        if not changed_step and now - self._written_at < INTERVAL and percent < 100:
            return
        self._step, self._percent, self._written_at = step, percent, now
        if self.record is not None and self.record.pk:
            type(self.record).objects.filter(pk=self.record.pk).update(
                step=str(step)[:200], percent=percent, heartbeat_at=timezone.now()
            )
            self.record.step, self.record.percent = str(step)[:200], percent
        if self.stream is not None:
            self.stream.write(f"[{percent:3d}%] {step}")
            if hasattr(self.stream, "flush"):
                self.stream.flush()


def silent(step: str, percent: int) -> None:
    """Progress nobody watches."""
