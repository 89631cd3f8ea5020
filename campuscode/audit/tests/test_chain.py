import pytest
from django.core.management import call_command

from campuscode.audit.models import AuditEntry
from campuscode.audit.services import log_action, purge_allowed, verify_chain

pytestmark = pytest.mark.django_db


def as_database_owner():
    """Someone with the database owner's rights: past the append-only trigger (they could
    as well drop it), but without the audit key, which lives outside the database."""
    return purge_allowed()


def _entries(n, student):
    return [
        log_action(action="people.profile.viewed", subject=student, data={"i": i}) for i in range(n)
    ]


def test_entries_chain_to_each_other(student):
    entries = _entries(3, student)
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    assert verify_chain().ok and verify_chain().checked == 3


def test_verify_audit_finds_an_altered_row(student, capsys):
    entries = _entries(4, student)
    with as_database_owner():
        AuditEntry.objects.filter(pk=entries[2].pk).update(action="people.nothing")
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    assert f"BROKEN at entry #{entries[2].pk}" in capsys.readouterr().out


def test_verify_audit_finds_a_removed_row(student):
    entries = _entries(4, student)
    with as_database_owner():
        AuditEntry.objects.filter(pk=entries[1].pk).delete()
    report = verify_chain()
    assert (report.ok, report.broken_at) == (False, entries[2].pk)


def test_verify_audit_finds_removed_newest_rows(student):
    entries = _entries(3, student)
    with as_database_owner():
        AuditEntry.objects.filter(pk=entries[2].pk).delete()
    assert not verify_chain().ok


def test_an_intact_log_passes(student, capsys):
    _entries(2, student)
    call_command("verify_audit")
    assert "intact: 2 entries" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain(student):
    """Two threads appending at once must still chain in order (head row lock / IMMEDIATE)."""
    import threading

    from django.db import connection

    log_action(action="audit.test.first", subject=student)
    errors = []

    def write(n):
        try:
            for i in range(15):
                log_action(action="audit.test.concurrent", data={"thread": n, "i": i})
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify_chain()
    assert (report.ok, report.checked) == (True, 46)
