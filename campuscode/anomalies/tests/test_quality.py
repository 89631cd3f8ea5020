"""Data-quality signals that suggest automation (R1.2, R6.4): the same answers every day,
temperatures without variation or spread like random numbers, the same second every day,
one phone for many people, unexplained honesty flags. Each opens a case for the adviser
to ask about; honest histories open none."""

import random
from datetime import date, time
from decimal import Decimal

import pytest
from django.core.management import call_command

from campuscode.anomalies.models import AnomalyCase, AnomalyKind
from campuscode.anomalies.quality import uniform_score
from campuscode.anomalies.tests.data import check_in, days_back
from campuscode.checkins.models import Flag
from conftest import sign_in

pytestmark = pytest.mark.django_db

THU = date(2026, 3, 5)
FOUR_WEEKS = days_back(THU, 28)  # the default span looked at


@pytest.fixture(autouse=True)
def night(time_machine):
    time_machine.move_to("2026-03-05 23:00 +0800", tick=False)


def detect():
    call_command("detect_anomalies")


def signals(person) -> dict:
    case = AnomalyCase.objects.filter(person=person, kind=AnomalyKind.DATA_QUALITY).first()
    return case.detail["signals"] if case else {}


def every_window(person, point, **kwargs):
    for day in FOUR_WEEKS:
        for period in ("morning", "afternoon"):
            check_in(person, point, day, period=period, **kwargs)


def test_an_honest_history_opens_nothing(tree, student, adviser, point):
    every_window(student, point)
    detect()
    assert not AnomalyCase.objects.filter(person=student).exists()


def test_the_same_answers_every_time(client, tree, student, adviser, point):
    every_window(student, point, temperature="36.5")
    detect()
    found = signals(student)
    assert set(found) == {"same_answers"}
    assert found["same_answers"] == {"n": 56, "same": 56, "temperature": "36.5"}
    case = AnomalyCase.objects.get(person=student, kind=AnomalyKind.DATA_QUALITY)
    assert list(case.assigned_to.all()) == [adviser]
    page = sign_in(client, adviser).get(f"/anomalies/{case.pk}/").content.decode()
    assert "疑似代打卡或自动打卡" in page
    assert "56 次打卡中有 56 次回答完全相同（36.5 °C，症状和接触情况无变化）。" in page
    detect()
    assert AnomalyCase.objects.filter(person=student).count() == 1


def test_the_same_temperature_with_other_answers_changing(tree, student, adviser, point):
    for n, day in enumerate(FOUR_WEEKS):
        check_in(student, point, day, temperature="36.6", symptoms=["cough"] if n % 3 else [])
    detect()
    assert set(signals(student)) == {"same_temperature"}


def test_temperatures_spread_like_random_numbers(tree, student, adviser, point):
    script = random.Random(4)  # one script's draws (most score well above the bar)
    every_window(student, point, temperature=None)  # honest first …
    AnomalyCase.objects.all().delete()
    roommate = tree.person("赵同学", tree.cs_2501)
    for day in FOUR_WEEKS:
        for period in ("morning", "afternoon"):
            value = Decimal(str(round(script.uniform(36.0, 37.2), 1)))
            check_in(roommate, point, day, period=period, temperature=value)
    detect()
    assert "uniform_temperature" in signals(roommate)
    assert signals(student) == {}


def test_the_uniform_score_tells_scripts_from_people():
    """Simulated: 400 people whose readings vary around their own usual value, and 400
    scripts drawing evenly from a range, 56 check-ins each (four weeks)."""
    rng = random.Random(2026)

    def readings(draw):
        return [Decimal(str(round(draw(), 1))) for _ in range(56)]

    people = []
    for _ in range(400):
        usual, spread = rng.gauss(36.5, 0.15), rng.uniform(0.1, 0.3)
        people.append(readings(lambda usual=usual, spread=spread: rng.gauss(usual, spread)))
    scripts = []
    for _ in range(400):
        low = rng.choice([35.8, 36.0, 36.2])
        high = low + rng.choice([0.8, 1.0, 1.2])
        scripts.append(readings(lambda low=low, high=high: rng.uniform(low, high)))
    flagged_people = sum(uniform_score(t) >= 0.1 for t in people if len(set(t)) >= 7)
    flagged_scripts = sum(uniform_score(t) >= 0.1 for t in scripts if len(set(t)) >= 7)
    # Few honest people are ever asked; about half the scripts are caught by this signal
    # alone (most scripts also keep the same second, another signal).
    assert flagged_people / 400 < 0.01
    assert flagged_scripts / 400 > 0.35


def test_the_same_second_every_morning(tree, student, adviser, point):
    for n, day in enumerate(FOUR_WEEKS[-10:]):
        check_in(student, point, day, at=time(7, 30, n % 2))  # 07:30:00 or 07:30:01
        check_in(student, point, day, period="afternoon")
    detect()
    found = signals(student)
    assert found["same_second"]["days"] == 10 and found["same_second"]["period"] == "morning"


def test_one_phone_for_three_people_but_not_for_two(client, tree, student, adviser, point):
    roommate = tree.person("赵同学", tree.cs_2501)
    classmate = tree.person("钱同学", tree.cs_2501)
    elsewhere = tree.person("刘洋", tree.cs_2502)
    for day in FOUR_WEEKS[-5:]:
        check_in(student, point, day, device="phone-a")
        check_in(roommate, point, day, device="phone-a" if day.day % 2 else "phone-b")
        check_in(elsewhere, point, day, device="phone-a" if day == THU else "phone-c")
        check_in(classmate, point, day, device="phone-d")
    detect()
    for person in (student, roommate, elsewhere):
        assert signals(person)["shared_phone"] == {"people": 3}
    assert signals(classmate) == {}
    # Each adviser sees their own class's case, never the others'.
    case = AnomalyCase.objects.get(person=elsewhere, kind=AnomalyKind.DATA_QUALITY)
    sign_in(client, adviser)
    assert client.get(f"/anomalies/{case.pk}/").status_code == 404
    listing = client.get("/anomalies/?kind=data_quality").content.decode()
    assert student.number in listing and roommate.number in listing
    assert elsewhere.number not in listing


def test_a_cleared_cookie_is_not_counted_as_one_phone(tree, student, adviser, point):
    """A brand-new device cookie (a private tab) is not yet one phone for sure."""
    others = [tree.person(f"同学{n}", tree.cs_2501) for n in range(3)]
    for person in [student, *others]:
        check_in(person, point, THU, device="fresh", device_new=True)
    detect()
    assert not AnomalyCase.objects.filter(kind=AnomalyKind.DATA_QUALITY).exists()


def test_unexplained_honesty_flags(tree, student, adviser, point):
    checkins = [check_in(student, point, day) for day in FOUR_WEEKS[-4:]]
    for checkin in checkins[:3]:
        Flag.objects.create(checkin=checkin, reason=Flag.Reason.NOT_OPENED)
    Flag.objects.create(checkin=checkins[3], reason=Flag.Reason.LOCATION_MISSING)
    detect()
    assert signals(student)["flagged"] == {"checkins": 3, "n": 4}


def test_explained_flags_and_staff_registrations_are_left_out(tree, student, adviser, point):
    checkins = [check_in(student, point, day) for day in FOUR_WEEKS[-4:]]
    for checkin in checkins[:3]:
        Flag.objects.create(
            checkin=checkin,
            reason=Flag.Reason.NOT_OPENED,
            explained_at="2026-03-05 12:00+08:00",
            explanation="页面卡住，重开后提交",
        )
    noted = tree.person("孙同学", tree.cs_2501)
    for day in FOUR_WEEKS:  # registered by the adviser each day: typed, not measured
        check_in(noted, point, day, temperature="36.5", via="manual")
    detect()
    assert signals(student) == {} and signals(noted) == {}
