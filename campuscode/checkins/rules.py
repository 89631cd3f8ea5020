"""The school rules as this app reads them: one consistent set per request.

A check-in reads eight rules (window, token step, temperature range, threshold, burst
limits). Inside `snapshot()` (the check-in views use it) they are taken together once,
so an admin's change half-way through a request cannot mix old and new values.
Rules are per school: a snapshot holds one school's rules (the check-in point's).
"""

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from campuscode.core import rules as core_rules

_snapshot: ContextVar[tuple[int, dict] | None] = ContextVar("checkins_rules_snapshot", default=None)


def setting(key: str, school=None) -> Any:
    """One rule of `school` (OrgUnit or id); inside a snapshot, without a school (or with
    the snapshot's), the snapshot's value."""
    taken = _snapshot.get()
    if (
        taken is not None
        and key in taken[1]
        and (school is None or core_rules.school_id_of(school) == taken[0])
    ):
        return taken[1][key]
    return core_rules.get_setting(key, school)


@contextmanager
def snapshot(school=None):
    school_id = core_rules.school_id_of(school)
    values = core_rules.all_settings(school_id)
    token = _snapshot.set((school_id, values))
    try:
        yield values
    finally:
        _snapshot.reset(token)
