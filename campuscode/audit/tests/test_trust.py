"""Issue 8, hole 6: the audit chain cannot be rewritten by someone with database access
only (keyed chain, signed anchors outside the database, a trigger on PostgreSQL), and the
retention purge keeps it verifiable."""

import hashlib
import json
import os
import stat

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from campuscode.audit import anchors
from campuscode.audit.models import AuditEntry, AuditHead
from campuscode.audit.services import GENESIS, log_action, purge_allowed, verify_chain
from campuscode.core.rules import SPECS, set_setting
from campuscode.people.models import Person, Role
from conftest import sign_in

pytestmark = pytest.mark.django_db


def _entries(n, student):
    return [
        log_action(action="people.profile.viewed", subject=student, data={"i": i}) for i in range(n)
    ]


def _sha256(entry: AuditEntry) -> str:
    """The link as the unkeyed chain computed it: what anyone can recompute."""
    body = json.dumps(
        [
            entry.prev_hash,
            entry.at.isoformat(),
            entry.actor_id,
            entry.actor_label,
            entry.action,
            entry.subject_id,
            entry.subject_label,
            entry.data,
            entry.ip,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _rechain(*, downgrade: bool = False) -> None:
    """What an intruder with database write access does after editing rows: recompute
    every link with plain SHA-256 and move the head, so the old verification passes."""
    prev = GENESIS
    with purge_allowed():  # the database owner can pass (or drop) the trigger
        for entry in AuditEntry.objects.order_by("pk"):
            entry.prev_hash = prev
            entry.hash = _sha256(entry)
            fields = {"prev_hash": entry.prev_hash, "hash": entry.hash}
            if downgrade:
                fields["scheme"] = AuditEntry.Scheme.LEGACY
            AuditEntry.objects.filter(pk=entry.pk).update(**fields)
            prev = entry.hash
        last = AuditEntry.objects.order_by("-pk").first()
        AuditHead.objects.filter(pk=1).update(last_hash=prev, last_id=last.pk)


def test_it_finds_a_row_edited_and_rechained_with_plain_sha256(student):
    entries = _entries(4, student)
    with purge_allowed():
        AuditEntry.objects.filter(pk=entries[1].pk).update(action="people.nothing")
    _rechain()
    report = verify_chain()
    assert (report.ok, report.broken_at) == (False, entries[0].pk)
    assert "altered" in report.problem


def test_it_finds_a_chain_rewritten_as_unkeyed_through_the_first_anchor(
    student, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        entries = _entries(3, student)  # the first keyed entry is anchored on commit
    assert [d.row_id for d in anchors.load(anchors.ANCHOR)] == [entries[-1].pk]
    with purge_allowed():
        AuditEntry.objects.filter(pk=entries[0].pk).update(data={"i": 99})
    _rechain(downgrade=True)
    report = verify_chain()
    assert (report.ok, report.broken_at) == (False, entries[-1].pk)
    assert "anchor" in report.problem


def test_a_deleted_tail_is_found_through_the_anchor(student, capsys):
    entries = _entries(5, student)
    call_command("anchor_audit")
    assert f"anchored entry #{entries[-1].pk} (5 entries)" in capsys.readouterr().out
    with purge_allowed():
        AuditEntry.objects.filter(pk__gte=entries[3].pk).delete()
        # A careful intruder also moves the head back: the database alone looks whole.
        AuditHead.objects.filter(pk=1).update(last_hash=entries[2].hash, last_id=entries[2].pk)
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    out = capsys.readouterr().out
    assert f"BROKEN at entry #{entries[-1].pk}" in out and "pinned by the anchor" in out


def test_anchors_are_signed_files_outside_the_database(student, settings):
    _entries(2, student)
    call_command("anchor_audit")
    folder = settings.ANCHOR_DIR
    (path,) = folder.glob("anchor-*.json")
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    body = json.loads(path.read_text())
    assert body["count"] == 2 and body["sig"]
    body["last_hash"] = "0" * 64  # forged without the signing key
    path.write_text(json.dumps(body))
    report = verify_chain()
    assert not report.ok and "signature" in report.problem


def test_the_key_lives_outside_the_database_and_is_made_private(student, settings):
    _entries(1, student)
    key = settings.CODE_KEYS_DIR / "audit-chain.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    key.unlink()  # the key is gone: nothing keyed can be vouched for
    from campuscode.audit import keys

    keys.forget()
    report = verify_chain()
    assert not report.ok and "missing" in report.problem


def test_a_log_that_started_unkeyed_verifies_and_stays_sealed(student):
    """Rows from before the upgrade keep their SHA-256; the first keyed row seals them."""
    prev = GENESIS
    legacy = []
    for i in range(3):
        entry = AuditEntry(
            at=timezone.now(),
            action="people.profile.viewed",
            subject=student,
            subject_label=str(student),
            data={"old": i},
            prev_hash=prev,
            scheme=AuditEntry.Scheme.LEGACY,
        )
        entry.hash = _sha256(entry)
        entry.save()
        legacy.append(entry)
        prev = entry.hash
    AuditHead.objects.create(pk=1, last_hash=prev, last_id=legacy[-1].pk)
    keyed = _entries(2, student)
    assert keyed[0].prev_hash == prev
    assert verify_chain().ok and verify_chain().checked == 5
    with purge_allowed():
        AuditEntry.objects.filter(pk=legacy[1].pk).update(data={"old": 42})
    # The intruder recomputes the unkeyed part; the keyed row after it cannot be.
    prev = GENESIS
    with purge_allowed():
        for entry in AuditEntry.objects.filter(scheme=AuditEntry.Scheme.LEGACY).order_by("pk"):
            entry.prev_hash = prev
            entry.hash = _sha256(entry)
            AuditEntry.objects.filter(pk=entry.pk).update(prev_hash=prev, hash=entry.hash)
            prev = entry.hash
    report = verify_chain()
    assert (report.ok, report.broken_at) == (False, keyed[0].pk)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET action = 'people.nothing'",
        "DELETE FROM audit_auditentry",
        "UPDATE checkins_checkin SET temperature = 35.9",
        "UPDATE checkins_checkin SET day = day - 1",
        "DELETE FROM checkins_checkin",
    ],
)
def test_the_database_refuses_to_change_audit_rows_and_checkins(student, sql):
    from campuscode.checkins.tests.test_integrity import stored_checkin

    _entries(2, student)
    stored_checkin(student)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEntry.objects.count() == 2 and verify_chain().ok


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_database_lets_a_correction_mark_the_earlier_checkin(student):
    from campuscode.checkins.tests.test_integrity import stored_checkin

    checkin = stored_checkin(student)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE checkins_checkin SET superseded_at = now() WHERE id = %s", [checkin.pk]
        )
    checkin.refresh_from_db()
    assert checkin.superseded_at is not None


def test_the_purge_keeps_the_chain_verifiable(student, time_machine, capsys):
    time_machine.move_to("2026-01-10 09:00 +0800", tick=False)
    old = _entries(3, student)
    call_command("anchor_audit")  # an anchor about rows the purge will remove
    time_machine.move_to("2026-06-05 09:00 +0800", tick=False)
    kept = _entries(2, student)
    call_command("anchor_audit")
    time_machine.move_to("2026-07-20 09:00 +0800", tick=False)  # 6 months after January

    call_command("purge_audit")

    assert "removed 3 entries" in capsys.readouterr().out
    assert not AuditEntry.objects.filter(pk__in=[e.pk for e in old]).exists()
    purge = AuditEntry.objects.get(action="audit.log.purged")
    assert (purge.data["purged"], purge.data["first_kept"]) == (3, kept[0].pk)
    (checkpoint,) = anchors.load(anchors.CHECKPOINT)
    assert checkpoint.payload["prev_hash"] == old[-1].hash
    report = verify_chain()
    assert (report.ok, report.checked, report.start) == (True, 3, "checkpoint")
    assert report.anchors_checked == 1
    # Removing one more row than the purge did is still found.
    with purge_allowed():
        AuditEntry.objects.filter(pk=kept[0].pk).delete()
    report = verify_chain()
    assert not report.ok and "without a signed purge checkpoint" in report.problem


def test_the_purge_keeps_at_least_six_months_and_refuses_a_broken_chain(student, time_machine):
    time_machine.move_to("2026-01-10 09:00 +0800", tick=False)
    entries = _entries(3, student)
    time_machine.move_to("2026-07-05 09:00 +0800", tick=False)  # not yet 6 months
    _entries(1, student)
    call_command("purge_audit")
    assert AuditEntry.objects.filter(pk=entries[0].pk).exists()
    with pytest.raises(ValidationError):
        SPECS["audit_retention_months"].clean("3")
    time_machine.move_to("2026-08-05 09:00 +0800", tick=False)
    with purge_allowed():
        AuditEntry.objects.filter(pk=entries[1].pk).update(action="people.nothing")
    with pytest.raises(SystemExit):
        call_command("purge_audit")
    assert AuditEntry.objects.filter(pk=entries[0].pk).exists()  # nothing laundered
    set_setting(key="audit_retention_months", value=12)
    with purge_allowed():
        AuditEntry.objects.filter(pk=entries[1].pk).update(action="people.profile.viewed")
    call_command("purge_audit")
    assert AuditEntry.objects.filter(pk=entries[0].pk).exists()


def test_the_audit_page_shows_the_anchors_and_their_state(client, tree, student):
    staff = tree.person("孙督导", tree.hr_office, kind=Person.Kind.STAFF, number="T0031")
    auditor = tree.account("", (Role.SUPERVISION, tree.school), person=staff)
    entries = _entries(2, student)
    call_command("anchor_audit")
    _entries(1, student)
    call_command("anchor_audit")
    sign_in(client, auditor)
    page = client.get("/audit/").content.decode()
    assert page.count('data-state="ok"') == 2
    with purge_allowed():
        AuditEntry.objects.filter(pk=entries[1].pk).update(hash="f" * 64)
    page = client.get("/audit/").content.decode()
    assert 'data-state="mismatch"' in page and 'data-state="ok"' in page
