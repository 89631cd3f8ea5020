"""Issue 8, hole 6: a check-in inserted or edited behind the application's back (by SQL,
without the audit key kept outside the database) is reported by `verify-records` and
marked in the lists."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from campuscode.audit.services import purge_allowed
from campuscode.checkins.integrity import Problem, check_records, tampered_checkin_ids
from campuscode.checkins.models import Checkin, CheckinPoint, Via
from campuscode.checkins.services import Answers, submit_checkin
from campuscode.people.models import OrgUnit
from conftest import sign_in

pytestmark = pytest.mark.django_db

MONDAY_8AM = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai, in the window


def stored_checkin(person, *, temperature="36.5", key="k1", now=None, correction_reason=""):
    campus = next(
        unit
        for unit in OrgUnit.objects.filter(kind=OrgUnit.Kind.CAMPUS)
        if person.org_unit.path.startswith(unit.path)
    )
    point = CheckinPoint.objects.get_or_create(campus=campus, building="一教", name="校门")[0]
    outcome = submit_checkin(
        person=person,
        point=point,
        answers=Answers(temperature=Decimal(temperature), symptoms=[]),
        via=Via.SCREEN,
        idempotency_key=key,
        ip="10.1.2.3",
        now=now or MONDAY_8AM,
        correction_reason=correction_reason,
    )
    assert outcome.ok, outcome.refusal
    return outcome.checkin


def _raw_backdated_insert(person, point_id) -> int:
    """A check-in for a window the person missed, written straight into the table."""
    at = timezone.now() - timedelta(days=3)
    columns = (
        "person_id, point_id, at, day, period, temperature, symptoms, symptom_detail, "
        "contact, contact_place, contact_manner, colour, reason, via, device, idempotency_key, mac"
    )
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO checkins_checkin ({columns}) VALUES "  # noqa: S608
            "(%s, %s, %s, %s, 'morning', %s, '[]', '', 'none', '', '', 'green', 'normal', "
            "'screen', '', 'forged', '')",
            [
                person.pk,
                point_id,
                ops.adapt_datetimefield_value(at),
                ops.adapt_datefield_value(at.date()),
                ops.adapt_decimalfield_value(Decimal("36.4"), 3, 1),
            ],
        )
    return Checkin.objects.get(idempotency_key="forged").pk


def test_checkins_written_by_the_application_verify(student, other_student, capsys):
    stored_checkin(student)
    stored_checkin(other_student)
    call_command("verify_records")
    assert "check-ins intact: 2 records checked" in capsys.readouterr().out


def test_verify_records_reports_a_backdated_checkin_inserted_by_sql(student, capsys):
    good = stored_checkin(student)
    forged = _raw_backdated_insert(student, good.point_id)
    with pytest.raises(SystemExit):
        call_command("verify_records")
    out = capsys.readouterr().out
    assert f"check-in #{forged}: unsigned" in out and f"#{good.pk}:" not in out
    assert check_records().problems == {forged: Problem.UNSIGNED}


def test_verify_records_reports_a_temperature_lowered_in_the_database(student):
    checkin = stored_checkin(student, temperature="38.2")
    with purge_allowed():  # the database owner passes the table's guard
        Checkin.objects.filter(pk=checkin.pk).update(temperature=Decimal("36.5"), colour="green")
    assert check_records().problems == {checkin.pk: Problem.ALTERED}


def test_a_correction_is_not_reported_but_a_swapped_one_is(student):
    first = stored_checkin(student, temperature="38.2", key="k1")
    later = MONDAY_8AM + timedelta(minutes=5)
    second = stored_checkin(
        student, temperature="36.5", key="k2", now=later, correction_reason="重新测量"
    )
    first.refresh_from_db()
    assert (first.superseded_by_id, first.superseded_at) == (second.pk, second.at)
    assert check_records().ok
    # Bring the fever reading back and hide the correction: only superseded fields move.
    with purge_allowed():
        Checkin.objects.filter(pk=second.pk).update(superseded_at=first.at, superseded_by=first)
        Checkin.objects.filter(pk=first.pk).update(superseded_at=None, superseded_by=None)
    assert check_records().problems == {second.pk: Problem.SUPERSEDED}


def test_a_correction_reason_removed_in_the_database_is_reported(student):
    first = stored_checkin(student, temperature="38.2", key="k1")
    later = MONDAY_8AM + timedelta(minutes=5)
    second = stored_checkin(
        student, temperature="36.5", key="k2", now=later, correction_reason="重新测量"
    )
    assert check_records().ok
    with purge_allowed():
        Checkin.objects.filter(pk=second.pk).update(correction_reason="")
    # The earlier row then counts as replaced by a record that is not a valid correction.
    assert check_records().problems == {second.pk: Problem.ALTERED, first.pk: Problem.SUPERSEDED}


def test_sign_unsigned_signs_only_rows_from_before_the_codes(student, other_student, capsys):
    old = stored_checkin(student)
    with purge_allowed():  # as after the upgrade's migration
        Checkin.objects.filter(pk=old.pk).update(mac="")
    call_command("verify_records", sign_unsigned=True)
    assert "signed 1 check-ins" in capsys.readouterr().out
    newer = stored_checkin(other_student)
    forged = _raw_backdated_insert(other_student, newer.point_id)
    with pytest.raises(SystemExit):
        call_command("verify_records", sign_unsigned=True)
    assert "signed 0 check-ins" in capsys.readouterr().out
    assert check_records().problems == {forged: Problem.UNSIGNED}


def test_the_lists_mark_a_row_written_outside_the_application(client, tree, student):
    from campuscode.people.models import Person, Role

    staff = tree.person("陈医生", tree.clinic, kind=Person.Kind.STAFF, number="T0009")
    officer = tree.account("", (Role.HEALTH_OFFICE, tree.school), person=staff)
    good = stored_checkin(student)
    forged = _raw_backdated_insert(student, good.point_id)
    assert tampered_checkin_ids(Checkin.objects.all()) == {forged}
    page = sign_in(client, officer).get(f"/checkins/people/{student.pk}/").content.decode()
    assert f'data-tampered="{forged}"' in page and f'data-tampered="{good.pk}"' not in page


def test_the_demo_history_verifies(capsys):
    """The demo writes 45,000 check-ins by executemany: each is signed as it is stored."""
    from campuscode.core import demo

    demo.load_demo()
    report = check_records()
    assert report.checked > 10_000 and report.ok, list(report.problems.items())[:3]
