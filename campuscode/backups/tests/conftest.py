"""The backup tests' small school: a person, a check-in, an audit entry, an upload and a
campus code, with every backup folder in the test's own temporary folder."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from campuscode.audit.actions import AuditAction
from campuscode.audit.services import log_action
from campuscode.checkins.models import CheckinPoint, Via
from campuscode.checkins.services import Answers, submit_checkin
from campuscode.codes.tokens import Colour, issue_token

MONDAY_8AM = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai, in the window


@pytest.fixture
def folders(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_KEY_FILE = tmp_path / "keys-backup" / "backup.key"
    settings.BACKUP_OFFSITE_DIR = None
    settings.BACKUP_RESTIC_REPOSITORY = None
    return tmp_path


@pytest.fixture
def school(tree, student, sysadmin, folders):
    """A person, a check-in, an audit entry, an upload, and a campus code signed now."""
    point = CheckinPoint.objects.create(
        campus=tree.main_campus, building="第一教学楼", name="一教东门", kind="teaching"
    )
    outcome = submit_checkin(
        person=student,
        point=point,
        answers=Answers(temperature=Decimal("36.6"), symptoms=[]),
        via=Via.SCREEN,
        idempotency_key="drill-1",
        ip="10.1.2.3",
        now=MONDAY_8AM,
    )
    assert outcome.checkin is not None
    log_action(action=AuditAction.PROFILE_VIEWED, actor=sysadmin, subject=student)
    upload = Path(settings.MEDIA_ROOT) / "attachments" / "proof.jpg"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"\xff\xd8\xff\xe0 a small photo \xff\xd9")
    return {"token": issue_token(person=student, colour=Colour.GREEN), "upload": upload}
