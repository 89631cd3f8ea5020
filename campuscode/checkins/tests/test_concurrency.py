"""Two submissions with the same idempotency key at the same moment store one record.

Runs with real transactions (transaction=True) on SQLite and PostgreSQL alike.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from campuscode.checkins.models import Checkin
from campuscode.checkins.services import Answers, submit_checkin

pytestmark = pytest.mark.django_db(transaction=True)


def _submit(person, point, key, results, barrier):
    try:
        barrier.wait()
        outcome = submit_checkin(
            person=person,
            point=point,
            via="screen",
            idempotency_key=key,
            answers=Answers(temperature=Decimal("36.6"), symptoms=[]),
            correction_reason="重新测量",
        )
        results.append(outcome)
    finally:
        connection.close()


def _race(person, point, keys):
    results: list = []
    barrier = threading.Barrier(len(keys))
    threads = [
        threading.Thread(target=_submit, args=(person, point, key, results, barrier))
        for key in keys
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_concurrent_submissions_with_one_key_store_one_record(student, point, morning):
    results = _race(student, point, ["same-key", "same-key"])
    assert len(results) == 2 and all(r.ok for r in results)
    assert Checkin.objects.count() == 1
    assert sorted(r.created for r in results) == [False, True]
    assert {r.checkin.pk for r in results} == {Checkin.objects.get().pk}


def test_two_concurrent_corrections_leave_one_effective_checkin(student, point, morning):
    _race(student, point, ["key-a", "key-b"])
    assert Checkin.objects.count() == 2
    assert Checkin.objects.effective().count() == 1
