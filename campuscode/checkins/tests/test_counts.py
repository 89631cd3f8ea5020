"""Numbers people can trust (R6.3): who was expected in each window, and every count and
rate of the list page and its export, against answers worked out by hand below.

The class over 14 days (2026-02-27 … 2026-03-12); now is Thursday 2026-03-12 13:00, so
that morning's window (07:00-10:00) has closed and the afternoon one (12:00-15:00) is open.
A holiday notice cancels both windows of 03-07 and 03-08.

  A  on the roll all along; checks in 03-10 morning (green), 03-11 morning (38.2 °C:
     yellow), 03-12 morning (green)
  B  imported 03-10 at 09:00: expected from 03-10; checks in 03-11 afternoon (green)
  C  valid from 03-09
  D  left: valid until 03-05 (record changed 03-06)
  E  suspended on 03-04 (no end date): expected up to 03-03
  F  isolated 03-09, isolation ended 03-10 16:00: excused on 03-09 and 03-10
  G  approved advance report for the mornings of 03-11 and 03-12; checks in anyway on
     03-12 morning (a check-in counts as done, not as excused)

Per day (windows × people expected; green, yellow, excused, missed, not yet due):
  02-27 … 03-03  A D E F G   10 expected, 10 missed
  03-04, 03-05   A D F G      8 expected,  8 missed
  03-06          A F G        6 expected,  6 missed
  03-07, 03-08   holiday      0
  03-09          A C F G      8 expected: 2 excused (F), 6 missed
  03-10          A B C F G   10 expected: 1 green (A), 2 excused (F), 7 missed
  03-11          A B C F G   10 expected: 1 green (B), 1 yellow (A), 1 excused (G), 7 missed
  03-12          A B C F G   10 expected: 2 green (A, G), 3 missed (B C F in the morning),
                             5 not yet due (the afternoon, open)
  14 days: 5 checked, 95 missed → 5 of 100 due → 5 %.
"""

import io
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from campuscode.checkins.models import WindowNotice
from campuscode.followup.models import AdvanceReport, Decision, Isolation
from campuscode.people.models import Person
from conftest import sign_in

from .conftest import check_in

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


DAYS = {  # day: (expected, green, yellow, excused, missed, not yet due)
    "2026-02-27": (10, 0, 0, 0, 10, 0),
    "2026-02-28": (10, 0, 0, 0, 10, 0),
    "2026-03-01": (10, 0, 0, 0, 10, 0),
    "2026-03-02": (10, 0, 0, 0, 10, 0),
    "2026-03-03": (10, 0, 0, 0, 10, 0),
    "2026-03-04": (8, 0, 0, 0, 8, 0),
    "2026-03-05": (8, 0, 0, 0, 8, 0),
    "2026-03-06": (6, 0, 0, 0, 6, 0),
    "2026-03-07": (0, 0, 0, 0, 0, 0),
    "2026-03-08": (0, 0, 0, 0, 0, 0),
    "2026-03-09": (8, 0, 0, 2, 6, 0),
    "2026-03-10": (10, 1, 0, 2, 7, 0),
    "2026-03-11": (10, 1, 1, 1, 7, 0),
    "2026-03-12": (10, 2, 0, 0, 3, 5),
}
# (day, window): expected, checked, excused, missed, not yet due, yellow
WINDOWS = {
    ("2026-03-12", "morning"): (5, 2, 0, 3, 0, 0),
    ("2026-03-12", "afternoon"): (5, 0, 0, 0, 5, 0),
    ("2026-03-11", "morning"): (5, 1, 1, 3, 0, 1),
    ("2026-03-05", "morning"): (4, 0, 0, 4, 0, 0),
    ("2026-03-07", "morning"): (0, 0, 0, 0, 0, 0),
}


@pytest.fixture
def history(tree, adviser, point, time_machine):
    people = {
        "A": tree.person("安同学", tree.cs_2501),
        "B": tree.person("白同学", tree.cs_2501, created_at=at("2026-03-10 09:00")),
        "C": tree.person("陈同学", tree.cs_2501, valid_from=date(2026, 3, 9)),
        "D": tree.person("邓同学", tree.cs_2501),
        "E": tree.person("鄂同学", tree.cs_2501),
        "F": tree.person("范同学", tree.cs_2501),
        "G": tree.person("高同学", tree.cs_2501),
    }
    Person.objects.filter(pk=people["D"].pk).update(
        state=Person.State.LEFT, valid_until=date(2026, 3, 5), updated_at=at("2026-03-06 10:00")
    )
    Person.objects.filter(pk=people["E"].pk).update(
        state=Person.State.SUSPENDED, updated_at=at("2026-03-04 10:00")
    )
    WindowNotice.objects.create(
        school=tree.school,
        title="周末放假",
        first_day=date(2026, 3, 7),
        last_day=date(2026, 3, 8),
        kind=WindowNotice.Kind.NO_CHECKIN,
    )
    Isolation.objects.create(
        person=people["F"],
        kind=Isolation.Kind.ISOLATION,
        place="隔离点",
        reason="密接",
        starts_on=date(2026, 3, 9),
        ends_on=date(2026, 3, 15),
        created_at=at("2026-03-09 08:00"),
        ended_at=at("2026-03-10 16:00"),
    )
    AdvanceReport.objects.create(
        person=people["G"],
        first_day=date(2026, 3, 11),
        last_day=date(2026, 3, 12),
        periods=["morning"],
        reason="看牙",
        state=Decision.APPROVED,
        created_at=at("2026-03-10 20:00"),
        idempotency_key="g-1",
    )
    for who, moment, data in [
        ("A", "2026-03-10 07:30", None),
        ("A", "2026-03-11 07:30", {"temperature": "38.2"}),
        ("B", "2026-03-11 12:30", None),
        ("A", "2026-03-12 07:30", None),
        ("G", "2026-03-12 07:40", None),
    ]:
        time_machine.move_to(at(moment), tick=False)
        response = check_in(sign_in(Client(), people[who].user), point, data)
        assert response.status_code in (200, 302), response.content.decode()[:300]
    time_machine.move_to(at("2026-03-12 13:00"), tick=False)
    return people


def _page_counts(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def test_it_counts_the_14_days_as_worked_out_by_hand(client, adviser, history):
    from campuscode.checkins.selectors import trend

    found = trend(user=adviser, end=date(2026, 3, 12))
    got = {
        d.day.isoformat(): (d.expected, d.green, d.yellow, d.excused, d.missed, d.pending)
        for d in found.days
    }
    assert got == DAYS
    assert all(d.red == 0 for d in found.days)
    assert (found.checked, found.missed, found.due, found.rate) == (5, 95, 100, 5)
    page = sign_in(client, adviser).get("/checkins/lists/?day=2026-03-12&period=morning")
    assert page.context["trend"]["rate"] == 5
    assert 'data-rate="5"' in page.content.decode()


@pytest.mark.parametrize(("day", "period"), list(WINDOWS))
def test_it_counts_each_window_on_the_list_page_as_worked_out_by_hand(
    client, adviser, history, day, period
):
    expected, checked, excused, missed, pending, yellow = WINDOWS[(day, period)]
    page = sign_in(client, adviser).get(f"/checkins/lists/?day={day}&period={period}")
    counts = _page_counts(page.content.decode())
    assert counts["expected"] == expected
    assert counts["checked"] == checked
    assert counts["excused"] == excused
    assert counts["missed"] == missed
    assert counts.get("pending", 0) == pending
    assert counts["yellow"] == yellow
    rows = re.findall(r'data-person="(\d+)" data-state="(\w+)"', page.content.decode())
    assert len(rows) == expected
    states = [state for _pk, state in rows]
    assert states.count("checked") == checked and states.count("excused") == excused
    assert states.count("missed") == missed
    assert states.count("open") + states.count("upcoming") == pending


def test_who_is_on_which_row(client, adviser, history):
    page = sign_in(client, adviser).get("/checkins/lists/?day=2026-03-11&period=morning")
    rows = dict(re.findall(r'data-person="(\d+)" data-state="(\w+)"', page.content.decode()))
    by_letter = {letter: rows.get(str(p.pk)) for letter, p in history.items()}
    assert by_letter == {
        "A": "checked",
        "B": "missed",  # imported the day before: expected
        "C": "missed",
        "D": None,  # left
        "E": None,  # suspended
        "F": "missed",  # the isolation ended the day before
        "G": "excused",
    }


def test_the_export_carries_the_same_counts(client, adviser, history):
    response = sign_in(client, adviser).get(
        "/checkins/lists/export.xlsx?day=2026-03-12&period=morning"
    )
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    people, counts = book.worksheets
    states = [row[3] for row in people.iter_rows(min_row=2, values_only=True)]
    assert len(states) == 5
    assert sorted(Counter(states).values()) == [2, 3]  # A and G checked in, B C F missed
    rows = [row for row in counts.iter_rows(min_row=2, values_only=True)]
    unit_row, total_row = rows[0], rows[1]
    # expected, checked, excused, missed, not yet due, yellow, red, rate
    assert tuple(total_row[1:]) == (5, 2, 0, 3, 0, 0, 0, 40)
    assert tuple(unit_row[1:]) == tuple(total_row[1:])
    days = {row[0]: row[1:] for row in rows if row[0] in DAYS}
    for day, (exp, green, yellow, excused, missed, pending) in DAYS.items():
        checked = green + yellow
        rate = round(100 * checked / (checked + missed)) if checked + missed else None
        assert days[day][:5] == (exp, checked, excused, missed, pending)
        assert days[day][7] == rate
    assert tuple(rows[-1][1:]) == (110, 5, 5, 95, 5, 1, 0, 5)


def test_the_list_shows_one_page_and_counts_the_whole_scope(client, adviser, tree, time_machine):
    from campuscode.core.paging import PAGE_SIZE

    time_machine.move_to(at("2026-03-12 11:00"), tick=False)  # the morning window has closed
    for n in range(PAGE_SIZE + 7):
        tree.person(f"学生{n:02d}", tree.cs_2501, account=False)
    sign_in(client, adviser)
    first = client.get("/checkins/lists/?day=2026-03-12&period=morning&show=missing")
    html = first.content.decode()
    assert len(re.findall(r'data-person="\d+"', html)) == PAGE_SIZE
    assert _page_counts(html)["expected"] == PAGE_SIZE + 7  # the whole class
    assert _page_counts(html)["missed"] == PAGE_SIZE + 7
    link = re.search(r'href="(\?[^"]*page=2[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "show=missing" in link and "day=2026-03-12" in link
    second = client.get("/checkins/lists/" + link).content.decode()
    assert len(re.findall(r'data-person="\d+"', second)) == 7
    assert _page_counts(second)["expected"] == PAGE_SIZE + 7


@pytest.mark.parametrize(("day", "period"), list(WINDOWS))
@pytest.mark.parametrize("who", ["adviser", "health"])
def test_the_unit_counts_equal_a_recount_of_the_rows(tree, adviser, history, day, period, who):
    """The counts per unit are set-based (people, check-ins and flags grouped apart): they
    equal the rows of the same list, person by person."""
    from campuscode.checkins.selectors import roll
    from campuscode.people.models import Role

    user = (
        adviser
        if who == "adviser"
        else tree.account("health-school", (Role.HEALTH_OFFICE, tree.school))
    )
    result = roll(user=user, day=date.fromisoformat(day), period=period)
    recount: dict[int, Counter] = defaultdict(Counter)
    for row in result.all_rows():
        counts = recount[row.person.org_unit_id]
        counts["expected"] += 1
        counts[row.state] += 1
        counts["flagged"] += bool(row.open_flags)
        if row.checkin is not None:
            counts[row.checkin.colour] += 1
    found = {
        c.unit.pk: Counter(
            {
                "expected": c.expected,
                "checked": c.checked,
                "excused": c.excused,
                "missed": c.missed,
                "flagged": c.flagged,
                "yellow": c.yellow,
                "red": c.red,
            }
        )
        for c in result.counts
    }
    wanted = {
        unit: Counter(
            {
                "expected": n["expected"],
                "checked": n["checked"],
                "excused": n["excused"],
                "missed": n["missed"],
                "flagged": n["flagged"],
                "yellow": n["yellow"],
                "red": n["red"],
            }
        )
        for unit, n in recount.items()
    }
    assert found == wanted
    assert sum(c.pending for c in result.counts) == sum(
        n["open"] + n["upcoming"] for n in recount.values()
    )


def test_the_past_days_of_the_trend_come_from_the_summaries(client, adviser, history):
    """Once the analytics summaries hold a day (counted after it ended), the trend reads it
    from them; today, and every day from the first one they lack, is counted live. Either
    way the figures are those worked out by hand."""
    from django.db.models import F

    from campuscode.analytics.models import DailyUnitSummary
    from campuscode.analytics.summaries import refresh_summaries
    from campuscode.checkins.selectors import trend

    def counted():
        return {
            d.day.isoformat(): (d.expected, d.green, d.yellow, d.excused, d.missed, d.pending)
            for d in trend(user=adviser, end=date(2026, 3, 12)).days
        }

    assert counted() == DAYS  # nothing summarised yet: all live
    refresh_summaries(since=date(2026, 2, 27), until=date(2026, 3, 12))
    assert counted() == DAYS
    # Past days are read from the summary rows (changed here by hand), today is not.
    for day in ("2026-03-11", "2026-03-12"):
        DailyUnitSummary.objects.filter(day=day).update(green=F("green") + 100)
    got = counted()
    assert (got["2026-03-11"][1], got["2026-03-12"][1]) == (101, 2)
    # A day summarised before it ended is counted live, and so is every day after it.
    DailyUnitSummary.objects.filter(day="2026-03-10").update(
        refreshed_at=at("2026-03-10 20:00"), green=F("green") + 100
    )
    got = counted()
    assert (got["2026-03-09"][1], got["2026-03-10"][1], got["2026-03-11"][1]) == (0, 1, 1)
    refresh_summaries(since=date(2026, 3, 10), until=date(2026, 3, 12))
    assert counted() == DAYS
    page = sign_in(client, adviser).get("/checkins/lists/?day=2026-03-12&period=morning")
    assert page.context["trend"]["rate"] == 5


def test_visitors_are_counted_beside_the_summaries(adviser, history, tree):
    """The summaries leave visitors out; a visitor in the scope (who has windows too) is
    counted live beside them, so the trend stays what the raw tables give."""
    from dataclasses import astuple

    from campuscode.analytics.summaries import refresh_summaries
    from campuscode.checkins import tally
    from campuscode.checkins.selectors import scoped_people, trend

    tree.person("访客甲", tree.cs_2501, kind=Person.Kind.VISITOR, created_at=at("2026-02-20 09:00"))
    refresh_summaries(since=date(2026, 2, 27), until=date(2026, 3, 12))
    found = trend(user=adviser, end=date(2026, 3, 12))
    raw = tally.trend(people=scoped_people(adviser), end=date(2026, 3, 12))
    assert [astuple(d) for d in found.days] == [astuple(d) for d in raw.days]
    assert found.days[0].expected == DAYS["2026-02-27"][0] + 2


@pytest.mark.parametrize("who", ["adviser", "health"])
def test_the_list_counts_its_day_once_and_equal_to_a_raw_recount(tree, adviser, history, who):
    """The list counts both windows of its day in one grouped query (selectors.day_counts)
    and hands that day to the 14-day trend instead of counting it again: the day, and the
    trend drawn with it, equal tally.trend's raw recount, on every day of the history."""
    from dataclasses import astuple
    from datetime import timedelta

    from campuscode.checkins import tally
    from campuscode.checkins.selectors import roll, scoped_people, trend
    from campuscode.people.models import Role

    user = (
        adviser
        if who == "adviser"
        else tree.account("health-school", (Role.HEALTH_OFFICE, tree.school))
    )
    for text, wanted in DAYS.items():
        day = date.fromisoformat(text)
        for period in ("morning", "afternoon"):
            result = roll(user=user, day=day, period=period)
            raw = tally.trend(people=scoped_people(user), end=day, days=1).days[0]
            assert astuple(result.day_totals) == astuple(raw)
        if who == "adviser":  # the day's figures worked out by hand
            d = result.day_totals
            assert (d.expected, d.green, d.yellow, d.excused, d.missed, d.pending) == wanted
        drawn = trend(user=user, end=day, last_day=result.day_totals)
        counted = tally.trend(people=scoped_people(user), end=day)
        assert [astuple(d) for d in drawn.days] == [astuple(d) for d in counted.days]
        assert drawn.days[0].day == day - timedelta(days=13)
