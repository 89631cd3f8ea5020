"""Schemathesis over the served OpenAPI schema: no input makes the API answer 5xx."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from config.wsgi import application

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES_PER_OPERATION = 25  # the whole API in well under a minute here


def test_it_answers_every_generated_request_without_a_server_error(device_token, student):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    # The gate and key endpoints: other apps' routers fuzz their own operations.
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if op.path.startswith(("/api/v1/gates/", "/api/v1/codes/"))
    ]
    assert any(op.path == "/api/v1/gates/verify" for op in operations)
    seen: dict[str, set[int]] = {}

    def fuzz(operation, auth):
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(headers={"Authorization": auth})
            assert response.status_code < 500, (
                f"{operation.method.upper()} {operation.path}: {response.status_code} "
                f"for {case.body!r}"
            )
            seen.setdefault(operation.path, set()).add(response.status_code)

        run()

    for operation in operations:
        for auth in (f"Bearer {device_token}", "Bearer gt_wrong"):
            fuzz(operation, auth)
    assert 200 in seen["/api/v1/gates/verify"] and 401 in seen["/api/v1/gates/verify"]
