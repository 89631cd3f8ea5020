"""A school day of check-ins replayed through the real HTTP surface, honest and not (issue 9).

Honest students check in at the points from campus Wi-Fi (one address per access point,
many phones behind it), from dormitory NATs (roommates scanning together behind one
address) and from mobile data (their own carrier address). A share of cheats tries each
trick of the issue's list. Every request goes through Django's test Client (no network):
the same URLs, views, services and flags as a phone; the gate replay goes through the
device API. The clock is moved with time-machine (a development dependency), so the day
can be any school day; everything written is rolled back at the end.

A cheat counts as caught if it is refused (a non-2xx answer or a refusal page, a gate
scan refused) or if what it stored carries any flag (or, for a row written behind the
application's back, the integrity check reports it). Whatever mechanisms the code base
has are measured; nothing here knows how they work.
"""

import heapq
import random
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.utils import timezone

from campuscode.checkins.evidence import set_campus_networks
from campuscode.checkins.models import Checkin, CheckinPoint, Codes, Flag
from campuscode.checkins.tokens import poster_token, screen_token
from campuscode.codes.tokens import Colour, issue_token
from campuscode.core.rules import get_setting
from campuscode.people.models import OrgUnit, Person

# The kinds of cheat, in the issue's order.
CHEATS = (
    "relay",
    "remote_kiosk",
    "open_here_submit_later",
    "shared_phone",
    "paced_burst",
    "poster_from_home",
    "flag_laundering",
    "isolated",
    "gate_replay",
    "backdated",
)

PHONES = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; 23127PN0CC) AppleWebKit/537.36 Chrome/122.0 Mobile",
    "Mozilla/5.0 (Linux; Android 13; V2227A) AppleWebKit/537.36 Chrome/118.0 Mobile",
    "Mozilla/5.0 (Linux; Android 14; ALN-AL00) AppleWebKit/537.36 Chrome/120.0 Mobile",
)
SCRIPT_AGENT = "python-requests/2.31.0"
DONE = re.compile(r"/checkins/done/(\d+)/")
KEY = re.compile(r'name="key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="key"')
POINT_URL = re.compile(r"/checkins/p/(\d+)/([^/\"'\s<]+)/")


@dataclass
class Tally:
    attempts: int = 0
    blocked: int = 0
    flagged: int = 0
    passed: int = 0

    @property
    def caught(self) -> float:
        return (self.blocked + self.flagged) / self.attempts if self.attempts else 0.0


@dataclass
class Report:
    people: int
    seed: int
    cheat_share: float
    day: str
    cheats: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in CHEATS})
    honest_tried: int = 0
    honest_stored: int = 0
    honest_refused: Counter = field(default_factory=Counter)
    honest_flagged: int = 0
    honest_reasons: Counter = field(default_factory=Counter)
    networks: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        out = [
            f"simulate-checkins: {self.people} people, seed {self.seed}, "
            f"cheat share {self.cheat_share:.0%}, day {self.day}",
            f"{'cheat':<24}{'attempts':>9}{'blocked':>9}{'flagged':>9}{'passed':>8}{'caught':>9}",
        ]
        total = Tally()
        for kind, t in self.cheats.items():
            out.append(
                f"{kind:<24}{t.attempts:>9}{t.blocked:>9}{t.flagged:>9}{t.passed:>8}"
                f"{t.caught:>9.1%}"
            )
            for name in ("attempts", "blocked", "flagged", "passed"):
                setattr(total, name, getattr(total, name) + getattr(t, name))
        out.append(
            f"{'all cheats':<24}{total.attempts:>9}{total.blocked:>9}{total.flagged:>9}"
            f"{total.passed:>8}{total.caught:>9.1%}"
        )
        share = self.honest_flagged / self.honest_stored if self.honest_stored else 0.0
        nets = ", ".join(f"{k} {v}" for k, v in sorted(self.networks.items()))
        out.append(
            f"honest: {self.honest_tried} tried ({nets}), {self.honest_stored} stored, "
            f"{sum(self.honest_refused.values())} refused"
            + (f" ({_counts(self.honest_refused)})" if self.honest_refused else "")
        )
        out.append(
            f"honest flagged: {self.honest_flagged} of {self.honest_stored} ({share:.1%})"
            + (f": {_counts(self.honest_reasons)}" if self.honest_reasons else "")
        )
        return out


def _counts(counter: Counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in counter.most_common())


class Phone:
    """One browser on one phone: its own cookies, user agent and current address."""

    def __init__(self, user, address: str, agent: str, where: tuple | None = None):
        self.client = Client()
        self.client.force_login(user)
        self.user, self.address, self.agent = user, address, agent
        # Where the phone's location service puts it (lat, lon, accuracy m); None: the
        # person did not allow location. Sent with every form, as location.js does.
        self.where = where

    def get(self, url: str):
        return self.client.get(url, REMOTE_ADDR=self.address, HTTP_USER_AGENT=self.agent)

    def post(self, url: str, data: dict):
        if self.where is not None:
            lat, lon, accuracy = self.where
            data = {**data, "geo_lat": lat, "geo_lon": lon, "geo_accuracy": accuracy}
        else:
            data = {**data, "geo_error": "denied"}
        return self.client.post(url, data, REMOTE_ADDR=self.address, HTTP_USER_AGENT=self.agent)


CAMPUS_NETWORKS = ["10.0.0.0/8", "202.96.0.0/11"]
CAMPUS_AT = (30.5100, 114.4000)


def at_point(point, rng) -> tuple:
    """A phone at `point`: a fix within a few tens of metres, as phones give outdoors."""
    return (
        float(point.latitude) + rng.uniform(-0.0002, 0.0002),
        float(point.longitude) + rng.uniform(-0.0002, 0.0002),
        rng.uniform(8, 40),
    )


def at_home(rng) -> tuple:
    """A phone at home, some kilometres away."""
    return (CAMPUS_AT[0] + rng.uniform(0.03, 0.1), CAMPUS_AT[1] + rng.uniform(0.03, 0.1), 20)


def _answers(key: str, **extra) -> dict:
    return {"temperature": "36.5", "symptoms": ["none"], "contact": "none", "key": key, **extra}


def _key_of(response) -> str | None:
    match = KEY.search(response.content.decode(errors="replace"))
    return (match[1] or match[2]) if match else None


class Day:
    """The school, the people, the points and gates of one simulated day, and the clock."""

    def __init__(self, *, people: int, seed: int, cheat_share: float, traveller, start):
        self.rng = random.Random(seed)
        self.traveller = traveller
        self.start = start
        self.cheat_share = cheat_share
        self.people = people
        self.queue: list = []
        self.seq = 0
        self.honest: list[tuple[int | None, int]] = []  # (check-in id or None, status)
        self.caught: dict[str, list[str]] = {k: [] for k in CHEATS}
        self.stored: dict[str, list[int]] = {k: [] for k in CHEATS}
        self._build()

    # --- the generated school ---------------------------------------------------------

    def _build(self) -> None:
        from campuscode.gates.models import Place
        from campuscode.gates.services import register_gate
        from campuscode.people.services import id_fields

        tag = uuid.uuid4().hex[:6]
        unit = OrgUnit.objects.create
        school = unit(kind=OrgUnit.Kind.SCHOOL, name=f"模拟大学{tag}", code=f"SIM{tag}")
        self.campus = unit(parent=school, kind=OrgUnit.Kind.CAMPUS, name="模拟校区")
        college = unit(parent=self.campus, kind=OrgUnit.Kind.COLLEGE, name="模拟学院")
        classes = [
            unit(parent=college, kind=OrgUnit.Kind.CLASS, name=f"模拟{2501 + i}班")
            for i in range(max(1, self.people // 30))
        ]
        User = get_user_model()
        since = timezone.now() - timedelta(days=365)
        self.persons = []
        for i in range(self.people):
            number = f"S{tag}{i:05d}"
            user = User.objects.create(username=f"sim-{tag}-{i}")
            id_number = f"11010120050101{i % 1000:03d}X"
            self.persons.append(
                Person(
                    school=school,
                    number=number,
                    name=f"模拟{i}",
                    kind=Person.Kind.STUDENT,
                    org_unit=classes[i % len(classes)],
                    user=user,
                    **id_fields(id_number),
                )
            )
        Person.objects.bulk_create(self.persons)
        Person.objects.filter(school=school).update(created_at=since, updated_at=since)
        self.persons = list(Person.objects.filter(school=school).select_related("user"))
        self.rng.shuffle(self.persons)
        point = CheckinPoint.objects.create
        self.teaching = point(
            campus=self.campus, building="教学楼", name="一楼大厅", kind=CheckinPoint.Kind.TEACHING
        )
        self.dorms = [
            point(campus=self.campus, building=f"{n}号宿舍楼", name="门厅", kind="dormitory")
            for n in (1, 2, 3)
        ]
        self.poster_point = point(
            campus=self.campus,
            building="图书馆",
            name="海报",
            kind=CheckinPoint.Kind.OTHER,
            codes=Codes.POSTER,
        )
        # What a school sets up for presence (issue 9): its campus networks (Wi-Fi and the
        # dormitories' NAT egress), and where each point is, so that a phone on mobile
        # data proves presence by its location instead.
        set_campus_networks(campus=self.campus, networks=CAMPUS_NETWORKS, user=None, client_ip=None)
        for n, p in enumerate([self.teaching, *self.dorms, self.poster_point]):
            p.latitude, p.longitude = CAMPUS_AT[0] + n * 0.001, CAMPUS_AT[1]
            p.evidence_location, p.radius_m = True, 150
            p.save(update_fields=["latitude", "longitude", "evidence_location", "radius_m"])
        gate_a = Place.objects.create(campus=self.campus, name="模拟南门", kind="campus_gate")
        gate_b = Place.objects.create(campus=self.campus, name="模拟北门", kind="campus_gate")
        self.gate_tokens = [
            register_gate(place=gate_a, name="南门闸机")[1],
            register_gate(place=gate_b, name="北门闸机")[1],
        ]

    # --- addresses ----------------------------------------------------------------------

    def home_address(self) -> str:
        return (
            f"58.{self.rng.randint(16, 63)}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
        )

    def carrier_address(self) -> str:
        return f"117.136.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"

    # --- the clock and the schedule -----------------------------------------------------

    def at(self, seconds: float, actor) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (seconds, self.seq, actor))

    def run(self) -> None:
        while self.queue:
            seconds, _seq, actor = heapq.heappop(self.queue)
            self.traveller.move_to(self.start + timedelta(seconds=seconds))
            try:
                wait = next(actor)
            except StopIteration:
                continue
            self.at(seconds + wait, actor)

    # --- one check-in through the pages -------------------------------------------------

    def open_point(self, phone: Phone, point: CheckinPoint, token: str | None = None, query=""):
        token = token or screen_token(point.pk)
        return phone.get(f"/checkins/p/{point.pk}/{token}/{query}"), token

    @staticmethod
    def submit(phone: Phone, point: CheckinPoint, token: str, key: str, **extra):
        response = phone.post(f"/checkins/p/{point.pk}/{token}/", _answers(key, **extra))
        if response.status_code == 302 and (match := DONE.search(response["Location"])):
            return int(match[1]), response.status_code
        return None, response.status_code

    def check_in(self, phone: Phone, point: CheckinPoint, *, fill: float, token=None):
        """Open the point's URL, fill in the form for `fill` seconds, send it. Yields the
        waits; the result is (check-in id or None, status) in `phone.result`."""
        response, token = self.open_point(phone, point, token)
        key = _key_of(response) if response.status_code == 200 else None
        if key is None:
            phone.result = (None, response.status_code)
            return
        yield fill
        phone.result = self.submit(phone, point, token, key)

    # --- honest traffic -----------------------------------------------------------------

    def honest_traffic(self, people: list[Person], window: float) -> Counter:
        networks = Counter()
        aps = [f"10.{20 + i // 250}.{i % 250}.1" for i in range(max(2, len(people) // 25))]
        index = 0
        while index < len(people):
            roll = self.rng.random()
            if roll < 0.3 and len(people) - index >= 2:
                # A dormitory room behind one NAT address, scanning together.
                room = people[index : index + self.rng.randint(2, 4)]
                index += len(room)
                address = f"202.{self.rng.randint(100, 120)}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
                point = self.rng.choice(self.dorms)
                t = self._rush(window)
                for n, person in enumerate(room):
                    phone = Phone(person.user, address, self.rng.choice(PHONES))
                    self.at(t + n * self.rng.uniform(2, 8), self._honest(phone, point))
                networks["dorm NAT"] += len(room)
                continue
            person = people[index]
            index += 1
            if roll < 0.8:
                phone = Phone(person.user, self.rng.choice(aps), self.rng.choice(PHONES))
                networks["campus Wi-Fi"] += 1
            else:
                phone = Phone(person.user, self.carrier_address(), self.rng.choice(PHONES))
                networks["mobile data"] += 1
            self.at(self._rush(window), self._honest(phone, self.teaching))
        return networks

    def _rush(self, window: float) -> float:
        # Half in a rush before the first class, the rest spread over the window.
        if self.rng.random() < 0.5:
            return min(window, max(60.0, self.rng.gauss(window * 0.3, window * 0.05)))
        return self.rng.uniform(60, window)

    def _honest(self, phone: Phone, point: CheckinPoint):
        # Most people allow location; the rest are on the campus network anyway or not.
        if self.rng.random() < 0.9:
            phone.where = at_point(point, self.rng)
        # A phone in daily use carries the device cookie of its first check-in, days old
        # (a cheat who clears cookies between accounts does not). The first week of term,
        # when every phone is new, is not what this replays.
        self.established(phone)
        yield from self.check_in(phone, point, fill=self.rng.uniform(20, 90))
        self.honest.append(phone.result)

    def established(self, phone: Phone) -> None:
        from django.core import signing

        from campuscode.checkins.views import DEVICE_COOKIE, DEVICE_SALT

        now = timezone.now()
        self.traveller.move_to(now - timedelta(days=self.rng.randint(3, 60)))
        value = signing.get_cookie_signer(salt=DEVICE_COOKIE + DEVICE_SALT).sign(uuid.uuid4().hex)
        self.traveller.move_to(now)
        phone.client.cookies[DEVICE_COOKIE] = value

    # --- the cheats ---------------------------------------------------------------------

    def record(self, kind: str, result: tuple[int | None, int]) -> None:
        pk, _status = result
        if pk is None:
            self.caught[kind].append("blocked")
        else:
            self.stored[kind].append(pk)

    def relay(self, cheater: Person):
        # A friend at the point sends the URL of the screen's code; the cheat at home
        # opens it within the token's step, on their own phone.
        phone = Phone(cheater.user, self.home_address(), self.rng.choice(PHONES))
        token = screen_token(self.teaching.pk)
        yield self.rng.uniform(2, 10)
        yield from self.check_in(phone, self.teaching, fill=20, token=token)
        self.record("relay", phone.result)

    def remote_kiosk(self, cheater: Person):
        # A script at home fetches the point's screen by its copied URL, no credential.
        script = Client()
        panel = script.get(
            f"/checkins/kiosk/{self.teaching.pk}/panel/",
            REMOTE_ADDR=self.home_address(),
            HTTP_USER_AGENT=SCRIPT_AGENT,
        )
        match = POINT_URL.search(panel.content.decode(errors="replace"))
        if panel.status_code != 200 or match is None:
            self.record("remote_kiosk", (None, panel.status_code))
            return
        phone = Phone(cheater.user, self.home_address(), self.rng.choice(PHONES))
        yield 5
        yield from self.check_in(phone, self.teaching, fill=20, token=match[2])
        self.record("remote_kiosk", phone.result)

    def open_here_submit_later(self, cheater: Person, ap: str):
        phone = Phone(cheater.user, ap, self.rng.choice(PHONES))
        response, token = self.open_point(phone, self.teaching)
        key = _key_of(response) if response.status_code == 200 else None
        if key is None:
            self.record("open_here_submit_later", (None, response.status_code))
            return
        yield self.rng.uniform(240, 420)
        phone.address = self.home_address()  # left; sends it from home
        self.record("open_here_submit_later", self.submit(phone, self.teaching, token, key))

    def shared_phone(self, room: list[Person]):
        # One phone checks in the whole room, cookies cleared between the accounts.
        address = f"202.{self.rng.randint(121, 130)}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
        agent = self.rng.choice(PHONES)
        point = self.rng.choice(self.dorms)
        for person in room:
            phone = Phone(person.user, address, agent)
            yield from self.check_in(phone, point, fill=self.rng.uniform(15, 30))
            self.record("shared_phone", phone.result)
            yield self.rng.uniform(5, 20)

    def paced_burst(self, accounts: list[Person]):
        # A script sends one account at a time, just over the old fixed burst span (60 s)
        # apart: what slipped past the address-burst rule before its sliding window.
        address = self.home_address()
        span = 61
        for person in accounts:
            phone = Phone(person.user, address, SCRIPT_AGENT)
            yield from self.check_in(phone, self.teaching, fill=1)
            self.record("paced_burst", phone.result)
            yield span

    def poster_from_home(self, cheater: Person):
        phone = Phone(cheater.user, self.home_address(), self.rng.choice(PHONES))
        token = poster_token(self.poster_point.pk, self.poster_point.poster_version)
        yield from self.check_in(phone, self.poster_point, fill=20, token=token)
        self.record("poster_from_home", phone.result)

    def flag_laundering(self, cheater: Person, ap: str):
        # A script sends the form without opening the point (flagged), then the person
        # corrects it properly at the point: is the flag still seen?
        script = Phone(cheater.user, self.home_address(), SCRIPT_AGENT)
        first, _status = self.submit(
            script, self.teaching, screen_token(self.teaching.pk), uuid.uuid4().hex
        )
        yield self.rng.uniform(60, 180)
        phone = Phone(cheater.user, ap, self.rng.choice(PHONES))
        response, token = self.open_point(phone, self.teaching, query="?correct=1")
        key = _key_of(response) if response.status_code == 200 else None
        if first is None and key is None:
            self.record("flag_laundering", (None, response.status_code))
            return
        yield 30
        if key is not None:
            result = self.submit(
                phone, self.teaching, token, key, correcting="1", correction_reason="体温填错了"
            )
            if result[0] is not None or first is None:
                self.record("flag_laundering", result)
                return
        self.record("flag_laundering", (first, 302))

    def isolated(self, cheater: Person, ap: str):
        phone = Phone(cheater.user, ap, self.rng.choice(PHONES))
        yield from self.check_in(phone, self.teaching, fill=self.rng.uniform(20, 60))
        self.record("isolated", phone.result)

    def gate_replay(self, owner: Person):
        # The owner enters at one gate; a screenshot of the same code at the other gate.
        code = issue_token(person=owner, colour=Colour.GREEN)
        self._gate(self.gate_tokens[0], code)
        yield self.rng.uniform(30, 90)
        allowed = self._gate(self.gate_tokens[1], code)
        self.caught["gate_replay"].append("passed" if allowed else "blocked")

    def _gate(self, device_token: str, code: str) -> bool:
        response = Client().post(
            "/api/v1/gates/verify",
            {"token": code, "direction": "in", "nonce": uuid.uuid4().hex},
            content_type="application/json",
            headers={"Authorization": f"Bearer {device_token}"},
        )
        return response.status_code == 200 and response.json().get("allowed") is True

    def backdated(self, person: Person, day) -> None:
        # Written straight into the table for yesterday's missed morning, as if on time.
        start, _end = get_setting("checkin_morning_student")
        at = timezone.make_aware(datetime.combine(day, start)) + timedelta(minutes=30)
        row = Checkin(
            person=person,
            point=self.teaching,
            at=at,
            day=day,
            period="morning",
            temperature="36.5",
            colour="green",
            reason="normal",
            via="screen",
            idempotency_key=uuid.uuid4().hex,
        )
        Checkin.objects.bulk_create([row])  # no save(): what a hand-written INSERT does
        self.stored["backdated"].append(row.pk)


def simulate(*, people: int = 300, seed: int = 1, cheat_share: float = 0.1) -> Report:
    """Replay one school day (see the module) and return the figures; nothing is kept."""
    try:
        import time_machine
    except ImportError as missing:  # pragma: no cover
        raise RuntimeError(
            "the simulation moves the clock with time-machine, a development dependency "
            "(uv sync installs it)"
        ) from missing
    with transaction.atomic():
        report = _simulate(time_machine, people=people, seed=seed, cheat_share=cheat_share)
        transaction.set_rollback(True)
    return report


def _simulate(time_machine, *, people: int, seed: int, cheat_share: float) -> Report:
    window_start, window_end = get_setting("checkin_morning_student")
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    start = timezone.make_aware(datetime.combine(day, window_start)) + timedelta(minutes=5)
    window = (datetime.combine(day, window_end) - datetime.combine(day, window_start)).seconds
    window = max(600.0, window - 1800.0)
    with time_machine.travel(start, tick=False) as traveller:
        sim = Day(
            people=people, seed=seed, cheat_share=cheat_share, traveller=traveller, start=start
        )
        report = Report(people=people, seed=seed, cheat_share=cheat_share, day=str(day))
        persons = list(sim.persons)
        per_kind = max(1, round(people * cheat_share / len(CHEATS))) if cheat_share else 0
        groups = max(1, per_kind // 3) if per_kind else 0

        def take(n: int) -> list[Person]:
            taken = persons[:n]
            del persons[:n]
            return taken

        aps = [f"10.30.{i}.1" for i in range(4)]
        for cheater in take(per_kind):
            sim.at(sim._rush(window), sim.relay(cheater))
        for cheater in take(per_kind):
            sim.at(sim._rush(window), sim.remote_kiosk(cheater))
        for cheater in take(per_kind):
            sim.at(sim._rush(window), sim.open_here_submit_later(cheater, sim.rng.choice(aps)))
        for _group in range(groups):
            sim.at(sim._rush(window), sim.shared_phone(take(max(2, per_kind // groups))))
        for _group in range(groups):
            sim.at(sim._rush(window), sim.paced_burst(take(max(2, per_kind // groups))))
        for cheater in take(per_kind):
            sim.at(sim._rush(window), sim.poster_from_home(cheater))
        for cheater in take(per_kind):
            sim.at(sim._rush(window), sim.flag_laundering(cheater, sim.rng.choice(aps)))
        isolated = take(per_kind)
        _isolate(isolated, day)
        for cheater in isolated:
            sim.at(sim._rush(window), sim.isolated(cheater, sim.rng.choice(aps)))
        # Gate replays and back-dated rows touch no window: their people check in too.
        for owner in sim.rng.sample(sim.persons, min(per_kind, len(sim.persons))):
            sim.at(sim._rush(window), sim.gate_replay(owner))
        for person in sim.rng.sample(sim.persons, min(per_kind, len(sim.persons))):
            sim.backdated(person, day - timedelta(days=1))
        report.networks = sim.honest_traffic(persons, window)
        sim.run()
        _judge(sim, report)
    return report


def _isolate(people: list[Person], day) -> None:
    from campuscode.followup.models import Isolation

    Isolation.objects.bulk_create(
        Isolation(
            person=person,
            kind=Isolation.Kind.ISOLATION,
            place="家中",
            reason="密切接触者",
            starts_on=day - timedelta(days=2),
            ends_on=day + timedelta(days=5),
            created_at=timezone.now() - timedelta(days=2),
        )
        for person in people
    )


def _flags_of(pks: list[int]) -> dict[int, list[str]]:
    flags: dict[int, list[str]] = {pk: [] for pk in pks}
    for pk, reason in Flag.objects.filter(checkin_id__in=pks).values_list("checkin_id", "reason"):
        flags[pk].append(reason)
    return flags


def _window_flags_of(pks: list[int]) -> dict[int, list[str]]:
    from campuscode.checkins.selectors import window_flags

    flags: dict[int, list[str]] = {}
    for pk, person_id, day, period in Checkin.objects.filter(pk__in=pks).values_list(
        "pk", "person_id", "day", "period"
    ):
        flags[pk] = [f.reason for f in window_flags(day=day, period=period, person_ids=[person_id])]
    return flags


def _judge(sim: Day, report: Report) -> None:
    from campuscode.checkins.integrity import check_records

    for kind in CHEATS:
        tally = report.cheats[kind]
        outcomes = list(sim.caught[kind])
        pks = sim.stored[kind]
        if kind == "backdated":
            problems = check_records(Checkin.objects.filter(pk__in=pks)).problems
            flags = _flags_of(pks)
            outcomes += ["flagged" if pk in problems or flags[pk] else "passed" for pk in pks]
        else:
            # What the lists show: the effective row of the window (a correction replaces
            # the row it corrects), with its flags.
            effective = {}
            for pk in pks:
                row = Checkin.objects.filter(pk=pk).values("person_id", "day", "period").first()
                latest = (
                    Checkin.objects.filter(superseded_at__isnull=True, **row).values_list(
                        "pk", flat=True
                    )
                ).first()
                effective[pk] = latest or pk
            # The lists show the flags of the whole window, corrected rows' too.
            flags = _window_flags_of(list(effective.values()))
            outcomes += ["flagged" if flags[effective[pk]] else "passed" for pk in pks]
        tally.attempts = len(outcomes)
        tally.blocked = outcomes.count("blocked")
        tally.flagged = outcomes.count("flagged")
        tally.passed = outcomes.count("passed")
    report.honest_tried = len(sim.honest)
    stored = [pk for pk, _status in sim.honest if pk is not None]
    report.honest_stored = len(stored)
    report.honest_refused = Counter(f"HTTP {status}" for pk, status in sim.honest if pk is None)
    flags = _flags_of(stored)
    report.honest_flagged = sum(1 for pk in stored if flags[pk])
    report.honest_reasons = Counter(reason for pk in stored for reason in set(flags[pk]))
