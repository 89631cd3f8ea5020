"""The school rules as this app reads them: one consistent set per request.

A check-in reads eight rules (window, token step, temperature range, threshold, burst
limits). Inside `snapshot()` (the check-in views use it) they are taken together once,
so an admin's change half-way through a request cannot mix old and new values.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from campuscode.core import rules as core_rules

_snapshot: ContextVar[dict | None] = ContextVar("checkins_rules_snapshot", default=None)


def setting(key: str) -> Any:
    values = _snapshot.get()
    if values is not None and key in values:
        return values[key]
    return core_rules.get_setting(key)


@contextmanager
def snapshot():
    values = core_rules.all_settings()
    token = _snapshot.set(values)
    try:
        yield values
    finally:
        _snapshot.reset(token)
