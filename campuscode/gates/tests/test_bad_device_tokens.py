"""Wrong device tokens at the gate API: past the per-address limit, HTTP 429 without even
looking the token up (issue 8, hole 10)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from campuscode.gates.models import Gate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "gate_bad_token": "3/m"}


def heartbeat(client, token):
    return client.post(
        "/api/v1/gates/heartbeat",
        {},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def gate_lookups(queries) -> list[str]:
    return [q["sql"] for q in queries if Gate._meta.db_table in q["sql"]]


def test_bad_tokens_get_429_past_the_limit_with_no_lookup(device_token):
    guesser = Client(REMOTE_ADDR="172.16.7.7")
    for i in range(3):
        assert heartbeat(guesser, f"gt_guess{i}").status_code == 401
    with CaptureQueriesContext(connection) as queries:
        response = heartbeat(guesser, "gt_guess-next")
    assert response.status_code == 429 and response.json() == {"detail": "Too many requests."}
    assert gate_lookups(queries) == []
    # Another address (a real gate) is not affected.
    assert heartbeat(Client(REMOTE_ADDR="172.16.7.8"), device_token).status_code == 200


def test_good_tokens_are_not_counted_and_pay_nothing_for_the_limit(device_token):
    gate = Client(REMOTE_ADDR="172.16.7.8")
    for _ in range(5):
        with CaptureQueriesContext(connection) as queries:
            assert heartbeat(gate, device_token).status_code == 200
        # django-ratelimit's counters are the cache keys starting "rl:".
        assert not [q for q in queries if "rl:" in q["sql"]]
