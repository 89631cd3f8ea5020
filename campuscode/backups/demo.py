"""The demo's backups: one backup of the demo school and one verified restore of it, so the
status page (itadmin) shows real figures from the first start."""

from datetime import datetime

from django.db import connection

from campuscode.backups.models import Trigger
from campuscode.backups.services import BackupRefused, create_backup
from campuscode.backups.verification import run_verified_restore
from campuscode.people.models import OrgUnit


def load_demo(*, school: OrgUnit, now: datetime) -> list[str]:
    if connection.in_atomic_block:
        # Loaded inside a transaction (the test suite): a backup reads committed rows only,
        # so it would hold none of the demo; the status page then says there is none.
        return []
    try:
        create_backup(actor=None, trigger=Trigger.DEMO)
    except BackupRefused:  # e.g. PostgreSQL without pg_dump: the page says there is none
        return []
    record = run_verified_restore(trigger=Trigger.DEMO)
    return [
        "Backups (itadmin): /backups/ — last backup, off-site copy, RPO now, the verified "
        f"restore ({record.get_state_display()}, restore {record.restore_seconds or 0:.1f} s); "
        "`campuscode verify-restore`, `campuscode check-backups`"
    ]
