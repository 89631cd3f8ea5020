import re

from django.core import mail

NEW_PASSWORD = "Lantern-harbour-42"


def reason_on(response) -> str | None:
    """The refusal code a page shows (data-reason), or None."""
    match = re.search(r'data-reason="([^"]+)"', response.content.decode())
    return match.group(1) if match else None


def identity(person, **changes) -> dict:
    data = {"number": person.number, "name": person.name, "id_last4": person.id_number[-4:]}
    return data | changes


def last_code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def claim(client, person, *, password=NEW_PASSWORD, **extra):
    """Run all three steps; returns the last response."""
    client.post("/accounts/claim/", identity(person), **extra)
    client.post("/accounts/claim/code/", {"code": last_code()}, **extra)
    return client.post(
        "/accounts/claim/password/",
        {"new_password1": password, "new_password2": password},
        **extra,
    )
