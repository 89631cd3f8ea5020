import base64
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from campuscode.codes import keys as keystore
from campuscode.codes.tokens import check_signature, verify_token
from conftest import sign_in

pytestmark = pytest.mark.django_db


def _token_on(page: str) -> str:
    return re.search(r'data-token="([^"]+)"', page).group(1)


def test_my_code_shows_a_verifiable_qr(client, student):
    response = sign_in(client, student.user).get("/code/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page and 'hx-trigger="every 30s"' in page
    verdict = verify_token(_token_on(page))
    assert verdict.ok and verdict.person == student


def test_the_panel_renews_the_token(client, student, time_machine):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    sign_in(client, student.user)
    first = _token_on(client.get("/code/panel/").content.decode())
    time_machine.shift(31)
    second = _token_on(client.get("/code/panel/").content.decode())
    assert first != second


def test_my_code_needs_sign_in(client):
    response = client.get("/code/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_account_without_a_person_gets_no_code(client, outsider):
    page = sign_in(client, outsider).get("/code/").content.decode()
    assert "data-token" not in page


def test_public_keys_let_an_offline_verifier_check_a_code(client, student):
    from campuscode.codes.tokens import Colour, issue_token

    keystore.rotate_key()
    token = issue_token(person=student, colour=Colour.GREEN)
    body = client.get("/api/v1/codes/keys").json()
    assert len(body["keys"]) == 2 and sum(k["active"] for k in body["keys"]) == 1
    public = {
        k["kid"]: Ed25519PublicKey.from_public_bytes(
            base64.urlsafe_b64decode(k["public_key"] + "=")
        )
        for k in body["keys"]
    }
    reason, claims = check_signature(token, public)
    assert reason == "ok" and claims.person_id == student.pk


def test_the_openapi_schema_and_docs_are_served_without_a_cdn(client):
    assert "/api/v1/codes/keys" in client.get("/api/v1/openapi.json").json()["paths"]
    docs = client.get("/api/v1/docs").content.decode()
    assert "cdn" not in docs.lower()
