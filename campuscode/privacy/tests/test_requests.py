"""Requests about one's data (PIPL Art. 44–47): the person files a correction or deletion
request; the office holding the duty to edit their record answers it once, with a
record; every view of the queue and each answer is audited."""

import pytest

from campuscode.audit.models import AuditEntry
from campuscode.people.models import Role
from campuscode.privacy.models import DataRequest
from conftest import sign_in

pytestmark = pytest.mark.django_db


def file(client, person, key="k1", **data):
    sign_in(client, person.user)
    body = {"key": key, "kind": "correction", "text": "我的手机号码有误", "reason": "换号了"}
    return client.post("/privacy/my-data/", {**body, **data})


def answer(client, user, request, state="done", response="已更正"):
    sign_in(client, user)
    return client.post(
        f"/privacy/requests/{request.pk}/",
        {f"r{request.pk}-state": state, f"r{request.pk}-response": response},
    )


def test_a_filed_request_is_answered_by_the_department_and_shown_to_the_person(
    client, student, dept_admin
):
    assert file(client, student).status_code == 302
    file(client, student)  # a double tap: the same key files one request
    request = DataRequest.objects.get()
    assert (request.person, request.kind, request.state) == (student, "correction", "pending")

    sign_in(client, dept_admin)
    page = client.get("/privacy/requests/")
    assert page.status_code == 200
    assert "我的手机号码有误" in page.content.decode()
    viewed = AuditEntry.objects.get(action="privacy.requests.viewed")
    assert viewed.actor == dept_admin and viewed.data["people"] == [student.pk]

    assert answer(client, dept_admin, request).status_code == 302
    request.refresh_from_db()
    assert (request.state, request.handled_by, request.response) == ("done", dept_admin, "已更正")
    entry = AuditEntry.objects.get(action="privacy.request.done")
    assert (entry.actor, entry.subject, entry.data["response"]) == (dept_admin, student, "已更正")

    # Answered once: a second answer changes nothing.
    response = answer(client, dept_admin, request, state="refused", response="不行")
    assert response.status_code == 409
    request.refresh_from_db()
    assert (request.state, request.response) == ("done", "已更正")

    sign_in(client, student.user)
    page = client.get("/privacy/my-data/")
    rows = {s.key: s for s in page.context["sections"]}["requests"].rows
    assert rows[0]["response"] == "已更正" and rows[0]["state"] == "已完成"


def test_only_the_office_covering_the_person_sees_and_answers(
    client, student, tree, outsider, adviser
):
    file(client, student)
    request = DataRequest.objects.get()
    hr = tree.account("hr1", (Role.HR, tree.school))  # HR's duty is staff, not students
    for user in (hr, outsider, adviser):
        sign_in(client, user)
        listed = client.get("/privacy/requests/")
        assert listed.status_code in (200, 403)
        if listed.status_code == 200:
            assert "我的手机号码有误" not in listed.content.decode()
        assert answer(client, user, request).status_code == 403
    request.refresh_from_db()
    assert request.state == "pending"
    assert not AuditEntry.objects.filter(action__startswith="privacy.request.d").exists()


def test_an_answer_needs_a_text_and_a_request_needs_a_what(client, student, dept_admin):
    assert file(client, student, text="   ").status_code == 400
    assert not DataRequest.objects.exists()
    file(client, student)
    request = DataRequest.objects.get()
    response = answer(client, dept_admin, request, response="  ")
    assert response.status_code == 400
    assert "请填写给本人的答复" in response.content.decode()
    request.refresh_from_db()
    assert request.state == "pending"
