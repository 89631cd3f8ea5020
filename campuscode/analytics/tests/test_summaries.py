"""The summary tables: a refresh equals a fresh count of the raw tables, and running it
again changes nothing (R6.3)."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from campuscode.analytics.models import DailyUnitSummary, GateHourSummary
from campuscode.analytics.summaries import refresh_summaries
from campuscode.checkins.tally import trend
from campuscode.people.models import Person

from .conftest import FIRST, TODAY

pytestmark = pytest.mark.django_db

FIELDS = ("expected", "green", "yellow", "red", "excused", "missed", "pending")


def rows():
    return sorted(
        (
            {k: v for k, v in model_to_dict(row).items() if k not in ("id", "refreshed_at")}
            for row in DailyUnitSummary.objects.all()
        ),
        key=lambda row: (row["unit"], row["day"]),
    )


def test_it_equals_a_raw_recount_and_a_rerun_changes_nothing(school, roles):
    refresh_summaries(since=FIRST, until=TODAY)
    first = rows()
    raw = {d.day: d for d in trend(people=Person.objects.all(), end=TODAY, days=3).days}
    for day in (FIRST, FIRST + timedelta(days=1), TODAY):
        summed = DailyUnitSummary.objects.filter(day=day)
        for name in FIELDS:
            assert sum(getattr(r, name) for r in summed) == getattr(raw[day], name), (day, name)
    refresh_summaries(since=FIRST, until=TODAY)
    assert rows() == first


def test_it_counts_one_class_by_hand(school):
    refresh_summaries(since=FIRST, until=TODAY)
    monday, tuesday, today = (
        DailyUnitSummary.objects.get(unit=school.tree.cs_2501, day=FIRST + timedelta(days=n))
        for n in range(3)
    )
    # Six people, two windows: s1 s4 s5 s6 check in (s4 registered by staff once), s2 is
    # excused (observation), s3 misses.
    assert (monday.people, monday.expected, monday.green, monday.excused, monday.isolated) == (
        6,
        12,
        8,
        2,
        2,
    )
    assert (monday.missed, monday.manual, monday.fever) == (2, 1, 0)
    assert (tuesday.yellow, tuesday.fever, tuesday.symptomatic) == (1, 1, 1)
    assert tuesday.symptoms == {"cough": 1, "fever": 1}
    # Today: the morning is closed (s3 missed), the afternoon still open; s2 is excused from both.
    assert (today.green, today.missed, today.excused, today.pending) == (4, 1, 2, 5)


def test_a_late_checkin_is_counted_by_the_next_refresh(school):
    refresh_summaries(since=FIRST, until=TODAY)
    s3 = school.cs1[2]
    school.check_in(s3, FIRST, "morning", via="makeup")
    refresh_summaries(since=FIRST, until=FIRST)
    monday = DailyUnitSummary.objects.get(unit=school.tree.cs_2501, day=FIRST)
    assert (monday.missed, monday.makeup, monday.green) == (1, 1, 9)


def test_the_command_refreshes_a_range_and_says_how_many_rows(school, capsys):
    from campuscode.gates.models import GateEvent, Place
    from campuscode.gates.services import register_gate

    place = Place.objects.create(campus=school.tree.main_campus, name="南门", kind="campus_gate")
    gate, _token = register_gate(place=place, name="南门1")
    for n, (direction, allowed) in enumerate(
        [("in", True), ("in", True), ("out", True), ("in", False)]
    ):
        GateEvent.objects.create(
            gate=gate,
            place=place,
            direction=direction,
            person=school.cs1[0],
            at=f"2026-03-03 07:{10 + n}:00+08:00",
            allowed=allowed,
            reason="ok" if allowed else "red_code",
            nonce=f"n{n}",
        )
    call_command("refresh-summaries", "--since", "2026-03-02", "--until", "2026-03-04")
    assert "summary rows for 2026-03-02 – 2026-03-04" in capsys.readouterr().out
    hour = GateHourSummary.objects.get(place=place)
    assert (hour.day.isoformat(), hour.hour, hour.entries, hour.exits, hour.refused) == (
        "2026-03-03",
        7,
        2,
        1,
        1,
    )
    call_command("refresh-summaries", "--since", "2026-03-02", "--until", "2026-03-04")
    assert GateHourSummary.objects.count() == 1
    assert DailyUnitSummary.objects.filter(day__gte=FIRST).count() == 3 * 3


def test_the_command_refuses_a_bad_date(school):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a date"):
        call_command("refresh-summaries", "--since", "yesterday")


def test_the_grouped_tally_equals_the_lists_tally_unit_by_unit(school, roles):
    from campuscode.analytics.tally import trend_by_unit

    grouped = trend_by_unit(people=Person.objects.all(), first=FIRST, last=TODAY)
    tree = school.tree
    units = {p.org_unit for p in Person.objects.select_related("org_unit")}
    assert {tree.cs_2501, tree.cs_2502, tree.en_2501, tree.cs} <= units
    for unit in units:
        alone = trend(people=Person.objects.filter(org_unit=unit), end=TODAY, days=3).days
        assert [grouped[unit.pk][d.day] for d in alone] == alone, unit.name


def test_the_dashboard_figures_of_every_subtree_equal_a_raw_recount(school, roles):
    """figures_for groups the summary rows by unit id (no join on the unit paths): for
    every unit, its days and each row under it equal the check-ins counted afresh from the
    raw tables for the same people, and the summary rows summed by path."""
    from campuscode.analytics.selectors import SUMMED, figures_for
    from campuscode.people.models import OrgUnit

    refresh_summaries(since=FIRST, until=TODAY)
    units = list(OrgUnit.objects.filter(path__startswith=school.tree.school.path))
    assert len(units) > 5
    assert figures_for(school.tree.school, FIRST, TODAY).total.expected > 0
    for unit in units:
        board = figures_for(unit, FIRST, TODAY)
        groups = [(board.by_day, Person.objects.filter(org_unit__path__startswith=unit.path))]
        for row in board.rows:
            own = Person.objects.filter(org_unit=unit)
            under = Person.objects.filter(org_unit__path__startswith=row.unit.path)
            groups.append((row.by_day, own if row.own else under))
        for by_day, people in groups:
            raw = {d.day: d for d in trend(people=people, end=TODAY, days=3).days}
            for day in board.days:
                for name in FIELDS:
                    assert getattr(by_day[day], name) == getattr(raw[day], name), (unit, day, name)
        for day in board.days:
            summed = DailyUnitSummary.objects.filter(unit__path__startswith=unit.path, day=day)
            for name in SUMMED:
                assert getattr(board.by_day[day], name) == pytest.approx(
                    sum(getattr(r, name) for r in summed)
                ), (unit, day, name)
            symptoms = Counter()
            for r in summed:
                symptoms.update(r.symptoms)
            assert board.by_day[day].symptoms == symptoms
