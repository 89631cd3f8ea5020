"""The demo's backups: a first backup of the demo school and a verified restore of it,
queued for the background worker (they would add seconds to the demo's start), so the
status page (itadmin) shows real figures, and their progress, right after the start."""

import logging
from datetime import datetime

from django.conf import settings
from django.db import connection

from campuscode.people.models import OrgUnit

log = logging.getLogger(__name__)


def load_demo(*, school: OrgUnit, now: datetime) -> list[str]:
    if connection.in_atomic_block:
        # Loaded inside a transaction (the test suite): a backup reads committed rows only,
        # so it would hold none of the demo; the status page then says there is none.
        return []
    from campuscode.backups.tasks import demo_backup_task

    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Tasks run inline (the test suite's setting): the backup would hold up the start.
        log.info("demo backup skipped: Celery tasks run eagerly")
    else:
        try:
            demo_backup_task.delay()
        except Exception as error:  # no broker (loaded outside `campuscode demo`)
            log.info("demo backup not queued: %s", error)
    return [
        "Backups (itadmin): /backups/ — last backup, off-site copy, RPO now, verified "
        "restores (a first backup and check run in the background at the first start); "
        "`campuscode verify-restore`, `campuscode check-backups`"
    ]
