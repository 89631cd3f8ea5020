import io
import re

import openpyxl
import pytest

from campuscode.audit.models import AuditEntry
from campuscode.people.models import Person, Role, hash_id_number
from conftest import make_id_number, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def dept_admin(tree):
    staff = tree.person("李海燕", tree.cs, kind=Person.Kind.STAFF, number="T0003")
    return tree.account("", (Role.DEPARTMENT_ADMIN, tree.cs), person=staff)


@pytest.fixture
def hr(tree):
    staff = tree.person("钱人事", tree.hr_office, kind=Person.Kind.STAFF, number="T0004")
    return tree.account("", (Role.HR, tree.school), person=staff)


@pytest.fixture
def teacher(tree):
    staff = tree.person("周老师", tree.cs, kind=Person.Kind.STAFF, number="T0002")
    return tree.account("", (Role.TEACHER, tree.cs), person=staff)


def _numbers(response) -> list[str]:
    return re.findall(
        r'data-person="\d+">\s*<td[^>]*><a [^>]*>([^<]+)</a>', response.content.decode()
    )


def _last(action):
    return AuditEntry.objects.filter(action=action).order_by("-pk").first()


# --- list --------------------------------------------------------------------------


def test_it_filters_the_list_by_unit_subtree_kind_state_and_search(client, tree, sysadmin):
    a = tree.person("张三", tree.cs_2501, number="S1")
    b = tree.person("张四", tree.cs_2502, number="S2", state=Person.State.LEFT)
    c = tree.person("王五", tree.en_2501, number="S3")
    d = tree.person("赵老师", tree.cs, kind=Person.Kind.STAFF, number="T9")
    sign_in(client, sysadmin)

    def shown(**params):
        return set(_numbers(client.get("/people/", params)))

    assert shown(unit=tree.cs.pk) == {a.number, b.number, d.number}
    assert shown(unit=tree.cs.pk, kind="staff") == {d.number}
    assert shown(state="left") == {b.number}
    assert shown(q="张") == {a.number, b.number}
    assert shown(q="S3") == {c.number}
    assert shown(unit=tree.lang.pk, q="张") == set()


def test_it_audits_a_list_view_as_one_entry_with_its_filters(client, tree, sysadmin, student):
    sign_in(client, sysadmin).get("/people/", {"unit": tree.cs.pk, "kind": "student", "q": "张"})
    entry = _last("people.list.viewed")
    assert entry.actor == sysadmin and entry.subject is None and entry.ip == "127.0.0.1"
    assert entry.data["filters"] == {"unit": "计算机学院", "kind": "student", "q": "张"}
    assert entry.data["count"] == 1
    assert AuditEntry.objects.count() == 1


def test_it_ignores_a_guessed_unit_outside_the_scope(client, tree, dept_admin, other_student):
    mine = tree.person("张三", tree.cs_2501, number="S1")
    response = sign_in(client, dept_admin).get("/people/", {"unit": tree.en_2501.pk})
    assert response.status_code == 200
    assert mine.number in _numbers(response) and other_student.number not in _numbers(response)


def test_it_offers_only_units_inside_the_scope(client, tree, dept_admin):
    page = sign_in(client, dept_admin).get("/people/").content.decode()
    options = set(re.findall(r'<option value="(\d+)"', page))
    assert options == {str(u.pk) for u in (tree.cs, tree.cs_2501, tree.cs_2502)}


def test_it_pages_the_list_fifty_at_a_time(client, tree, sysadmin):
    Person.objects.bulk_create(
        Person(school=tree.school, number=f"S{i:03d}", name=f"学生{i}", org_unit=tree.cs_2501)
        for i in range(120)
    )
    sign_in(client, sysadmin)
    assert len(_numbers(client.get("/people/"))) == 50
    assert _numbers(client.get("/people/", {"page": 3})) == [f"S{i:03d}" for i in range(100, 120)]


def test_it_answers_htmx_with_the_panel_only(client, sysadmin, student):
    response = sign_in(client, sysadmin).get("/people/", {"q": "张"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert 'id="people-panel"' in page and "<html" not in page
    assert _numbers(response) == [student.number]


def test_it_shows_masked_phones_in_the_list(client, sysadmin, student):
    page = sign_in(client, sysadmin).get("/people/").content.decode()
    assert student.masked_phone in page and student.phone not in page


# --- export ------------------------------------------------------------------------


def test_it_exports_the_filtered_list_masked(client, tree, sysadmin, student, other_student):
    trap = tree.person("=HYPERLINK(1)", tree.cs_2501, number="S9")
    response = sign_in(client, sysadmin).get("/people/export.xlsx", {"unit": tree.cs.pk})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {student.number, trap.number}
    _number, name, _kind, unit, phone, id_tail, _state, _claimed = rows[student.number]
    assert (name, unit) == (student.name, "计算机学院 / 计科2501班")
    assert (phone, id_tail) == (student.masked_phone, student.masked_id)
    assert rows[trap.number][1] == "'=HYPERLINK(1)"  # text, never a formula
    entry = _last("people.list.exported")
    assert entry.actor == sysadmin and entry.data == {"filters": {"unit": "计算机学院"}, "count": 2}


# --- detail and reveal ---------------------------------------------------------------


def test_it_shows_the_detail_masked_with_the_unit_path_and_roles(client, tree, sysadmin, adviser):
    person = adviser.person
    page = sign_in(client, sysadmin).get(f"/people/{person.pk}/").content.decode()
    assert person.phone not in page and person.masked_phone in page
    assert person.email not in page and person.masked_email in page
    assert "测试大学" in page and "主校区" in page and "计算机学院" in page
    assert f'hx-post="/people/{person.pk}/reveal/"' in page
    assert "计科2501班" in page  # the adviser's role scope
    entry = _last("people.profile.viewed")
    assert (entry.actor, entry.subject, entry.ip) == (sysadmin, person, "127.0.0.1")


def test_it_reveals_phone_and_email_for_one_person_and_audits_it(client, sysadmin, student):
    sign_in(client, sysadmin)
    response = client.post(f"/people/{student.pk}/reveal/", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert student.phone in page and student.email in page
    assert response["Cache-Control"].startswith("max-age=0")
    entry = _last("people.contact.revealed")
    assert (entry.actor, entry.subject, entry.ip) == (sysadmin, student, "127.0.0.1")


def test_it_reveals_without_javascript_too(client, sysadmin, student):
    response = sign_in(client, sysadmin).post(f"/people/{student.pk}/reveal/")
    assert response.status_code == 200 and student.phone in response.content.decode()


def test_it_reveals_only_by_post(client, sysadmin, student):
    response = sign_in(client, sysadmin).get(f"/people/{student.pk}/reveal/")
    assert response.status_code == 405
    assert not AuditEntry.objects.filter(action="people.contact.revealed").exists()


def test_it_offers_no_reveal_button_to_a_role_without_the_duty(client, teacher, student):
    page = sign_in(client, teacher).get(f"/people/{student.pk}/").content.decode()
    assert "/reveal/" not in page and student.phone not in page


def test_it_lets_a_student_see_their_own_record_without_an_audit_entry(client, student):
    response = sign_in(client, student.user).get(f"/people/{student.pk}/")
    assert response.status_code == 200
    assert not AuditEntry.objects.exists()


# --- add and edit ------------------------------------------------------------------


def _form(person: Person, **changes) -> dict:
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
    data.update(changes)
    return data


def test_it_records_the_changed_field_names_never_the_id_number(client, dept_admin, student):
    new_id = make_id_number(77, "20060606")
    sign_in(client, dept_admin)
    response = client.post(
        f"/people/{student.pk}/edit/",
        _form(student, phone="13912345678", state="suspended", id_number=new_id),
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert (student.phone, student.state) == ("13912345678", Person.State.SUSPENDED)
    assert (student.id_hash, student.id_last4) == (hash_id_number(new_id), new_id[-4:])
    entry = _last("people.person.changed")
    assert entry.data == {"changed": ["phone", "state", "id_number"]}
    assert (entry.actor, entry.subject) == (dept_admin, student)
    for row in AuditEntry.objects.all():
        assert new_id not in str(row.data) and new_id[:14] not in str(row.data)


def test_it_logs_opening_the_edit_form_as_a_read(client, dept_admin, student):
    page = sign_in(client, dept_admin).get(f"/people/{student.pk}/edit/").content.decode()
    assert student.phone in page
    assert _last("people.edit.viewed").subject == student


def test_it_writes_no_entry_when_nothing_changed(client, dept_admin, student):
    sign_in(client, dept_admin).post(f"/people/{student.pk}/edit/", _form(student))
    assert not AuditEntry.objects.filter(action="people.person.changed").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id_number": "110101200501010010"}, "id_number"),  # wrong check digit
        ({"id_number": "11010120050101001"}, "id_number"),  # 17 digits
        ({"id_number": "AB-12#34"}, "id_number"),
        ({"phone": "12345"}, "phone"),
        ({"name": ""}, "name"),
        ({"valid_from": "2026-03-01", "valid_until": "2026-02-01"}, "valid_until"),
    ],
)
def test_it_refuses_bad_input_with_a_field_error(client, dept_admin, student, changes, field):
    response = sign_in(client, dept_admin).post(
        f"/people/{student.pk}/edit/", _form(student, **changes)
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not AuditEntry.objects.filter(action="people.person.changed").exists()


def test_it_refuses_an_id_number_that_belongs_to_someone_else(client, tree, dept_admin, student):
    other = tree.person("刘洋", tree.cs_2502)
    response = sign_in(client, dept_admin).post(
        f"/people/{student.pk}/edit/", _form(student, id_number=other.id_number)
    )
    assert response.status_code == 400 and "id_number" in response.context["form"].errors


def test_it_creates_a_person_in_the_scope(client, tree, dept_admin):
    sign_in(client, dept_admin)
    data = {
        "number": "２０２５９９０１",  # full-width, as pasted from a spreadsheet
        "name": "新 同学",
        "kind": "student",
        "org_unit": tree.cs_2502.pk,
        "phone": "+86 139-0000-1111",
        "email": "",
        "state": "active",
        "id_number": make_id_number(5),
    }
    response = client.post("/people/new/", data)
    person = Person.objects.get(number="20259901")
    assert response.status_code == 302 and response["Location"] == f"/people/{person.pk}/"
    assert (person.name, person.phone, person.school) == ("新同学", "13900001111", tree.school)
    assert person.id_last4 == data["id_number"][-4:]
    assert _last("people.person.created").subject == person


def test_it_refuses_a_duplicate_number(client, tree, dept_admin, student):
    response = sign_in(client, dept_admin).post(
        "/people/new/", _form(student, org_unit=tree.cs_2502.pk)
    )
    assert response.status_code == 400 and response.context["form"].non_field_errors()
    assert Person.objects.filter(number=student.number).count() == 1


def test_it_limits_units_and_kinds_to_the_editors_scope(client, tree, dept_admin, hr, student):
    sign_in(client, dept_admin)
    response = client.post(f"/people/{student.pk}/edit/", _form(student, org_unit=tree.en_2501.pk))
    assert response.status_code == 400 and "org_unit" in response.context["form"].errors
    sign_in(client, hr)
    staff = hr.person
    response = client.post(f"/people/{staff.pk}/edit/", _form(staff, kind="student"))
    assert response.status_code == 400 and "kind" in response.context["form"].errors
    staff.refresh_from_db()
    assert staff.kind == Person.Kind.STAFF


def test_it_refuses_a_save_that_would_leave_the_editors_scope(client, tree, hr):
    # HR over the school (staff anywhere) and department admin of 计算机学院 (anyone there):
    # every unit and kind is offered, but a student in 外国语学院 is in neither scope.
    tree.account("", (Role.DEPARTMENT_ADMIN, tree.cs), person=hr.person)
    data = {
        "number": "S77",
        "name": "越界",
        "kind": "student",
        "org_unit": tree.en_2501.pk,
        "phone": "",
        "email": "",
        "state": "active",
    }
    response = sign_in(client, hr).post("/people/new/", data)
    assert response.status_code == 403
    assert 'data-reason="out_of_scope"' in response.content.decode()
    assert not Person.objects.filter(number="S77").exists()
    assert not AuditEntry.objects.filter(action="people.person.created").exists()


def test_it_keeps_a_person_who_leaves(client, dept_admin, student):
    sign_in(client, dept_admin).post(f"/people/{student.pk}/edit/", _form(student, state="left"))
    assert Person.objects.filter(pk=student.pk, state=Person.State.LEFT).exists()
    assert _numbers(client.get("/people/", {"state": "left"})) == [student.number]


def test_it_has_no_delete_route(client, sysadmin, student):
    sign_in(client, sysadmin)
    assert client.post(f"/people/{student.pk}/delete/").status_code == 404
    assert client.delete(f"/people/{student.pk}/").status_code == 405
