"""Writes of the core app: the school rules an admin changes on /settings/."""

from typing import Any

from django.db import transaction

from campuscode.audit.services import log_action
from campuscode.core.rules import store_settings


def change_school_rules(
    *, school, changes: dict[str, dict[str, Any]], actor, client_ip: str | None
) -> None:
    """Store the changed rules of `school` (already validated by the settings form, each
    {"from": old, "to": new}) and write one audit entry; nothing when nothing changed."""
    if not changes:
        return
    with transaction.atomic():
        store_settings(
            values={key: change["to"] for key, change in changes.items()},
            user=actor,
            school=school,
        )
        log_action(
            action="core.settings.changed",
            actor=actor,
            client_ip=client_ip,
            data={"school": school.pk, **changes},
        )
