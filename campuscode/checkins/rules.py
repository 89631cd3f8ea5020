"""The school rules as this app reads them: one cache read per request, not one per rule.

A check-in reads eight rules (window, token step, temperature range, threshold, burst
limits); `core.rules.get_setting` asks the cache once per call. Inside `snapshot()` (the
check-in views use it) all rules are read once and served from memory until it ends.
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
    # `_stored()` is core's one read of every stored rule; without it (renamed), each
    # rule is still read once through the public get_setting.
    stored_reader = getattr(core_rules, "_stored", None)
    if stored_reader is not None:
        stored = stored_reader()
        values = {key: stored.get(key, spec.default) for key, spec in core_rules.SPECS.items()}
    else:
        values = {key: core_rules.get_setting(key) for key in core_rules.SPECS}
    token = _snapshot.set(values)
    try:
        yield values
    finally:
        _snapshot.reset(token)
