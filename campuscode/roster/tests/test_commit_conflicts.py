"""The commit meets people registered after the preview: the row whose ID number was
taken meanwhile gets the usual error, the others are written, nobody twice."""

import pytest

from campuscode.people.models import OrgUnit, Person, hash_id_number
from campuscode.people.services import id_fields
from campuscode.people.tests.race import meanwhile
from campuscode.roster.models import ImportRowError, RowProblem
from campuscode.roster.services import create_job, run_commit, start_commit, validate_job
from campuscode.roster.tests.conftest import student_row

# The commit's lookup of who holds the chunk's ID numbers, right before it writes.
OWNERS = 'SELECT "people_person"."id_hash" AS "id_hash", "people_person"."number" AS "number"'


def _checked(tree, xlsx):
    rows = [student_row(1), student_row(2), student_row(3, klass="计科2599班")]
    job = create_job(school=tree.school, file_name="roster.xlsx", source=xlsx(rows), label="t")
    validate_job(job=job)
    assert (job.state, job.new, job.bad) == ("validated", 3, 0)
    return job, rows[1][2]  # the job and the ID number of its second person (row 3)


def _register(tree, id_number):
    Person.objects.create(
        school=tree.school, number="S-OTHER", name="先来者", org_unit=tree.cs_2501,
        **id_fields(id_number),
    )  # fmt: skip


def _errors(job):
    return [(e.row, e.field, e.code) for e in ImportRowError.objects.filter(job=job)]


@pytest.mark.django_db
def test_an_id_number_registered_since_the_preview_is_an_error_on_its_row(tree, xlsx):
    job, taken = _checked(tree, xlsx)
    _register(tree, taken)
    assert start_commit(job=job) is None
    run_commit(job=job)
    assert (job.state, job.written_new, job.bad) == ("done", 2, 1)
    assert _errors(job) == [(3, "id_number", RowProblem.ID_TAKEN)]
    assert Person.objects.get(id_hash=hash_id_number(taken)).number == "S-OTHER"


@pytest.mark.django_db(transaction=True)  # the other request commits on its own (PostgreSQL)
def test_an_id_number_registered_while_its_chunk_is_written(tree, xlsx):
    job, taken = _checked(tree, xlsx)
    assert start_commit(job=job) is None
    with meanwhile(OWNERS, lambda: _register(tree, taken)) as ran:
        run_commit(job=job)
    assert ran, "the owners query was not seen: the race was not staged"
    # The database refused the chunk; it was written again, its new class included.
    assert job.state == "done"
    assert Person.objects.filter(id_hash=hash_id_number(taken)).count() == 1
    assert OrgUnit.objects.filter(name="计科2599班").count() == 1
    if Person.objects.filter(number="S-OTHER").exists():  # PostgreSQL: it committed first
        assert (job.written_new, job.bad) == (2, 1)
        assert _errors(job) == [(3, "id_number", RowProblem.ID_TAKEN)]
    else:  # SQLite: on the commit's own connection, it went with the refused attempt
        assert (job.written_new, job.bad, _errors(job)) == (3, 0, [])
    assert job.written_units == 1


@pytest.mark.django_db
def test_a_person_registered_since_the_preview_outside_the_importers_scope_is_left_alone(
    tree, xlsx
):
    from campuscode.people.models import Role

    admin = tree.account("cs-admin", (Role.DEPARTMENT_ADMIN, tree.cs))
    rows = [student_row(1), student_row(2)]
    job = create_job(
        school=tree.school, file_name="roster.xlsx", source=xlsx(rows), user=admin, label="t"
    )
    validate_job(job=job)
    assert (job.state, job.new, job.bad) == ("validated", 2, 0)
    # Meanwhile the other college registers someone under the second row's number.
    other = Person.objects.create(
        school=tree.school, number=rows[1][0], name="外院学生", org_unit=tree.en_2501
    )

    assert start_commit(job=job) is None
    run_commit(job=job)

    assert (job.state, job.written_new, job.written_updated, job.bad) == ("done", 1, 0, 1)
    assert _errors(job) == [(3, "number", RowProblem.PERSON_OUT_OF_SCOPE)]
    other.refresh_from_db()
    assert (other.name, other.org_unit) == ("外院学生", tree.en_2501)
