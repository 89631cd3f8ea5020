"""The offline snapshot's colours match the per-person status exactly, while asking the
status providers only about people they could call yellow or red."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campuscode.checkins.services import set_manual_status
from campuscode.codes.status import current_status
from campuscode.followup.isolation import place_isolation
from campuscode.gates.selectors import build_snapshot
from campuscode.people.models import Person, Role

pytestmark = pytest.mark.django_db


def test_snapshot_colours_match_each_persons_status(tree, gate, student, other_student):
    officer = tree.account("clinic", (Role.HEALTH_OFFICE, tree.school))
    set_manual_status(person=student, colour="yellow", reason="复查中", user=officer)
    today = timezone.localdate()
    assert place_isolation(
        person=other_student,
        user=officer,
        kind="isolation",
        place="东区隔离点",
        reason="密接",
        starts_on=today,
        ends_on=today,
    ).ok
    bystanders = [tree.person(f"同学{i}", tree.cs_2502) for i in range(5)]
    people = build_snapshot(gate=gate)["people"]
    for person in [student, other_student, *bystanders]:
        assert people[str(person.pk)][3] == current_status(person).colour, person
    assert (people[str(student.pk)][3], people[str(other_student.pk)][3]) == ("yellow", "red")


def test_snapshot_queries_do_not_grow_with_the_school(tree, gate, student):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            build_snapshot(gate=gate)
        return len(captured.captured_queries)

    queries()  # warms the per-process caches (keys, place rules)
    before = queries()
    for i in range(20):
        tree.person(f"新生{i}", tree.cs_2502, account=False)
    assert Person.objects.count() > 20
    assert queries() == before
