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
    """The code of the last claim: by text message (the demo's SMS outbox) when the person
    has a mobile number, otherwise by e-mail."""
    from campuscode.accounts.models import OutboxMessage

    sms = OutboxMessage.objects.filter(channel=OutboxMessage.Channel.SMS).first()
    body = sms.body if sms is not None else mail.outbox[-1].body
    return re.search(r"\b(\d{6})\b", body).group(1)


def claim(client, person, *, password=NEW_PASSWORD, **extra):
    """Run all three steps; returns the last response."""
    client.post("/accounts/claim/", identity(person), **extra)
    client.post("/accounts/claim/code/", {"code": last_code()}, **extra)
    return client.post(
        "/accounts/claim/password/",
        {"new_password1": password, "new_password2": password},
        **extra,
    )


# --- Two-factor ------------------------------------------------------------------------


def totp_code(device) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def wrong_totp_code(device) -> str:
    return f"{(int(totp_code(device)) + 1) % 10**6:06d}"


def codes_on(response) -> list[str]:
    """The backup codes a page shows, as printed ('01234 56789')."""
    return re.findall(r'<li class="backup-code">(\d{5} \d{5})</li>', response.content.decode())


def enrol(client, clock) -> tuple[object, list[str]]:
    """Turn the app on for the signed-in client; returns (TOTP device, backup codes)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.post("/accounts/security/totp/start/")
    device = TOTPDevice.objects.get(user_id=client.session["_auth_user_id"], confirmed=False)
    response = client.post("/accounts/security/totp/confirm/", {"code": totp_code(device)})
    assert response["Location"] == "/accounts/security/backup-codes/"
    codes = codes_on(client.get("/accounts/security/backup-codes/"))
    clock.shift(30)  # a TOTP code is accepted once; the next use needs the next one
    device.refresh_from_db()
    return device, codes
