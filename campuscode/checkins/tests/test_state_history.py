"""Who was expected in a past window follows the person's state at that time (R6.3): a
student suspended on day 5 and reinstated on day 8 was expected on days 1–4 and 8–10
only, and editing their record later does not change that."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from campuscode.checkins.selectors import trend
from campuscode.people.models import Person, PersonStateChange, Role
from conftest import sign_in

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
DAYS = [date(2026, 3, d) for d in range(1, 11)]
EXPECTED = {day: (2 if day.day <= 4 or day.day >= 8 else 0) for day in DAYS}  # 2 windows


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def _edit(editor, person: Person, **changes):
    client = sign_in(Client(), editor)  # a fresh session: days pass between the edits
    person.refresh_from_db()
    data = {
        "number": person.number,
        "name": person.name,
        "kind": person.kind,
        "org_unit": person.org_unit_id,
        "phone": person.phone,
        "email": person.email,
        "state": person.state,
        "valid_from": "",
        "valid_until": "",
        "id_number": "",
    }
    response = client.post(f"/people/{person.pk}/edit/", {**data, **changes})
    assert response.status_code == 302, response.content.decode()[:500]
    assert response["Location"].startswith(f"/people/{person.pk}/")


def _expected_by_day(adviser) -> dict:
    found = trend(user=adviser, end=date(2026, 3, 10), days=10)
    return {d.day: d.expected for d in found.days}


def _on_the_list(client, day: str, person: Person) -> bool:
    html = client.get(f"/checkins/lists/?day={day}&period=morning").content.decode()
    return f'data-person="{person.pk}"' in re.sub(r"\s+", " ", html)


@pytest.fixture
def suspended_for_three_days(client, tree, adviser, time_machine):
    """Suspended on 03-05 at 09:00, reinstated on 03-08 at 06:00, through the edit page."""
    student = tree.person("石同学", tree.cs_2501, account=False)
    time_machine.move_to(at("2026-03-05 09:00"), tick=False)
    editor = tree.account("deptadmin", (Role.DEPARTMENT_ADMIN, tree.cs))
    _edit(editor, student, state=Person.State.SUSPENDED)
    time_machine.move_to(at("2026-03-08 06:00"), tick=False)
    _edit(editor, student, state=Person.State.ACTIVE)
    time_machine.move_to(at("2026-03-10 20:00"), tick=False)  # every window has closed
    return editor, student


def test_a_suspended_student_is_expected_only_while_active(
    client, adviser, suspended_for_three_days
):
    _editor, student = suspended_for_three_days
    assert _expected_by_day(adviser) == EXPECTED
    assert list(
        PersonStateChange.objects.filter(person=student).values_list("state", "reason")
    ) == [("active", "seeded"), ("suspended", "edited"), ("active", "edited")]
    sign_in(client, adviser)
    assert _on_the_list(client, "2026-03-04", student)
    assert not _on_the_list(client, "2026-03-05", student)
    assert not _on_the_list(client, "2026-03-07", student)
    assert _on_the_list(client, "2026-03-08", student)


def test_a_later_edit_of_the_record_changes_nothing_in_the_past(
    client, adviser, suspended_for_three_days, time_machine
):
    editor, student = suspended_for_three_days
    time_machine.move_to(at("2026-03-12 10:00"), tick=False)
    _edit(editor, student, name="石新名", phone="13912345678")
    assert _expected_by_day(adviser) == EXPECTED
    # Suspended again today: the past stays as it was.
    _edit(editor, student, state=Person.State.SUSPENDED)
    assert _expected_by_day(adviser) == EXPECTED
    sign_in(client, adviser)
    assert _on_the_list(client, "2026-03-09", student)
    assert not _on_the_list(client, "2026-03-06", student)


def test_a_student_who_left_later_was_expected_before(client, tree, adviser, time_machine):
    """Leaving (state and valid-until) counts from the day it is recorded on, even when
    the record is edited again afterwards."""
    student = tree.person("柳同学", tree.cs_2501, account=False)
    time_machine.move_to(at("2026-03-06 08:00"), tick=False)
    editor = tree.account("deptadmin", (Role.DEPARTMENT_ADMIN, tree.cs))
    _edit(editor, student, state=Person.State.LEFT, valid_until="2026-03-06")
    time_machine.move_to(at("2026-03-09 08:00"), tick=False)
    _edit(editor, student, state=Person.State.LEFT, valid_until="2026-03-06", name="柳某")
    time_machine.move_to(at("2026-03-10 20:00"), tick=False)
    assert _expected_by_day(adviser) == {day: (2 if day.day <= 5 else 0) for day in DAYS}


def test_a_roster_import_records_the_change_from_its_own_day(tree, adviser, tmp_path, time_machine):
    """An import that suspends someone is part of their history as an edit is: before
    the day of the import they stay expected, also when it is imported again later."""
    from django.core.management import call_command

    from campuscode.roster.tests.conftest import HEADERS_ZH, student_row, write_xlsx

    def import_roster(moment: str, state: str):
        time_machine.move_to(at(moment), tick=False)
        path = write_xlsx(
            tmp_path / f"roster-{state}.xlsx", [*HEADERS_ZH, "状态"], [[*student_row(1), state]]
        )
        call_command("import_roster", str(path), "--yes")

    time_machine.move_to(at("2026-02-20 10:00"), tick=False)
    import_roster("2026-02-20 10:00", "在校")
    student = Person.objects.get(number="20260001")
    import_roster("2026-03-05 09:00", "休学")
    import_roster("2026-03-08 06:00", "在校")
    import_roster("2026-03-09 12:00", "在校")  # the same again: nothing new
    time_machine.move_to(at("2026-03-10 20:00"), tick=False)
    assert list(
        PersonStateChange.objects.filter(person=student).values_list("state", "reason")
    ) == [("active", "imported"), ("suspended", "imported"), ("active", "imported")]
    assert _expected_by_day(adviser) == EXPECTED
