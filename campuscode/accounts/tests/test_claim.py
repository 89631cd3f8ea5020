import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from campuscode.accounts.models import ClaimChallenge
from campuscode.accounts.tests.helpers import (
    NEW_PASSWORD,
    identity,
    last_code,
    reason_on,
)
from campuscode.audit.models import AuditEntry
from campuscode.core.rules import set_setting
from campuscode.people.models import OrgUnit, Person
from campuscode.people.services import id_fields
from conftest import PASSWORD, make_id_number

pytestmark = pytest.mark.django_db

START = "2026-03-02 09:00 +0800"


@pytest.fixture
def newcomer(tree) -> Person:
    """A student in the registry who has never signed in: no account yet. No mobile number
    on file, so the codes go by e-mail (test_claim_by_phone.py: the text-message path)."""
    person = tree.person("赵子轩", tree.cs_2501, account=False)
    Person.objects.filter(pk=person.pk).update(phone="")
    person.phone = ""
    return person


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def test_it_claims_an_account_in_three_steps(client, newcomer, clock):
    response = client.post("/accounts/claim/", identity(newcomer))
    assert response.status_code == 302 and response["Location"] == "/accounts/claim/code/"
    assert [m.to for m in mail.outbox] == [[newcomer.email]]

    page = client.get("/accounts/claim/code/").content.decode()
    assert newcomer.masked_email in page and newcomer.email not in page

    response = client.post("/accounts/claim/code/", {"code": last_code()})
    assert response["Location"] == "/accounts/claim/password/"
    response = client.post(
        "/accounts/claim/password/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/code/"

    newcomer.refresh_from_db()
    assert newcomer.user.username == f"{newcomer.number}@TEST"
    assert newcomer.claimed_at is not None and newcomer.user.check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.get(action="accounts.person.claimed")
    assert entry.subject_id == newcomer.pk and entry.actor_id == newcomer.user_id
    assert 'data-token="' in client.get("/code/").content.decode()  # signed in


def test_it_stores_only_a_hash_of_the_code(client, newcomer, clock):
    client.post("/accounts/claim/", identity(newcomer))
    challenge = ClaimChallenge.objects.get(person=newcomer)
    assert last_code() not in challenge.code_hash and len(challenge.code_hash) == 64


def test_it_accepts_full_width_digits_spaces_and_a_lower_case_x(client, tree, clock):
    id_number = next(n for n in map(make_id_number, range(1000)) if n.endswith("X"))
    person = tree.person("欧阳娜娜", tree.cs_2501, account=False)
    Person.objects.filter(pk=person.pk).update(**id_fields(id_number))
    full_width = person.number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = client.post(
        "/accounts/claim/",
        {"number": f" {full_width} ", "name": "欧阳 娜娜", "id_last4": id_number[-4:].lower()},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "changes",
    [{"name": "赵子萱"}, {"id_last4": "0000"}, {"number": "29999999"}],
    ids=["wrong name", "wrong last 4", "unknown number"],
)
def test_it_gives_one_answer_to_any_wrong_combination(client, newcomer, clock, changes):
    response = client.post("/accounts/claim/", identity(newcomer, **changes))
    assert (response.status_code, reason_on(response)) == (200, "mismatch")
    assert mail.outbox == [] and not ClaimChallenge.objects.exists()


def test_the_three_wrong_answers_render_the_same_message(client, newcomer, clock):
    def refusal(**changes):
        page = client.post("/accounts/claim/", identity(newcomer, **changes)).content.decode()
        return page[
            page.index('<div class="refusal"') : page.index(
                "</div>", page.index('<div class="refusal"')
            )
        ]

    assert refusal(name="赵子萱") == refusal(id_last4="0000") == refusal(number="29999999")


def test_it_locks_the_account_after_repeated_failures(client, newcomer, clock):
    set_setting(key="claim_max_failures", value=3)
    set_setting(key="claim_lock_minutes", value=30)
    for _ in range(2):
        assert (
            reason_on(client.post("/accounts/claim/", identity(newcomer, name="错"))) == "mismatch"
        )
    response = client.post("/accounts/claim/", identity(newcomer, name="错"))
    assert (response.status_code, reason_on(response)) == (429, "locked")
    assert "30" in response.content.decode()  # says for how long

    # Locked: even the right answer changes nothing and sends nothing.
    response = client.post("/accounts/claim/", identity(newcomer))
    assert (response.status_code, reason_on(response)) == (429, "locked")
    assert mail.outbox == []

    clock.shift(dt.timedelta(minutes=31))
    assert client.post("/accounts/claim/", identity(newcomer)).status_code == 302


def test_an_unknown_number_locks_like_a_known_one(client, tree, clock):
    set_setting(key="claim_max_failures", value=3)
    data = {"number": "20259999", "name": "某人", "id_last4": "1234"}
    reasons = [reason_on(client.post("/accounts/claim/", data)) for _ in range(4)]
    assert reasons == ["mismatch", "mismatch", "locked", "locked"]


def test_failures_outside_the_window_do_not_add_up(client, newcomer, clock):
    set_setting(key="claim_max_failures", value=3)
    set_setting(key="claim_failure_window_minutes", value=10)
    for _ in range(2):
        client.post("/accounts/claim/", identity(newcomer, name="错"))
    clock.shift(dt.timedelta(minutes=11))
    assert reason_on(client.post("/accounts/claim/", identity(newcomer, name="错"))) == "mismatch"


def test_it_limits_failures_per_address(client, newcomer, clock):
    set_setting(key="claim_address_failures_per_hour", value=5)
    for n in range(5):  # five different numbers: no single account reaches its limit
        data = identity(newcomer, number=f"2026{n:04d}")
        assert reason_on(client.post("/accounts/claim/", data)) == "mismatch"
    response = client.post("/accounts/claim/", identity(newcomer))
    assert (response.status_code, reason_on(response)) == (429, "address_limited")
    assert mail.outbox == []
    # Another address is not affected.
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert other.post("/accounts/claim/", identity(newcomer)).status_code == 302


def test_a_wrong_code_counts_and_locks(client, newcomer, clock):
    set_setting(key="claim_max_failures", value=3)
    client.post("/accounts/claim/", identity(newcomer))
    code = last_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert reason_on(client.post("/accounts/claim/code/", {"code": wrong})) == "wrong_code"
    assert reason_on(client.post("/accounts/claim/code/", {"code": wrong})) == "wrong_code"
    response = client.post("/accounts/claim/code/", {"code": wrong})
    assert (response.status_code, reason_on(response)) == (429, "locked")
    response = client.post("/accounts/claim/code/", {"code": code})
    assert reason_on(response) == "locked"
    newcomer.refresh_from_db()
    assert newcomer.user is None


def test_a_code_that_is_not_six_digits_is_a_form_error_not_a_failure(client, newcomer, clock):
    set_setting(key="claim_max_failures", value=3)
    client.post("/accounts/claim/", identity(newcomer))
    for _ in range(4):
        response = client.post("/accounts/claim/code/", {"code": "12ab"})
        assert response.status_code == 200 and reason_on(response) is None
    assert client.post("/accounts/claim/code/", {"code": last_code()}).status_code == 302


def test_an_expired_code_is_refused_and_a_new_one_works(client, newcomer, clock):
    set_setting(key="claim_code_minutes", value=10)
    client.post("/accounts/claim/", identity(newcomer))
    old = last_code()
    clock.shift(dt.timedelta(minutes=11))
    assert reason_on(client.post("/accounts/claim/code/", {"code": old})) == "expired_code"
    assert client.post("/accounts/claim/resend/").status_code == 302
    assert len(mail.outbox) == 2
    assert client.post("/accounts/claim/code/", {"code": last_code()}).status_code == 302


def test_resending_waits_and_is_limited_per_hour(client, newcomer, clock):
    set_setting(key="claim_resend_seconds", value=60)
    set_setting(key="claim_codes_per_hour", value=2)
    client.post("/accounts/claim/", identity(newcomer))
    first = last_code()
    response = client.post("/accounts/claim/resend/")
    assert reason_on(response) == "resend_too_soon" and len(mail.outbox) == 1

    clock.shift(61)
    assert client.post("/accounts/claim/resend/").status_code == 302
    assert len(mail.outbox) == 2
    # The new code replaces the old one.
    if first != last_code():
        assert reason_on(client.post("/accounts/claim/code/", {"code": first})) == "wrong_code"

    clock.shift(61)
    response = client.post("/accounts/claim/resend/")
    assert reason_on(response) == "too_many_codes" and len(mail.outbox) == 2


def test_sending_step_one_twice_sends_one_code(client, newcomer, clock):
    client.post("/accounts/claim/", identity(newcomer))
    client.post("/accounts/claim/", identity(newcomer))
    assert len(mail.outbox) == 1
    assert client.post("/accounts/claim/code/", {"code": last_code()}).status_code == 302


def test_a_weak_password_is_refused_and_changes_nothing(client, newcomer, clock):
    client.post("/accounts/claim/", identity(newcomer))
    client.post("/accounts/claim/code/", {"code": last_code()})
    for first, second in [
        ("12345678", "12345678"),
        ("short", "short"),
        (NEW_PASSWORD, "other-Pass-99"),
    ]:
        response = client.post(
            "/accounts/claim/password/", {"new_password1": first, "new_password2": second}
        )
        assert response.status_code == 200 and "errorlist" in response.content.decode()
    newcomer.refresh_from_db()
    assert newcomer.user is None and newcomer.claimed_at is None
    assert not User.objects.filter(username=f"{newcomer.number}@TEST").exists()


def test_claiming_again_does_not_reset_an_account_in_use(client, student, clock):
    """Issue #8: the e-mailed code proves only the address on file, which an editor can
    change; a claimed account gets a new password with its second factor (see
    test_takeover.py), the old password, or an administrator's reset link."""
    response = client.post("/accounts/claim/", identity(student))
    assert reason_on(response) == "already_claimed" and mail.outbox == []
    assert (
        Client()
        .post("/accounts/login/", {"username": student.number, "password": PASSWORD})
        .status_code
        == 302
    )


@pytest.mark.parametrize(
    "change",
    [
        {"state": Person.State.SUSPENDED},
        {"state": Person.State.LEFT},
        {"valid_until": dt.date(2026, 3, 1)},
        {"valid_from": dt.date(2026, 3, 3)},
    ],
    ids=["suspended", "left", "expired", "not yet valid"],
)
def test_a_person_who_is_not_active_today_cannot_claim(client, newcomer, clock, change):
    Person.objects.filter(pk=newcomer.pk).update(**change)
    response = client.post("/accounts/claim/", identity(newcomer))
    assert reason_on(response) == "not_active" and mail.outbox == []


def test_a_person_suspended_during_the_claim_cannot_finish_it(client, newcomer, clock):
    client.post("/accounts/claim/", identity(newcomer))
    client.post("/accounts/claim/code/", {"code": last_code()})
    Person.objects.filter(pk=newcomer.pk).update(state=Person.State.SUSPENDED)
    response = client.post(
        "/accounts/claim/password/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert reason_on(response) == "not_active"
    newcomer.refresh_from_db()
    assert newcomer.user is None


def test_a_person_without_an_email_or_phone_is_told_to_ask_the_adviser(client, newcomer, clock):
    Person.objects.filter(pk=newcomer.pk).update(email="", phone="")
    response = client.post("/accounts/claim/", identity(newcomer))
    assert reason_on(response) == "no_email" and mail.outbox == []


def test_a_disabled_account_cannot_be_reset(client, student, clock):
    User.objects.filter(pk=student.user_id).update(is_active=False)
    response = client.post("/accounts/claim/", identity(student))
    assert reason_on(response) == "account_disabled" and mail.outbox == []


def test_later_steps_need_the_earlier_ones(client, newcomer, clock):
    assert client.get("/accounts/claim/code/")["Location"] == "/accounts/claim/"
    assert client.get("/accounts/claim/password/")["Location"] == "/accounts/claim/"
    client.post("/accounts/claim/", identity(newcomer))
    # The code step is not done: the password step is still closed.
    assert client.get("/accounts/claim/password/")["Location"] == "/accounts/claim/"


def test_the_password_step_closes_some_minutes_after_the_code(client, newcomer, clock):
    set_setting(key="claim_code_minutes", value=10)
    client.post("/accounts/claim/", identity(newcomer))
    client.post("/accounts/claim/code/", {"code": last_code()})
    clock.shift(dt.timedelta(minutes=11))
    assert client.get("/accounts/claim/password/")["Location"] == "/accounts/claim/"


def test_a_school_is_chosen_when_there_are_several(client, newcomer, clock):
    other = OrgUnit.objects.create(kind=OrgUnit.Kind.SCHOOL, name="另一大学", code="OTHER")
    assert 'name="school"' in client.get("/accounts/claim/").content.decode()
    response = client.post("/accounts/claim/", identity(newcomer) | {"school": other.pk})
    assert reason_on(response) == "mismatch"
    response = client.post("/accounts/claim/", identity(newcomer) | {"school": newcomer.school_id})
    assert response.status_code == 302


def test_the_forms_keep_csrf_protection(newcomer):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/accounts/claim/", identity(newcomer)).status_code == 403
    assert mail.outbox == []
