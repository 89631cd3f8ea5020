"""Two approvers deciding the same make-up at the same moment: one decision, one check-in.
Real transactions (transaction=True), on SQLite and PostgreSQL alike."""

import threading
from datetime import datetime
from decimal import Decimal

import pytest
from django.db import connection

from campuscode.checkins.models import Checkin
from campuscode.checkins.services import Answers
from campuscode.followup import services
from campuscode.followup.models import MakeupRequest

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_approvers_at_once_decide_a_makeup_once(student, adviser, dept_admin, time_machine):
    time_machine.move_to("2026-03-02 11:00 +0800", tick=False)
    makeup = services.request_makeup(
        person=student,
        day=datetime(2026, 3, 2).date(),
        period="morning",
        answers=Answers(temperature=Decimal("36.6"), symptoms=[]),
        reason="手机没电",
        idempotency_key="k",
    ).obj
    results: list = []
    barrier = threading.Barrier(2)

    def approve(user):
        try:
            barrier.wait()
            results.append(services.decide(kind="makeup", pk=makeup.pk, user=user, approve=True))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (adviser, dept_admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(str(r.refusal) for r in results) == ["None", "not_pending"]
    assert Checkin.objects.count() == 1
    assert MakeupRequest.objects.get().checkin == Checkin.objects.get()
