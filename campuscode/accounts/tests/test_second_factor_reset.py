import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from campuscode.accounts.models import SecondFactorReset
from campuscode.accounts.tests.helpers import enrol, reason_on
from campuscode.audit.models import AuditEntry
from campuscode.people.models import Role
from conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(time_machine):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    return time_machine


@pytest.fixture
def adviser_phone(adviser, clock):
    """The adviser's own session, with the app on (it stands for the lost phone)."""
    phone = sign_in(Client(), adviser)
    enrol(phone, clock)
    return phone


def url(account) -> str:
    return f"/accounts/second-factor/{account.pk}/reset/"


def reset(admin_client, account, reason="手机丢失，已当面核实校园卡"):
    return admin_client.post(url(account), {"reason": reason})


def test_a_system_admin_resets_after_confirming_with_a_reason(
    client, sysadmin, adviser, adviser_phone
):
    sign_in(client, sysadmin)
    account_page = client.get(f"/people/accounts/{adviser.pk}/").content.decode()
    assert f'href="{url(adviser)}"' in account_page  # the way there from the account
    page = client.get(url(adviser))
    assert page.status_code == 200
    assert 'data-totp="on"' in page.content.decode() and "王老师" in page.content.decode()
    viewed = AuditEntry.objects.get(action="accounts.second_factor.viewed")
    assert viewed.subject.user == adviser

    response = client.post(url(adviser), {"reason": "  "})
    assert response.status_code == 400 and "请填写重置原因" in response.content.decode()
    assert TOTPDevice.objects.filter(user=adviser).exists()

    response = reset(client, adviser)
    assert response.status_code == 302 and response["Location"] == url(adviser)
    assert not TOTPDevice.objects.filter(user=adviser).exists()
    assert not StaticDevice.objects.filter(user=adviser).exists()
    entry = AuditEntry.objects.get(action="accounts.second_factor.reset")
    assert (entry.actor, entry.subject.user) == (sysadmin, adviser)
    assert entry.data == {
        "account": adviser.username,
        "reason": "手机丢失，已当面核实校园卡",
        "backup_codes_left": 10,
    }
    page = client.get(url(adviser)).content.decode()
    assert 'data-totp="reset"' in page and "itadmin" in page


def test_the_person_sets_the_app_up_again_at_next_sign_in(
    client, sysadmin, adviser, adviser_phone, clock
):
    clock.shift(60)
    reset(sign_in(client, sysadmin), adviser)
    clock.shift(60)

    # The session from before the reset (the lost phone) ends.
    response = adviser_phone.get("/people/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in adviser_phone.session

    # Signing in again leads to the setup and nowhere else until it is done.
    new_phone = Client()
    new_phone.post("/accounts/login/", {"username": "T0001", "password": PASSWORD})
    response = new_phone.get("/people/")
    assert response["Location"].startswith("/accounts/security/")
    assert new_phone.get("/code/")["Location"].startswith("/accounts/security/")
    page = new_phone.get("/accounts/security/").content.decode()
    assert 'data-reset="open"' in page and 'data-totp="off"' in page

    _device, codes = enrol(new_phone, clock)
    assert len(codes) == 10
    assert new_phone.get("/people/").status_code == 200
    assert SecondFactorReset.objects.get(user=adviser).enrolled_at is not None
    enabled = AuditEntry.objects.filter(action="accounts.totp.enabled").latest("pk")
    assert enabled.data["after_reset"] is True


def test_a_reset_account_without_a_role_that_sees_others_is_not_held_at_setup(
    client, sysadmin, adviser, adviser_phone, clock
):
    clock.shift(60)
    reset(sign_in(client, sysadmin), adviser)
    adviser.roles.all().delete()
    clock.shift(60)
    new_phone = Client()
    new_phone.post("/accounts/login/", {"username": "T0001", "password": PASSWORD})
    assert new_phone.get("/code/").status_code == 200


@pytest.mark.parametrize("who", ["adviser_b", "outsider"])
def test_someone_who_does_not_manage_accounts_cannot_reset(
    client, request, tree, adviser, adviser_phone, who
):
    if who == "adviser_b":
        staff = tree.person("赵老师", tree.lang, number="T0002")
        user = tree.account("", (Role.CLASS_ADVISER, tree.en_2501), person=staff)
    else:
        user = request.getfixturevalue("outsider")
    sign_in(client, user)
    assert client.get(url(adviser)).status_code == 403
    assert reset(client, adviser).status_code == 403
    assert TOTPDevice.objects.filter(user=adviser, confirmed=True).exists()
    assert StaticDevice.objects.get(user=adviser).token_set.count() == 10
    assert not AuditEntry.objects.filter(action__startswith="accounts.second_factor").exists()


def test_an_admin_of_another_college_does_not_see_the_account(client, tree, adviser, adviser_phone):
    lang_admin = tree.account("lang-admin", (Role.SYSTEM_ADMIN, tree.lang))
    sign_in(client, lang_admin)
    assert client.get(url(adviser)).status_code == 404
    assert reset(client, adviser).status_code == 404
    assert TOTPDevice.objects.filter(user=adviser).exists()


def test_an_admin_cannot_reset_their_own_second_factor(client, sysadmin, clock):
    sign_in(client, sysadmin)
    enrol(client, clock)
    page = client.get(url(sysadmin)).content.decode()
    assert 'data-action="reset"' not in page
    response = reset(client, sysadmin)
    assert (response.status_code, reason_on(response)) == (403, "self")
    assert TOTPDevice.objects.filter(user=sysadmin).exists()


def test_there_is_nothing_to_reset_without_the_app(client, sysadmin, adviser):
    sign_in(client, sysadmin)
    response = reset(client, adviser)
    assert (response.status_code, reason_on(response)) == (409, "not_enrolled")
    assert not SecondFactorReset.objects.exists()


def test_backup_codes_from_before_the_reset_stay_dead(client, sysadmin, adviser, clock):
    phone = sign_in(Client(), adviser)
    _device, old = enrol(phone, clock)
    clock.shift(60)
    reset(sign_in(client, sysadmin), adviser)
    clock.shift(60)
    new_phone = Client()
    new_phone.post("/accounts/login/", {"username": "T0001", "password": PASSWORD})
    _device, new = enrol(new_phone, clock)
    assert not set(old) & set(new)

    later = Client()
    later.post("/accounts/login/", {"username": "T0001", "password": PASSWORD})
    response = later.post("/accounts/otp/", {"code": old[0], "next": "/people/"})
    assert reason_on(response) == "wrong_backup_code"
    clock.shift(2)
    assert later.post("/accounts/otp/", {"code": new[0], "next": "/people/"}).status_code == 302
