"""A scan reads the person's colour in the same query as the person (codes.status.ColourSQL),
not through the status providers the code page asks. Over many generated histories of
check-ins, corrections, health-office statuses and isolations, the gate must see exactly
the colour the person's code page shows."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campuscode.audit.services import purge_allowed
from campuscode.checkins.models import Checkin, CheckinPoint, ManualStatus
from campuscode.codes.status import current_status
from campuscode.codes.tokens import Colour
from campuscode.followup.models import Isolation
from campuscode.gates.models import GateEvent
from campuscode.gates.tests.conftest import code_for, verify

pytestmark = pytest.mark.django_db

colours = st.sampled_from([Colour.GREEN, Colour.YELLOW, Colour.RED])
minutes_ago = st.integers(min_value=1, max_value=3 * 24 * 60)
histories = st.fixed_dictionaries(
    {
        # (colour, minutes ago, superseded by a correction)
        "checkins": st.lists(st.tuples(colours, minutes_ago, st.booleans()), max_size=4),
        # (colour, minutes ago, cleared by the health office)
        "manual": st.lists(st.tuples(colours, minutes_ago, st.booleans()), max_size=3),
        # (first day relative to today, ended), or none
        "isolation": st.none() | st.tuples(st.integers(-3, 2), st.booleans()),
    }
)


def build(person, point, history) -> None:
    now, today = timezone.now(), timezone.localdate()
    for slot, (colour, ago, superseded) in enumerate(history["checkins"]):
        Checkin.objects.create(
            person=person, point=point, at=now - timedelta(minutes=ago),
            day=today - timedelta(days=slot), period="morning", temperature="36.5",
            colour=colour, reason="normal", via="screen", idempotency_key=f"k{slot}",
            superseded_at=now if superseded else None,
        )  # fmt: skip
    for colour, ago, cleared in history["manual"]:
        ManualStatus.objects.create(
            person=person, colour=colour, reason="复查", set_at=now - timedelta(minutes=ago),
            cleared_at=now if cleared else None,
        )  # fmt: skip
    if history["isolation"] is not None:
        starts, ended = history["isolation"]
        Isolation.objects.create(
            person=person, kind="home", place="宿舍", reason="密接",
            starts_on=today + timedelta(days=starts), ends_on=today + timedelta(days=7),
            created_at=now, ended_at=now if ended else None,
        )  # fmt: skip


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories)
def test_a_scan_sees_the_colour_the_code_page_shows(client, tree, device_token, student, history):
    with purge_allowed():  # past the check-in table's guard (PostgreSQL)
        for model in (Checkin, ManualStatus, Isolation, GateEvent):
            model.objects.all().delete()  # one database for all examples of this test
    point = CheckinPoint.objects.get_or_create(campus=tree.main_campus, name="南门测温点")[0]
    build(student, point, history)
    expected = current_status(student).colour

    body = verify(client, device_token, code_for(student, Colour.GREEN)).json()

    assert GateEvent.objects.get().colour == expected
    assert (body["allowed"], body["reason"], body["notice"]) == {
        Colour.GREEN: (True, "ok", ""),
        Colour.YELLOW: (True, "ok", "yellow"),
        Colour.RED: (False, "red_status", ""),
    }[expected]
