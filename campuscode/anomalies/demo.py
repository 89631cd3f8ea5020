"""Demo anomaly cases: a few students of 计科2501班 (adviser T1001) whose history shows
each pattern, the demo's fevers and contact for the health office (T1004), then the
daily run, and some cases taken on through the flow so every state is on show."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from campuscode.anomalies import registry
from campuscode.anomalies.models import AnomalyCase, AnomalyKind, AnomalyState
from campuscode.anomalies.services import advance, open_or_extend
from campuscode.audit.services import purge_allowed
from campuscode.checkins.models import Checkin
from campuscode.people.models import OrgUnit, Person

DEMO_STUDENT = "20250101"  # the demo's own login keeps an honest history


def _students(school: OrgUnit) -> list[Person]:
    return list(
        Person.objects.filter(
            school=school,
            kind=Person.Kind.STUDENT,
            state=Person.State.ACTIVE,
            org_unit__name="计科2501班",
            user__isnull=False,  # those with an account have a history to reshape
        )
        .exclude(number=DEMO_STUDENT)
        .order_by("number")
    )


def _rewrite(person: Person, *, today, keep=lambda checkin: True, change=None) -> None:
    """Drop the person's demo check-ins that `keep` refuses, and rewrite those `change`
    touches (the demo's history is bulk-made; it is not a record of anything yet)."""
    rows = list(Checkin.objects.filter(person=person, day__lte=today))
    with transaction.atomic(), purge_allowed():  # generated history, past the table's guard
        Checkin.objects.filter(pk__in=[c.pk for c in rows if not keep(c)]).delete()
        if change is None:
            return
        for checkin in rows:
            if keep(checkin) and change(checkin):
                checkin.save()  # save() signs the row again (checkins.mac)


def load_demo(*, school: OrgUnit, now: datetime) -> list[str]:
    today = timezone.localdate(now)
    students = _students(school)
    if len(students) < 4:
        return []
    tz = timezone.get_default_timezone()
    absent, afternoons, scripted, same_answers = students[:4]

    # Four school days without a check-in: a run of missed days.
    _rewrite(absent, today=today, keep=lambda c: c.day < today - timedelta(days=3))

    # Every afternoon missed for two weeks: a low rate without a run of missed days.
    _rewrite(
        afternoons,
        today=today,
        keep=lambda c: c.period == "morning" or c.day < today - timedelta(days=13),
    )

    # A script: the same second every morning, 36.5 every time.
    def by_script(checkin: Checkin) -> bool:
        if checkin.period != "morning":
            return False
        checkin.at = datetime.combine(checkin.day, time(7, 0, 3), tzinfo=tz)
        checkin.temperature = "36.5"
        return True

    _rewrite(scripted, today=today, change=by_script)

    # Typed, not measured: the same answers every time.
    def typed(checkin: Checkin) -> bool:
        checkin.temperature, checkin.symptoms = "36.6", []
        return True

    _rewrite(same_answers, today=today, change=typed)

    # The detectors as the nightly run has them, opening cases for the class above and
    # the health office's cases only: the demo shows a few of each; the nightly run
    # (22:30) opens the rest (people who never claimed their code, for instance).
    chosen = {p.pk for p in students}
    opened = 0
    for detector in registry.detectors():
        for hit in detector.detect(school_id=school.pk, now=now):
            if hit.person_id in chosen or hit.kind == AnomalyKind.HEALTH:
                case, _extended = open_or_extend(hit=hit, now=now)
                opened += case is not None

    def case_of(person, kind):
        return AnomalyCase.objects.filter(person=person, kind=kind).first()

    def take(case, steps):
        for to_state, extra in steps:
            actor = case.assigned_to.first()
            if actor is None:
                return
            advance(case=case, actor=actor, to_state=to_state, now=now, **extra)

    if case := case_of(absent, AnomalyKind.MISSED_CHECKINS):
        take(case, [("verified", {"reason": "phone", "note": "手机屏幕摔坏，已送修"})])
    if case := case_of(scripted, AnomalyKind.DATA_QUALITY):
        take(
            case,
            [
                ("verified", {"reason": "automated", "note": "本人承认用了定时打卡脚本"}),
                ("handled", {"action": "talk", "note": "已谈话，讲明每天须本人测温打卡"}),
            ],
        )
    if case := case_of(same_answers, AnomalyKind.DATA_QUALITY):
        take(
            case,
            [
                ("verified", {"reason": "not_measured", "note": "体温计丢了，一直填36.6"}),
                ("handled", {"action": "talk", "note": "已提醒本人；班级借给一支体温计"}),
                ("closed", {"note": ""}),
            ],
        )
    health = AnomalyCase.objects.filter(person__school=school, kind=AnomalyKind.HEALTH)
    if case := health.order_by("pk").first():
        take(
            case,
            [
                ("verified", {"reason": "illness", "note": "感冒发热，已到校医院就诊"}),
                ("handled", {"action": "followup", "note": ""}),
            ],
        )
    states = {
        state: AnomalyCase.objects.filter(person__school=school, state=state).count()
        for state in AnomalyState.values
    }
    summary = ", ".join(f"{n} {state}" for state, n in states.items() if n)
    return [
        f"Anomaly cases (adviser T1001, health office T1004): {{base}}/anomalies/ — "
        f"{opened} opened ({summary}); the nightly run opens the rest",
    ]
