"""Public forms answer HTTP 429 with a clear page past the per-address limit (issue 8,
hole 10). Limits are settings (RATELIMITS); here a small one keeps the test quick."""

import pytest
from django.test import Client

from conftest import PASSWORD

pytestmark = pytest.mark.django_db

PUBLIC_FORMS = [
    "/accounts/login/",
    "/accounts/claim/",
    "/accounts/claim/code/",
    "/accounts/claim/resend/",
    "/accounts/claim/password/",
]


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "public_form": "3/m"}


@pytest.mark.parametrize("path", PUBLIC_FORMS)
def test_a_public_form_answers_429_past_the_limit(path):
    client = Client(REMOTE_ADDR="172.16.9.9")
    for _ in range(3):
        assert client.post(path, {"username": "x", "number": "x"}).status_code != 429
    response = client.post(path, {"username": "x", "number": "x"})
    assert response.status_code == 429
    page = response.content.decode()
    assert 'data-reason="rate_limited"' in page and "请求过于频繁" in page
    assert response["Retry-After"] == "60"


def test_the_limit_is_per_client_address_and_spares_reading(student):
    busy = Client(REMOTE_ADDR="172.16.9.9")
    for _ in range(4):
        busy.post("/accounts/login/", {"username": "x", "password": "y"})
    assert busy.get("/accounts/login/").status_code == 200  # reading the form is not limited
    other = Client(REMOTE_ADDR="172.16.9.10")
    response = other.post("/accounts/login/", {"username": student.number, "password": PASSWORD})
    assert response.status_code == 302


def test_behind_the_proxy_each_client_has_its_own_limit(settings, student):
    settings.CAMPUSCODE_TRUSTED_PROXIES = ["10.0.0.5"]
    for i in range(4):
        Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=f"172.16.0.{i}").post(
            "/accounts/login/", {"username": "x", "password": "y"}
        )
    sixth = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="172.16.0.99")
    response = sixth.post("/accounts/login/", {"username": student.number, "password": PASSWORD})
    assert response.status_code == 302
