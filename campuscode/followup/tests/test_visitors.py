"""Visitor and temporary-worker codes (R3.3): apply, approve with the right scope, the
claim link, the same health check-in, and expiry at verification."""

import pytest
from django.core import mail

from campuscode.accounts.models import OutboxMessage
from campuscode.codes.tokens import issue_token, verify_token
from campuscode.followup.models import Decision, VisitorApplication
from campuscode.people.models import Person
from campuscode.people.services import id_fields
from conftest import make_id_number, sign_in

from .conftest import form_key

pytestmark = pytest.mark.django_db
ID = make_id_number(901, birth="19800101")


def apply(client, unit, kind="visitor", first="2026-03-02", last="2026-03-04", **changes):
    page = client.get("/followup/visitors/")
    return client.post(
        "/followup/visitors/",
        {
            "kind": kind,
            "host_unit": unit.pk,
            "name": "钱访客",
            "id_number": ID,
            "phone": "13900001111",
            "email": "visitor@example.com",
            "purpose": "学术交流",
            "valid_from": first,
            "valid_until": last,
            "key": form_key(page),
        }
        | changes,
    )


def test_a_department_applies_and_hr_approves_a_visitor_code(
    client, tree, dept_admin, hr, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    sign_in(client, dept_admin)
    assert apply(client, tree.cs).status_code == 302
    application = VisitorApplication.objects.get()
    assert (application.state, application.id_last4) == (Decision.PENDING, ID[-4:])
    assert not Person.objects.filter(kind=Person.Kind.VISITOR).exists()
    # Not their own application.
    assert (
        client.post(f"/followup/visitors/{application.pk}/", {"action": "approve"}).status_code
        == 403
    )

    sign_in(client, hr)
    with django_capture_on_commit_callbacks(execute=True):  # sent after the commit
        response = client.post(f"/followup/visitors/{application.pk}/", {"action": "approve"})
    assert response.status_code == 302
    application.refresh_from_db()
    person = application.person
    assert (person.kind, person.org_unit, str(person.valid_until)) == (
        Person.Kind.VISITOR,
        tree.cs,
        "2026-03-04",
    )
    assert person.number == f"V{application.pk:06d}"
    # The claim link goes to the visitor's phone, not the e-mail.
    assert not mail.outbox
    (sms,) = OutboxMessage.objects.filter(channel=OutboxMessage.Channel.SMS, to="13900001111")
    assert sms.to == "13900001111"
    assert "http://testserver/accounts/claim/" in sms.body and person.number in sms.body

    # The claim link leads to the ordinary claim: number, name, last 4 of the ID number.
    client.logout()
    claim = client.post(
        "/accounts/claim/", {"number": person.number, "name": "钱访客", "id_last4": ID[-4:]}
    )
    assert claim.status_code == 302 and claim["Location"].endswith("/accounts/claim/code/")


def test_a_visitor_code_expires_by_itself(client, tree, dept_admin, hr, time_machine):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    sign_in(client, dept_admin)
    apply(client, tree.cs)
    sign_in(client, hr)
    client.post(f"/followup/visitors/{VisitorApplication.objects.get().pk}/", {"action": "approve"})
    person = VisitorApplication.objects.get().person
    assert verify_token(issue_token(person=person, colour="green")).reason == "ok"
    time_machine.move_to("2026-03-05 09:00 +0800", tick=False)
    verdict = verify_token(issue_token(person=person, colour="green"))
    assert (verdict.ok, verdict.reason) == (False, "expired")


def test_a_visitor_fills_the_same_health_checkin(client, tree, dept_admin, hr, time_machine):
    from campuscode.checkins.models import Checkin, CheckinPoint
    from campuscode.checkins.tokens import screen_token
    from campuscode.followup.tests.conftest import HEALTH

    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    sign_in(client, dept_admin)
    apply(client, tree.cs)
    sign_in(client, hr)
    client.post(f"/followup/visitors/{VisitorApplication.objects.get().pk}/", {"action": "approve"})
    person = VisitorApplication.objects.get().person
    person.user = tree.account("V-account")
    person.save()
    point = CheckinPoint.objects.create(campus=tree.main_campus, building="南门", name="岗亭")
    sign_in(client, person.user)
    path = f"/checkins/p/{point.pk}/{screen_token(point.pk)}/"
    key = client.get(path).context["form"].initial["key"]
    assert client.post(path, {**HEALTH, "key": key}).status_code == 302
    assert Checkin.objects.get().person == person


def test_a_rejected_application_creates_nobody(client, tree, dept_admin, hr, time_machine):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    sign_in(client, dept_admin)
    apply(client, tree.cs, kind="temporary")
    sign_in(client, hr)
    application = VisitorApplication.objects.get()
    client.post(f"/followup/visitors/{application.pk}/", {"action": "reject", "note": "材料不全"})
    application.refresh_from_db()
    assert (application.state, application.decision_note, application.person) == (
        Decision.REJECTED,
        "材料不全",
        None,
    )
    assert not mail.outbox
    # Decided once: a second click is refused.
    response = client.post(f"/followup/visitors/{application.pk}/", {"action": "approve"})
    assert response.status_code == 409


def test_the_host_unit_must_be_in_the_applicants_scope(
    client, tree, dept_admin, student, outsider, time_machine
):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    sign_in(client, dept_admin)
    response = apply(client, tree.lang)
    assert response.status_code == 400 and "host_unit" in response.context["form"].errors
    for user in (student.user, outsider):
        sign_in(client, user)
        assert client.get("/followup/visitors/").status_code == 403
    assert not VisitorApplication.objects.exists()


def test_another_departments_admin_cannot_see_or_decide(client, tree, dept_admin, time_machine):
    from campuscode.people.models import Role

    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    sign_in(client, dept_admin)
    apply(client, tree.cs)
    lang_admin = tree.account("lang-admin", (Role.DEPARTMENT_ADMIN, tree.lang))
    sign_in(client, lang_admin)
    pk = VisitorApplication.objects.get().pk
    assert client.get(f"/followup/visitors/{pk}/").status_code == 404
    assert client.post(f"/followup/visitors/{pk}/", {"action": "approve"}).status_code == 404


def approve(client, hr, application):
    sign_in(client, hr)
    return client.post(f"/followup/visitors/{application.pk}/", {"action": "approve"})


def test_a_returning_visitor_keeps_one_entry_made_valid_for_the_new_visit(
    client, tree, dept_admin, hr, time_machine
):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    sign_in(client, dept_admin)
    apply(client, tree.cs)
    first = VisitorApplication.objects.get()
    assert approve(client, hr, first).status_code == 302
    person = Person.objects.get(kind=Person.Kind.VISITOR)
    Person.objects.filter(pk=person.pk).update(state=Person.State.LEFT)

    time_machine.move_to("2026-04-10 09:00 +0800", tick=False)
    sign_in(client, dept_admin)
    apply(client, tree.cs, kind="temporary", first="2026-04-10", last="2026-04-20")
    second = VisitorApplication.objects.exclude(pk=first.pk).get()
    assert approve(client, hr, second).status_code == 302

    second.refresh_from_db()
    assert (
        second.person_id == person.pk and Person.objects.filter(id_hash=person.id_hash).count() == 1
    )
    person.refresh_from_db()
    assert (person.kind, person.state, str(person.valid_from), str(person.valid_until)) == (
        Person.Kind.TEMPORARY, Person.State.ACTIVE, "2026-04-10", "2026-04-20",
    )  # fmt: skip
    assert verify_token(issue_token(person=person, colour="green")).ok


@pytest.mark.parametrize(
    ("earlier_kind", "earlier_state", "message"),
    [
        (Person.Kind.STAFF, Person.State.ACTIVE, "本校学生或教职工"),
        (Person.Kind.VISITOR, Person.State.SUSPENDED, "该人员当前不是正常状态"),
    ],
)
def test_an_approval_never_turns_a_member_into_a_visitor_or_lifts_a_suspension(
    client, tree, dept_admin, hr, time_machine, earlier_kind, earlier_state, message
):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    earlier = tree.person("钱访客", tree.cs, kind=earlier_kind)
    Person.objects.filter(pk=earlier.pk).update(state=earlier_state, **id_fields(ID))
    sign_in(client, dept_admin)
    apply(client, tree.cs)
    application = VisitorApplication.objects.get()

    response = approve(client, hr, application)

    assert response.status_code == 409 and message in response.content.decode()
    application.refresh_from_db()
    assert (application.state, application.person) == (Decision.PENDING, None)
    earlier.refresh_from_db()
    assert (earlier.kind, earlier.state) == (earlier_kind, earlier_state)
