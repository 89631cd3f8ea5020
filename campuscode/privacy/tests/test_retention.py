"""Retention (PIPL Art. 19): `campuscode purge-expired` deletes health records past the
school's setting, de-identifies old entries/exits, keeps what is still needed (open cases,
current isolations), prints its progress and writes one audit entry per run."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from campuscode.audit.models import AuditEntry
from campuscode.checkins.models import Checkin, Flag
from campuscode.core.rules import set_setting
from campuscode.followup.models import (
    CaseEvent,
    CaseState,
    FollowupCase,
    Isolation,
    IsolationReport,
)
from campuscode.gates.models import GateEvent
from campuscode.people.models import OrgUnit
from campuscode.privacy.models import RetentionRun

from .conftest import NOW, at, checkin, gate_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def history(student, point, gate, media):
    """Records of 2026 January (old) and August (recent), seen from 2026-09-01."""
    old = checkin(student, point, "2026-01-05 08:00")
    Flag.objects.create(checkin=old, reason="not_opened")
    recent = checkin(student, point, "2026-08-20 08:00")
    # An old fever whose case is still open: the check-in belongs to the case.
    fever = checkin(student, point, "2026-01-06 08:00", temperature=Decimal("38.5"))
    open_case = FollowupCase.objects.create(
        person=student, trigger="fever", checkin=fever, opened_at=at("2026-01-06 08:00")
    )
    closed = FollowupCase.objects.create(
        person=student,
        trigger="manual",
        state=CaseState.CLOSED,
        opened_at=at("2026-01-02 09:00"),
        closed_at=at("2026-01-10 09:00"),
    )
    event = CaseEvent.objects.create(case=closed, kind="progress", at=at("2026-01-03 09:00"))
    event.attachment.save("note.jpg", ContentFile(b"\xff\xd8\xff photo"), save=True)
    ended = Isolation.objects.create(
        person=student,
        kind="observation",
        place="宿舍",
        reason="密接",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 1, 7),
        created_at=at("2026-01-01 09:00"),
        ended_at=at("2026-01-08 09:00"),
    )
    IsolationReport.objects.create(
        isolation=ended,
        day=date(2026, 1, 2),
        slot=0,
        at=at("2026-01-02 08:00"),
        temperature=Decimal("36.6"),
    )
    current = Isolation.objects.create(
        person=student,
        kind="isolation",
        place="隔离点",
        reason="确诊",
        starts_on=date(2026, 1, 20),
        ends_on=date(2026, 2, 3),
        created_at=at("2026-01-20 09:00"),
    )
    IsolationReport.objects.create(
        isolation=current,
        day=date(2026, 1, 21),
        slot=0,
        at=at("2026-01-21 08:00"),
        temperature=Decimal("37.0"),
    )
    old_pass = gate_event(student, gate, "2026-01-05 07:50")
    new_pass = gate_event(student, gate, "2026-08-20 07:50")
    return {
        "old": old, "recent": recent, "fever": fever, "open_case": open_case,
        "closed": closed, "file": event.attachment.path, "ended": ended, "current": current,
        "old_pass": old_pass, "new_pass": new_pass,
    }  # fmt: skip


def purge(*args) -> str:
    out = StringIO()
    call_command("purge_expired", *args, stdout=out)
    return out.getvalue()


def test_it_deletes_old_health_records_and_keeps_what_is_still_needed(history, time_machine):
    import os

    time_machine.move_to(NOW, tick=False)
    assert os.path.exists(history["file"])
    output = purge()

    remaining = set(Checkin.objects.values_list("pk", flat=True))
    assert remaining == {history["recent"].pk, history["fever"].pk}
    assert not Flag.objects.exists()
    assert list(FollowupCase.objects.all()) == [history["open_case"]]
    assert not CaseEvent.objects.exists()
    assert not os.path.exists(history["file"])  # the photo went from the disk too
    assert list(Isolation.objects.all()) == [history["current"]]
    assert IsolationReport.objects.get().isolation == history["current"]

    # Entries and exits are kept without the person.
    old_pass = GateEvent.objects.get(pk=history["old_pass"].pk)
    assert (old_pass.person, old_pass.token_fp, old_pass.colour) == (None, "", "")
    assert (old_pass.place_id, old_pass.allowed, old_pass.reason) == (
        history["old_pass"].place_id, True, "ok",
    )  # fmt: skip
    assert GateEvent.objects.get(pk=history["new_pass"].pk).person_id is not None

    entry = AuditEntry.objects.get(action="privacy.retention.purged")
    counts = entry.data["counts"]
    assert counts["checkins"] == 1 and counts["checkin_flags"] == 1
    assert counts["followup_cases"] == 1 and counts["case_events"] == 1
    assert counts["attachments"] == 1
    assert counts["isolations"] == 1 and counts["isolation_reports"] == 1
    assert counts["gate_events"] == 1
    days = {"health_days": 180, "gate_days": 180}
    assert entry.data["cutoffs"] == {
        **days,
        "schools": {str(OrgUnit.objects.get(kind="school").pk): days},
    }
    assert "checkins: 1 processed" in output and "gate_events: 1 processed" in output
    run = RetentionRun.objects.get()
    assert run.finished_at is not None and run.counts == counts

    # A second run finds nothing to do, and says so in its own single entry.
    purge()
    second = AuditEntry.objects.filter(action="privacy.retention.purged").order_by("pk").last()
    assert sum(second.data["counts"].values()) == 0
    assert AuditEntry.objects.filter(action="privacy.retention.purged").count() == 2


def test_a_dry_run_counts_and_changes_nothing(history, time_machine):
    time_machine.move_to(NOW, tick=False)
    output = purge("--dry-run")
    assert Checkin.objects.count() == 3
    assert GateEvent.objects.filter(person__isnull=False).count() == 2
    assert FollowupCase.objects.count() == 2
    assert "checkins: 1 would be processed" in output
    assert "followup_cases: 1 would be processed" in output
    assert not AuditEntry.objects.filter(action="privacy.retention.purged").exists()


def test_the_school_setting_decides_the_age(history, time_machine):
    time_machine.move_to(NOW, tick=False)
    set_setting(key="privacy_retention_days", value=365)
    set_setting(key="privacy_gate_retention_days", value=365)
    purge()
    assert Checkin.objects.count() == 3
    assert GateEvent.objects.filter(person__isnull=False).count() == 2
    set_setting(key="privacy_retention_days", value=200)
    purge()
    assert Checkin.objects.count() == 2  # the open case's check-in stays


def test_a_retention_below_the_minimum_is_refused_on_the_settings_page(client, sysadmin):
    from campuscode.core.rules import SPECS, get_setting
    from conftest import sign_in

    sign_in(client, sysadmin)
    values = {key: spec.default for key, spec in SPECS.items() if spec.kind is not bool}
    response = client.post("/settings/", {**values, "privacy_retention_days": "10"})
    assert response.status_code == 400
    assert get_setting("privacy_retention_days") == 180


def test_the_nightly_job_is_scheduled(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["privacy.purge_expired"]
    assert entry["task"] == "privacy.purge_expired"
    assert entry["schedule"].hour == {3}
