"""The big-school generator of bench/bigschool.py, run small on the test database, and the
consecutive-miss detector on what it wrote (issue 12, R6.4)."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bench.bigschool_data import Plan, generate
from campuscode.anomalies.detectors import (
    could_miss,
    detect_missed_checkins,
    missed_runs,
    school_days,
)
from campuscode.checkins.models import Checkin, WindowNotice
from campuscode.gates.models import GateEvent
from campuscode.people.models import OrgUnit, Person, PersonStateChange

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the generator writes by PostgreSQL's COPY: run the suite with "
        "DATABASE_URL=postgres://… to include it",
    ),
]

# A Tuesday afternoon with no public holiday in the 25 days before it; the morning
# window has closed, the afternoon one is open.
NOW = datetime(2026, 3, 10, 13, 30, tzinfo=timezone.get_default_timezone())


@pytest.fixture
def school():
    return generate(Plan(people=200, days=25, seed=5, gate_per_day=0.5), now=NOW)


def test_it_writes_the_people_their_history_and_a_year_of_rows_in_small(school):
    assert Person.objects.filter(school_id=school.school_id).count() == 200 == school.people
    assert Person.objects.filter(kind="staff").count() == 20
    classes = OrgUnit.objects.filter(kind=OrgUnit.Kind.CLASS)
    assert classes.count() == 5  # 180 students in classes of 40
    assert PersonStateChange.objects.count() == 200 + len(school.suspended)
    assert Checkin.objects.count() == school.checkins
    # Two windows a day for 25 days (today's afternoon open: only those already in),
    # less the planted misses and the odd miss.
    assert 0.85 * 200 * 49 <= school.checkins < 200 * 50
    assert not Checkin.objects.filter(day=NOW.date(), period="afternoon", at__gte=NOW).exists()
    assert (
        Checkin.objects.filter(
            person_id__in=school.missers, day__gte=school.miss_window_days[0]
        ).count()
        == 0
    )
    # 100 passages a day from 06:00 to 23:00, none after NOW.
    assert GateEvent.objects.count() == school.gate_events
    assert 2400 < school.gate_events < 2500
    assert not GateEvent.objects.filter(at__gte=NOW).exists()
    assert set(Person.objects.filter(pk__in=school.suspended).values_list("state", flat=True)) == {
        "suspended"
    }
    assert not WindowNotice.objects.exists()  # no public holiday in these 25 days


def test_the_detector_finds_the_planted_misses_and_not_the_suspended(school):
    hits = detect_missed_checkins(school_id=school.school_id, now=NOW)
    found = {hit.person_id for hit in hits}
    assert set(school.missers) <= found
    assert not found & set(school.suspended)
    for hit in hits:
        if hit.person_id in school.missers:
            assert hit.days == school.miss_window_days


def test_its_bound_drops_no_hit(school):
    """could_miss only narrows whom school_days reads: the hits are those of school_days
    over everyone (the detector before the bound)."""
    last = NOW.date()
    first = last - timedelta(days=20)
    people = Person.objects.filter(school_id=school.school_id)
    everyone = school_days(people=people, first=first, last=last, now=NOW)
    expected = sorted(
        (pk, run) for pk, states in everyone.items() for run in missed_runs(states, 3)
    )
    hits = detect_missed_checkins(school_id=school.school_id, now=NOW)
    assert sorted((hit.person_id, hit.days) for hit in hits) == expected
    candidates = could_miss(people, first=first, last=last, n=3)
    assert {pk for pk, _run in expected} <= set(candidates)
    assert len(candidates) < 200 / 2  # and it does narrow
