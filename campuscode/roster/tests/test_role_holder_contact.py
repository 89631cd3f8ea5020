"""Issue #8, hole 2 through the roster: an import must not change the e-mail, mobile number
or ID number of a person whose account holds a role, unless the importer could on the
person page (manages accounts over every unit of those roles). Otherwise HR would put its
own address on the health office's record with a spreadsheet and claim the account."""

import pytest
from django.core import mail

from campuscode.accounts.models import OutboxMessage
from campuscode.people.models import Person, Role
from campuscode.roster.models import ImportJob, ImportRowError, RowProblem
from campuscode.roster.tests.conftest import student_row
from conftest import make_id_number, sign_in

pytestmark = pytest.mark.django_db

ATTACKER_MAIL = "attacker@example.com"


@pytest.fixture
def upload(client, django_capture_on_commit_callbacks):
    def post(user, path):
        sign_in(client, user)
        with django_capture_on_commit_callbacks(execute=True), open(path, "rb") as handle:
            response = client.post("/roster/", {"file": handle})
        assert response.status_code == 302, response.content.decode()[:500]
        return ImportJob.objects.latest("id")

    return post


@pytest.fixture
def commit(client, django_capture_on_commit_callbacks):
    def post(job, mode="all"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/roster/{job.pk}/commit/", {"mode": mode})
        job.refresh_from_db()
        return response

    return post


@pytest.fixture
def hr(tree):
    return tree.account("hr", (Role.HR, tree.school))


@pytest.fixture
def dept_admin(tree):
    return tree.account("cs-admin", (Role.DEPARTMENT_ADMIN, tree.cs))


@pytest.fixture
def health_officer(tree) -> Person:
    person = tree.person("孙医生", tree.clinic, kind=Person.Kind.STAFF, number="H0001")
    tree.account("", (Role.HEALTH_OFFICE, tree.school), person=person)
    return person


def row_of(person: Person, **changes):
    """A roster row that repeats what is registered, with `changes`."""
    values = {
        "number": person.number,
        "name": person.name,
        "id": person.id_number,
        "college": person.org_unit.name,
        "klass": None,
        "phone": person.phone,
        "email": person.email,
        "kind": "教职工" if person.kind == Person.Kind.STAFF else "学生",
    } | changes
    klass = values.pop("klass")
    return student_row(0, klass=klass, **values)


def errors_of(job):
    return [(e.field, e.code) for e in ImportRowError.objects.filter(job=job)]


@pytest.mark.parametrize(
    "changes, column",
    [
        ({"email": ATTACKER_MAIL}, "email"),
        ({"phone": "13999999999"}, "phone"),
        ({"id": make_id_number(901, "19900101")}, "id_number"),
    ],
    ids=["email", "phone", "id_number"],
)
def test_hr_cannot_change_how_the_health_office_account_is_proven(
    client, hr, health_officer, xlsx, upload, commit, changes, column
):
    job = upload(hr, xlsx([row_of(health_officer, **changes)]))
    assert job.state == ImportJob.State.VALIDATED and job.bad == 1
    assert errors_of(job) == [(column, RowProblem.ROLE_HOLDER_CONTACT)]
    page = client.get(f"/roster/{job.pk}/").content.decode()
    assert "只能由信息中心" in page
    before = Person.objects.values("email", "phone", "id_hash").get(pk=health_officer.pk)

    commit(job)  # refused: the file has an error
    assert job.state == ImportJob.State.VALIDATED
    commit(job, mode="good")  # the good rows only: none
    assert job.state == ImportJob.State.DONE and job.written_updated == 0
    assert Person.objects.values("email", "phone", "id_hash").get(pk=health_officer.pk) == before
    assert mail.outbox == []


def test_hr_may_still_correct_a_role_holders_name(client, hr, health_officer, xlsx, upload, commit):
    job = upload(hr, xlsx([row_of(health_officer, name="孙明医生")]))
    assert (job.bad, job.updated) == (0, 1)
    commit(job)
    assert job.state == ImportJob.State.DONE
    assert Person.objects.get(pk=health_officer.pk).name == "孙明医生"


def test_a_college_admin_may_change_a_students_email(
    client, dept_admin, student, xlsx, upload, commit
):
    row = row_of(student, college="计算机学院", klass="计科2501班", email="new@example.edu.cn")
    job = upload(dept_admin, xlsx([row]))
    assert (job.bad, job.updated) == (0, 1)
    commit(job)
    assert Person.objects.get(pk=student.pk).email == "new@example.edu.cn"


def test_a_college_admin_cannot_change_an_advisers_email(dept_admin, adviser, xlsx, upload):
    job = upload(dept_admin, xlsx([row_of(adviser.person, email=ATTACKER_MAIL)]))
    assert errors_of(job) == [("email", RowProblem.ROLE_HOLDER_CONTACT)]


def test_a_system_admin_may_and_the_old_address_is_told(
    client, sysadmin, health_officer, xlsx, upload, commit
):
    old_email, old_phone = health_officer.email, health_officer.phone
    job = upload(sysadmin, xlsx([row_of(health_officer, email="sun@example.edu.cn")]))
    assert (job.bad, job.updated) == (0, 1)
    commit(job)
    assert job.state == ImportJob.State.DONE and job.written_updated == 1
    assert Person.objects.get(pk=health_officer.pk).email == "sun@example.edu.cn"
    [notice] = mail.outbox
    assert notice.to == [old_email] and "itadmin" in notice.body
    assert "sun@example.edu.cn" not in notice.body
    assert not OutboxMessage.objects.filter(to=old_phone).exists()  # the phone did not change


def test_a_role_granted_between_preview_and_commit_is_still_refused(
    client, hr, sysadmin, tree, xlsx, upload, commit
):
    staff = tree.person("钱老师", tree.hr_office, kind=Person.Kind.STAFF, number="S0001")
    job = upload(hr, xlsx([row_of(staff, email=ATTACKER_MAIL)]))
    assert (job.bad, job.updated) == (0, 1)  # no role yet: an ordinary correction
    tree.account("", (Role.HEALTH_OFFICE, tree.school), person=staff)

    commit(job)
    assert job.state == ImportJob.State.DONE and (job.written_updated, job.bad) == (0, 1)
    assert errors_of(job) == [("email", RowProblem.ROLE_HOLDER_CONTACT)]
    assert Person.objects.get(pk=staff.pk).email == staff.email
