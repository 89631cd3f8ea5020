"""The outside channels: e-mail (Django's mail), text messages through a pluggable backend,
and WeCom / DingTalk group robots. Each `send_*` returns nothing or raises `SendError`."""

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string


class SendError(Exception):
    """A send that did not go through; the message is the reason recorded on the delivery."""


def send_email(*, to: str, subject: str, text: str, attachments=()) -> None:
    """`attachments`: notify.attachments.Attachment items (filename, content, mimetype)."""
    message = EmailMessage(subject=subject, body=text, to=[to])
    for item in attachments:
        message.attach(item.filename, item.content, item.mimetype)
    try:
        message.send()
    except (OSError, smtplib.SMTPException) as error:
        raise SendError(f"e-mail: {error}") from error


# --- Text messages ----------------------------------------------------------------------


class OutboxSmsBackend:
    """The demo's (and the tests') gateway: the message is kept in the outbox page's table
    (channel SMS) and printed, like the demo's e-mail backend."""

    def send(self, *, to: str, text: str) -> None:
        from campuscode.accounts.models import OutboxMessage

        OutboxMessage.objects.create(
            channel=OutboxMessage.Channel.SMS, to=to, subject=text[:300], body=text
        )
        print(f"[SMS to {to}] {text}")


class HttpSmsBackend:
    """An HTTP SMS gateway (the school's or a provider's relay): one JSON POST per message.

    The body is {"to", "text", "sign", "template"}, each key renamed by SMS_GATEWAY_FIELDS
    for gateways that name them otherwise; the key goes in the Authorization header. Any
    2xx answer whose JSON (if any) has no non-zero "code"/"errcode" counts as sent."""

    def send(self, *, to: str, text: str) -> None:
        url = settings.SMS_GATEWAY_URL
        if not url:
            raise SendError("sms: SMS_GATEWAY_URL is not set")
        fields = {"to": to, "text": text}
        if settings.SMS_GATEWAY_SIGN:
            fields["sign"] = settings.SMS_GATEWAY_SIGN
        if settings.SMS_GATEWAY_TEMPLATE:
            fields["template"] = settings.SMS_GATEWAY_TEMPLATE
        names = settings.SMS_GATEWAY_FIELDS
        body = {names.get(key, key): value for key, value in fields.items()}
        headers = {}
        if settings.SMS_GATEWAY_KEY:
            headers["Authorization"] = f"Bearer {settings.SMS_GATEWAY_KEY}"
        answer = post_json(url, body, headers=headers, timeout=settings.SMS_GATEWAY_TIMEOUT)
        code = answer.get("errcode", answer.get("code", 0)) if isinstance(answer, dict) else 0
        if code not in (0, "0", "OK", "ok", 200, "200"):
            raise SendError(f"sms gateway: {str(answer)[:300]}")


def sms_backend():
    return import_string(settings.SMS_BACKEND)()


def send_sms(*, to: str, text: str) -> None:
    sms_backend().send(to=to, text=text)


# --- Group robots -----------------------------------------------------------------------


def robot_for(channel: str, unit) -> tuple[str, str, str] | None:
    """(unit code, webhook URL, signing secret) of the robot of `unit` or of its nearest
    ancestor that has one (the "*" entry is everyone's last resort), or None."""
    robots = settings.WECOM_ROBOTS if channel == "wecom" else settings.DINGTALK_ROBOTS
    while unit is not None:
        if unit.code and unit.code in robots:
            return (unit.code, *robots[unit.code])
        unit = unit.parent
    if "*" in robots:
        return ("*", *robots["*"])
    return None


def send_robot(*, channel: str, code: str, text: str) -> None:
    robots = settings.WECOM_ROBOTS if channel == "wecom" else settings.DINGTALK_ROBOTS
    if code not in robots:
        raise SendError(f"{channel}: no robot configured for {code}")
    url, secret = robots[code]
    if channel == "dingtalk" and secret:
        url = dingtalk_signed_url(url, secret)
    answer = post_json(
        url, {"msgtype": "text", "text": {"content": text}}, timeout=settings.ROBOT_TIMEOUT
    )
    if isinstance(answer, dict) and answer.get("errcode", 0) != 0:
        raise SendError(f"{channel}: {answer.get('errcode')} {answer.get('errmsg', '')}"[:300])


def dingtalk_signed_url(url: str, secret: str, *, timestamp_ms: int | None = None) -> str:
    """DingTalk's "加签": HMAC-SHA256 of "timestamp\\nsecret", Base64, URL-encoded."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}&timestamp={timestamp}&sign={sign}"


def post_json(url: str, body: dict, *, headers: dict | None = None, timeout: float = 10):
    """POST `body` as JSON; the decoded JSON answer ({} if none). SendError on any failure."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise SendError(f"HTTP {error.code} from {urllib.parse.urlsplit(url).netloc}") from error
    except (urllib.error.URLError, OSError) as error:
        raise SendError(f"{urllib.parse.urlsplit(url).netloc}: {error}"[:300]) from error
    try:
        return json.loads(raw) if raw.strip() else {}
    except ValueError:
        return {}
