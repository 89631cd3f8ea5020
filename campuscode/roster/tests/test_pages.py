"""The roster import pages through HTTP: upload, preview, commit, scope and roles."""

import io

import pytest
from openpyxl import load_workbook

from campuscode.audit.models import AuditEntry
from campuscode.people.models import OrgUnit, Person, Role
from campuscode.roster.models import ImportJob, ImportRowError, RowProblem
from campuscode.roster.tests.conftest import student_row
from conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(client, django_capture_on_commit_callbacks):
    """POST a file as `user`; the Celery task (eager in tests) runs on commit."""

    def post(user, path):
        sign_in(client, user)
        with django_capture_on_commit_callbacks(execute=True), open(path, "rb") as handle:
            response = client.post("/roster/", {"file": handle})
        assert response.status_code == 302, response.content.decode()[:500]
        return ImportJob.objects.latest("id"), response

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
def dept_admin(tree):
    return tree.account("cs-admin", (Role.DEPARTMENT_ADMIN, tree.cs))


@pytest.fixture
def hr(tree):
    return tree.account("hr", (Role.HR, tree.school))


def errors_of(job):
    return sorted((e.row, e.code) for e in ImportRowError.objects.filter(job=job))


def test_it_previews_then_commits_an_upload(client, sysadmin, xlsx, upload, commit):
    job, response = upload(sysadmin, xlsx([student_row(1), student_row(2, klass="计科2599班")]))
    assert response["Location"] == f"/roster/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert job.state == "validated" and (job.new, job.bad) == (2, 0)
    assert 'data-count="new">2<' in page and "计科2599班" in page
    assert 'value="all"' in page and 'value="all" disabled' not in page
    assert not Person.objects.filter(number__startswith="2026").exists()

    commit(job)
    assert (job.state, job.written_new, job.written_units) == ("done", 2, 1)
    assert Person.objects.filter(number__startswith="2026").count() == 2
    entry = AuditEntry.objects.get(action="roster.import.committed")
    assert entry.actor == sysadmin and entry.data["new"] == 2
    listing = client.get("/roster/").content.decode()
    assert job.file_name in listing


def test_import_all_is_refused_while_rows_have_errors(client, sysadmin, xlsx, upload, commit):
    job, _ = upload(sysadmin, xlsx([student_row(1), student_row(2, phone="12")]))
    page = client.get(f"/roster/{job.pk}/").content.decode()
    assert 'value="all" disabled' in page and 'value="good"' in page
    commit(job, "all")
    assert job.state == "validated"
    assert not Person.objects.filter(number__startswith="2026").exists()
    commit(job, "good")
    assert (job.state, job.written_new) == ("done", 1)


def test_a_second_click_on_commit_writes_once(client, sysadmin, xlsx, upload, commit):
    job, _ = upload(sysadmin, xlsx([student_row(1)]))
    commit(job)
    commit(job)
    assert Person.objects.filter(number__startswith="2026").count() == 1
    assert AuditEntry.objects.filter(action="roster.import.committed").count() == 1


def test_the_error_table_is_paginated_and_names_no_id_number(client, sysadmin, xlsx, upload):
    rows = [student_row(i, phone="1") for i in range(1, 61)]
    job, _ = upload(sysadmin, xlsx(rows))
    first = client.get(f"/roster/{job.pk}/").content.decode()
    assert first.count("<tr><td") == 50 and "?page=2" in first
    second = client.get(
        f"/roster/{job.pk}/?page=2", headers={"HX-Request": "true", "HX-Target": "errors"}
    )
    body = second.content.decode()
    assert body.startswith('<div id="errors">') and body.count("<tr><td") == 10
    assert all(row[2] not in first + body for row in rows)


def test_progress_is_polled_then_the_page_reloads(client, sysadmin, xlsx, tree):
    from campuscode.roster.services import create_job

    job = create_job(
        school=tree.school, file_name="a.xlsx", source=xlsx([student_row(1)]), user=sysadmin
    )
    sign_in(client, sysadmin)
    panel = client.get(f"/roster/{job.pk}/progress/", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in panel.content.decode()
    ImportJob.objects.filter(pk=job.pk).update(state="validated")
    done = client.get(f"/roster/{job.pk}/progress/", headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"


def test_the_template_is_an_xlsx_with_the_chinese_headers(client, sysadmin):
    response = sign_in(client, sysadmin).get("/roster/template.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    headers = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert headers[:8] == [
        "学号/工号",
        "姓名",
        "身份证号",
        "学院/部门",
        "班级",
        "手机号",
        "邮箱",
        "人员类别",
    ]


@pytest.mark.parametrize("who", ["outsider", "student", "adviser"])
def test_people_without_the_import_role_are_refused(client, request, who):
    user = request.getfixturevalue(who)
    user = user.user if hasattr(user, "user") else user
    sign_in(client, user)
    assert client.get("/roster/").status_code == 403
    assert client.get("/roster/template.xlsx").status_code == 403


def test_someone_elses_import_is_not_found(client, sysadmin, dept_admin, xlsx, upload):
    job, _ = upload(sysadmin, xlsx([student_row(1)]))
    sign_in(client, dept_admin)
    assert client.get(f"/roster/{job.pk}/").status_code == 404
    assert client.post(f"/roster/{job.pk}/commit/", {"mode": "all"}).status_code == 404
    assert job.file_name not in client.get("/roster/").content.decode()


def test_a_department_admin_imports_only_into_their_college(dept_admin, xlsx, upload, commit):
    rows = [
        student_row(1),
        student_row(2, klass="计科2599班"),  # a new class under their college: fine
        student_row(3, college="外国语学院", klass="英语2501班"),
        student_row(4, college="新学院", klass="新2601班"),  # a new college: not theirs
    ]
    job, _ = upload(dept_admin, xlsx(rows))
    assert errors_of(job) == [(4, RowProblem.OUT_OF_SCOPE), (5, RowProblem.OUT_OF_SCOPE)]
    commit(job, "good")
    assert job.written_new == 2 and not OrgUnit.objects.filter(name="新学院").exists()


def test_a_department_admin_cannot_pull_in_a_person_from_elsewhere(
    dept_admin, other_student, xlsx, upload
):
    row = student_row(1, name=other_student.name, id=other_student.id_number)
    row[0] = other_student.number
    job, _ = upload(dept_admin, xlsx([row]))
    assert errors_of(job) == [(2, RowProblem.PERSON_OUT_OF_SCOPE)]


def test_hr_imports_staff_but_not_students(hr, xlsx, upload, commit):
    rows = [
        student_row(1),
        student_row(2, college="人事处", klass=None, kind="教职工"),
        student_row(3, college="后勤处", klass=None, kind="临时工"),
    ]
    job, _ = upload(hr, xlsx(rows))
    assert errors_of(job) == [(2, RowProblem.KIND_NOT_ALLOWED)]
    commit(job, "good")
    kinds = Person.objects.filter(number__startswith="2026").values_list("kind", flat=True)
    assert sorted(kinds) == ["staff", "temporary"]


def test_a_bad_upload_is_refused_with_a_message(client, sysadmin, tmp_path):
    path = tmp_path / "roster.pdf"
    path.write_bytes(b"%PDF-1.4")
    sign_in(client, sysadmin)
    with open(path, "rb") as handle:
        response = client.post("/roster/", {"file": handle})
    assert response.status_code == 400 and not ImportJob.objects.exists()


def test_discard_drops_the_preview(client, sysadmin, xlsx, upload):
    job, _ = upload(sysadmin, xlsx([student_row(1)]))
    client.post(f"/roster/{job.pk}/discard/")
    job.refresh_from_db()
    assert job.state == "discarded"
    assert not Person.objects.filter(number__startswith="2026").exists()
