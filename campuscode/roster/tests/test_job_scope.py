"""Issue #8, hole 12: an import job is seen and committed only by its starter, or by
someone whose import duty covers all of it (its units and its kinds of person)."""

import pytest

from campuscode.people.models import Person, Role
from campuscode.roster.models import ImportJob
from campuscode.roster.tests.conftest import student_row
from conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(client, django_capture_on_commit_callbacks):
    def post(user, path):
        sign_in(client, user)
        with django_capture_on_commit_callbacks(execute=True), open(path, "rb") as handle:
            response = client.post("/roster/", {"file": handle})
        assert response.status_code == 302, response.content.decode()[:500]
        client.logout()
        return ImportJob.objects.latest("id")

    return post


@pytest.fixture
def hr(tree):
    return tree.account("hr", (Role.HR, tree.school))


@pytest.fixture
def dept_admin(tree):
    return tree.account("cs-admin", (Role.DEPARTMENT_ADMIN, tree.cs))


def staff_row(seq):
    return student_row(seq, college="人事处", klass=None, kind="教职工")


def _seen(client, job) -> bool:
    status = client.get(f"/roster/{job.pk}/").status_code
    assert status in (200, 404)
    return status == 200


@pytest.mark.parametrize("starter", ["dept_admin", "sysadmin"])
def test_hr_cannot_see_or_commit_a_student_roster_started_by_someone_else(
    client, request, hr, xlsx, upload, django_capture_on_commit_callbacks, starter
):
    job = upload(request.getfixturevalue(starter), xlsx([student_row(1)]))
    assert job.state == ImportJob.State.VALIDATED and job.new == 1
    sign_in(client, hr)
    assert client.get(f"/roster/{job.pk}/").status_code == 404
    assert client.get(f"/roster/{job.pk}/progress/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/roster/{job.pk}/commit/", {"mode": "all"}).status_code == 404
    assert client.post(f"/roster/{job.pk}/discard/").status_code == 404
    assert job.file_name not in client.get("/roster/").content.decode()
    job.refresh_from_db()
    assert job.state == ImportJob.State.VALIDATED
    assert not Person.objects.filter(number=student_row(1)[0]).exists()


def test_hr_sees_and_commits_their_own_staff_roster(client, hr, xlsx, upload, tree):
    job = upload(hr, xlsx([staff_row(1)], name="hr-staff.xlsx"))
    sign_in(client, hr)
    assert _seen(client, job)
    assert "hr-staff.xlsx" in client.get("/roster/").content.decode()


def test_another_hr_officer_sees_a_staff_roster_but_a_college_admin_does_not(
    client, hr, dept_admin, tree, xlsx, upload
):
    job = upload(hr, xlsx([staff_row(1)]))
    colleague = tree.account("hr2", (Role.HR, tree.school))
    assert _seen(sign_in(client, colleague), job)
    assert not _seen(sign_in(client, dept_admin), job)  # HR's duty reaches beyond the college


def test_the_system_admin_sees_every_job_of_the_school(
    client, hr, dept_admin, xlsx, upload, sysadmin
):
    jobs = [upload(hr, xlsx([staff_row(1)])), upload(dept_admin, xlsx([student_row(2)]))]
    sign_in(client, sysadmin)
    assert all(_seen(client, job) for job in jobs)


def test_a_college_admin_sees_a_colleagues_job_in_the_same_college_only(
    client, dept_admin, tree, xlsx, upload
):
    job = upload(dept_admin, xlsx([student_row(1)]))
    colleague = tree.account("cs-admin2", (Role.DEPARTMENT_ADMIN, tree.cs))
    other_college = tree.account("lang-admin", (Role.DEPARTMENT_ADMIN, tree.lang))
    assert _seen(sign_in(client, colleague), job)
    assert not _seen(sign_in(client, other_college), job)
