"""A per-row MAC of each health check-in (issue 8, hole 6).

HMAC-SHA256 under the audit key kept outside the database (campuscode.audit.keys), over
what identifies the check-in and what the person declared. A row inserted or edited
behind the application's back (a back-dated check-in by raw SQL, a temperature lowered
in the database) has no MAC or a wrong one, and `campuscode verify-records` reports it.

Left out on purpose: `superseded_at` / `superseded_by`, which a correction legitimately
sets on the earlier row (verify-records checks them for consistency instead: the
successor is a later, valid check-in of the same window, made at that very time), and
`recorded_by`, which Django sets to NULL if that account is ever deleted. The row id is
not covered either (it is known only after the INSERT, which would cost a second write
per check-in); the unique (person, idempotency_key) pair that is covered plays its role.
"""

import ipaddress
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

from campuscode.audit.keys import keyed_digest

FIELDS = (
    "person_id", "point_id", "at", "day", "period", "temperature", "symptoms",
    "symptom_detail", "contact", "contact_at", "contact_place", "contact_manner",
    "colour", "reason", "via", "device", "ip", "idempotency_key",
)  # fmt: skip
# Covered only when set, so the MACs of rows written before the field existed still hold;
# removing or adding a reason behind the application's back changes the MAC all the same.
OPTIONAL_FIELDS = ("correction_reason",)
PURPOSE = b"campuscode-checkin-v1"


def _normal(name: str, value):
    """One spelling per value, whether it comes from a form, the ORM or the database."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if name == "temperature":
        return format(Decimal(str(value)).quantize(Decimal("0.1")), "f")
    if name == "ip":
        return str(ipaddress.ip_address(value)) if value else None
    if name == "symptoms":
        return [str(item) for item in value]
    if name in {"person_id", "point_id"}:
        return int(value)
    return str(value)


def checkin_mac(values: Mapping, *, create_key: bool = True) -> str:
    parts = [_normal(name, values.get(name)) for name in FIELDS]
    parts += [[name, str(values[name])] for name in OPTIONAL_FIELDS if values.get(name)]
    body = json.dumps(
        parts,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return keyed_digest(PURPOSE, body.encode(), create=create_key)
