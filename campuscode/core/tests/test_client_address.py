"""The client's address behind the school's reverse proxy (issue 8, hole 9).

Every request below comes from the proxy at 10.0.0.5 unless it says otherwise; the proxy
appends the address it saw to X-Forwarded-For, as nginx's $proxy_add_x_forwarded_for does.
"""

import pytest
from django.test import Client

from campuscode.audit.models import AuditEntry
from conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


@pytest.fixture
def behind_proxy(settings):
    settings.CAMPUSCODE_TRUSTED_PROXIES = [PROXY]
    settings.CAMPUSCODE_PROXY_COUNT = 1
    return settings


def via_proxy(client_address: str, forged: str = "") -> dict:
    chain = f"{forged}, {client_address}" if forged else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain}


def sign_in_as(username, password, **meta):
    return Client().post("/accounts/login/", {"username": username, "password": password}, **meta)


def test_failures_of_other_clients_behind_the_proxy_do_not_lock_out_the_next(
    behind_proxy, student, tree
):
    # Five people behind the same proxy each mistype their password once...
    for i in range(behind_proxy.AXES_FAILURE_LIMIT):
        someone = tree.person(f"同学{i}", tree.cs_2501)
        response = sign_in_as(someone.number, "wrong", **via_proxy(f"172.16.0.{i + 10}"))
        assert response.status_code == 200
    # ...and a sixth still signs in: the lock is per client, not per proxy.
    response = sign_in_as(student.number, PASSWORD, **via_proxy("172.16.0.99"))
    assert response.status_code == 302


def test_one_client_behind_the_proxy_is_still_locked_out(behind_proxy, student, tree):
    for i in range(behind_proxy.AXES_FAILURE_LIMIT):
        someone = tree.person(f"同学{i}", tree.cs_2501)
        sign_in_as(someone.number, "wrong", **via_proxy("172.16.0.66"))
    response = sign_in_as(student.number, PASSWORD, **via_proxy("172.16.0.66"))
    assert response.status_code == 429


def test_a_forwarded_address_from_a_peer_that_is_not_the_proxy_is_ignored(
    behind_proxy, student, tree
):
    attacker = "198.51.100.9"
    for i in range(behind_proxy.AXES_FAILURE_LIMIT):
        someone = tree.person(f"同学{i}", tree.cs_2501)
        forged = {"REMOTE_ADDR": attacker, "HTTP_X_FORWARDED_FOR": f"203.0.113.{i}"}
        sign_in_as(someone.number, "wrong", **forged)
    # A new forged address each time does not escape the lock on the real one.
    forged = {"REMOTE_ADDR": attacker, "HTTP_X_FORWARDED_FOR": "203.0.113.200"}
    assert sign_in_as(student.number, PASSWORD, **forged).status_code == 429


def test_without_a_trusted_proxy_no_forwarded_header_is_believed(settings, adviser):
    settings.CAMPUSCODE_TRUSTED_PROXIES = []
    client = sign_in(Client(), adviser)
    client.get("/people/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert AuditEntry.objects.get(action="people.list.viewed").ip == PROXY


def test_the_audit_row_carries_the_forwarded_client_address(behind_proxy, adviser):
    client = sign_in(Client(), adviser)
    client.get("/people/", **via_proxy("172.16.3.4", forged="203.0.113.7"))
    # The client's own (forged) entries left of the proxy's are never used.
    assert AuditEntry.objects.get(action="people.list.viewed").ip == "172.16.3.4"


def test_two_proxies_in_a_row(behind_proxy, adviser):
    behind_proxy.CAMPUSCODE_TRUSTED_PROXIES = ["10.0.0.0/24"]
    behind_proxy.CAMPUSCODE_PROXY_COUNT = 2
    client = sign_in(Client(), adviser)
    # client 172.16.3.4 → edge proxy 10.0.0.9 → proxy 10.0.0.5 → application
    client.get(
        "/people/",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.7, 172.16.3.4, 10.0.0.9",
    )
    assert AuditEntry.objects.get(action="people.list.viewed").ip == "172.16.3.4"


def test_a_forwarded_scheme_from_a_peer_that_is_not_the_proxy_is_ignored(
    behind_proxy, settings, adviser
):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    client = sign_in(Client(), adviser)
    trusted = client.get("/people/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert trusted.status_code == 200
    forged = client.get("/people/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_PROTO="https")
    assert forged.status_code == 301 and forged["Location"].startswith("https://")
