"""One ID number is one person per school, held by the database as well as by the
services' check: two requests that both pass the check cannot both save it."""

import pytest
from django.db import IntegrityError, transaction

from campuscode.people.models import OrgUnit, Person
from campuscode.people.services import id_fields
from campuscode.people.tests.race import meanwhile
from campuscode.people.tests.test_people_pages import _form
from conftest import make_id_number, sign_in

# The race runs in a second connection on PostgreSQL, which must see the committed tree.
pytestmark = pytest.mark.django_db(transaction=True)

NEW_ID = make_id_number(77, "20060606")
# The existence check of people/services.py, right before the person is written.
CHECK = '"people_person"."id_hash" IN (%s) AND NOT ("people_person"."id_hash" = %s)'


def _person(tree, number, id_number, school=None, unit=None):
    return Person(
        school=school or tree.school,
        number=number,
        name="重复者",
        org_unit=unit or tree.cs_2502,
        **(id_fields(id_number) if id_number else {}),
    )


def test_the_database_refuses_a_second_person_with_an_id_number_of_the_school(tree, student):
    with pytest.raises(IntegrityError), transaction.atomic():
        _person(tree, "S-DUP", student.id_number).save()
    assert Person.objects.filter(id_hash=student.id_hash).count() == 1
    # Another school may have the same human (a transfer); a blank hash means "not given".
    other = OrgUnit.objects.create(kind=OrgUnit.Kind.SCHOOL, name="别的大学")
    _person(tree, "S-DUP", student.id_number, school=other, unit=other).save()
    _person(tree, "V1", "").save()
    _person(tree, "V2", "").save()
    assert Person.objects.filter(school=tree.school, id_hash="").count() == 2


def _register_other(tree):
    def write():
        _person(tree, "S-OTHER", NEW_ID).save()

    return write


def test_an_id_number_registered_meanwhile_gets_the_form_message_on_edit(
    client, tree, sysadmin, student
):
    sign_in(client, sysadmin)
    with meanwhile(CHECK, _register_other(tree)) as ran:
        response = client.post(f"/people/{student.pk}/edit/", _form(student, id_number=NEW_ID))
    assert ran, "the check query was not seen: the race was not staged"
    assert response.status_code == 400
    assert response.context["form"].errors["id_number"] == ["本校已有其他人员使用此身份证号。"]
    assert "本校已有其他人员使用此身份证号。" in response.content.decode()
    student.refresh_from_db()
    assert student.id_last4 != NEW_ID[-4:]


def test_an_id_number_registered_meanwhile_gets_the_form_message_on_create(
    client, tree, sysadmin, student
):
    data = _form(student, number="S-NEW", name="新同学", id_number=NEW_ID)  # English this time
    sign_in(client, sysadmin)
    with meanwhile(CHECK, _register_other(tree)) as ran:
        response = client.post("/people/new/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert ran and response.status_code == 400
    assert response.context["form"].errors["id_number"] == [
        "Another person of this school has this ID number."
    ]
    assert not Person.objects.filter(number="S-NEW").exists()
