"""The `simulate-checkins` command: its figures' format, and honest traffic gets in."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from campuscode.checkins.models import Checkin
from campuscode.checkins.simulation import CHEATS, simulate

pytestmark = pytest.mark.django_db


def test_it_prints_a_row_per_kind_of_cheat_and_the_honest_share(tree):
    out = StringIO()
    call_command("simulate_checkins", people=24, seed=3, cheat_share=0.45, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("simulate-checkins: 24 people, seed 3")
    rows = {line.split()[0]: line.split()[1:] for line in lines[2 : 2 + len(CHEATS)]}
    assert list(rows) == list(CHEATS)
    for kind, (attempts, blocked, flagged, passed, caught) in rows.items():
        assert int(attempts) >= 1, kind
        assert int(blocked) + int(flagged) + int(passed) == int(attempts), kind
        assert re.fullmatch(r"\d+\.\d%", caught)
    assert re.match(r"honest flagged: \d+ of \d+ \(\d+\.\d%\)", lines[-1])
    # Nothing of the simulated day is kept.
    assert not Checkin.objects.exists()


def test_honest_phones_on_campus_addresses_check_in(tree):
    report = simulate(people=20, seed=5, cheat_share=0)
    assert report.honest_tried == 20
    assert report.honest_stored == 20, report.honest_refused
    assert report.networks["campus Wi-Fi"] + report.networks["dorm NAT"] > 0
