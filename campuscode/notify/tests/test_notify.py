"""One notification path: in-app notices, text messages through a gateway, e-mail and group
robots; every send recorded, failures retried, the person's channel respected."""

import base64
import hashlib
import hmac
import json
import re
import threading
import urllib.parse
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.management import call_command

from campuscode.accounts.models import OutboxMessage
from campuscode.accounts.tests.helpers import NEW_PASSWORD, identity, reason_on
from campuscode.notify.models import Channel, Delivery, Kind, Notice, Preference
from campuscode.notify.services import notify
from campuscode.people.models import Person
from conftest import sign_in

pytestmark = pytest.mark.django_db

PORT = 18011  # this worktree's own port (loopback only)
START = "2026-03-02 09:40 +0800"


class Gateway:
    """A tiny HTTP server on 127.0.0.1 that answers from a script and records requests."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[tuple[int, dict]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
                )
                status, answer = gateway.answers.pop(0) if gateway.answers else (200, {})
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{PORT}{path}"


@pytest.fixture
def gateway():
    gateway = Gateway()
    gateway.thread.start()
    yield gateway
    gateway.server.shutdown()
    gateway.server.server_close()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def sms_to(phone: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(channel=OutboxMessage.Channel.SMS, to=phone))


# --- Claiming by phone -----------------------------------------------------------------


def test_it_claims_by_phone_when_no_email_is_on_file(client, tree, clock):
    person = tree.person("周子墨", tree.cs_2501, account=False)
    Person.objects.filter(pk=person.pk).update(email="")
    response = client.post("/accounts/claim/", identity(person))
    assert response.status_code == 302, reason_on(response)
    page = client.get("/accounts/claim/code/").content.decode()
    assert person.masked_phone in page and person.phone not in page
    (sms,) = sms_to(person.phone)
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", sms.body).group(1)
    assert client.post("/accounts/claim/code/", {"code": code}).status_code == 302
    response = client.post(
        "/accounts/claim/password/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.user is not None and not mail.outbox
    delivery = Delivery.objects.get(kind=Kind.CLAIM_CODE)
    # Recorded with its outcome; the code itself and the full number are not kept.
    assert (delivery.channel, delivery.status, delivery.recipient) == (
        Channel.SMS,
        Delivery.Status.SENT,
        person.masked_phone,
    )
    assert delivery.body == "" and delivery.address == ""


def test_a_failed_code_message_is_refused_on_the_page_and_not_sent_later(
    client, tree, clock, settings
):
    settings.SMS_BACKEND = "campuscode.notify.channels.HttpSmsBackend"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/nothing-listens-here"
    person = tree.person("周子墨", tree.cs_2501, account=False)
    response = client.post("/accounts/claim/", identity(person))
    assert reason_on(response) == "send_failed"
    assert Delivery.objects.get().status == Delivery.Status.EXPIRED
    call_command("send_notifications")
    assert Delivery.objects.get().attempts == 1


# --- The SMS gateway, retried ----------------------------------------------------------


def test_a_gateway_failing_twice_is_retried_and_every_attempt_recorded(
    student, gateway, settings, clock, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "campuscode.notify.channels.HttpSmsBackend"
    settings.SMS_GATEWAY_URL = gateway.url("/sms/send")
    settings.SMS_GATEWAY_KEY = "k-123"
    settings.SMS_GATEWAY_SIGN = "【测试大学】"
    settings.SMS_GATEWAY_TEMPLATE = "TPL_1"
    settings.SMS_GATEWAY_FIELDS = {"to": "mobile", "text": "content"}
    gateway.answers = [(502, {}), (200, {"code": 1, "msg": "busy"}), (200, {"code": 0})]

    with django_capture_on_commit_callbacks(execute=True):
        notify(
            person=student,
            kind=Kind.CHECKIN_REMINDER,
            data={"day": "2026-03-02", "period": "morning", "closes": "10:00"},
            channels=[Channel.SMS],
        )
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.QUEUED, 1)
    assert "502" in delivery.error

    call_command("send_notifications")  # not yet due: the pause after a failure
    assert len(gateway.requests) == 1
    clock.shift(timedelta(minutes=1, seconds=1))
    call_command("send_notifications")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.QUEUED, 2)
    assert "busy" in delivery.error
    clock.shift(timedelta(minutes=1, seconds=1))  # the second pause is twice as long
    call_command("send_notifications")
    assert len(gateway.requests) == 2
    clock.shift(timedelta(minutes=1))
    call_command("send_notifications")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 3)
    assert delivery.sent_at is not None and delivery.recipient == student.masked_phone

    call_command("send_notifications")  # idempotent: nothing is sent twice
    assert len(gateway.requests) == 3
    request = gateway.requests[-1]
    assert request["path"] == "/sms/send"
    assert request["headers"]["Authorization"] == "Bearer k-123"
    assert request["json"]["mobile"] == student.phone
    assert "10:00" in request["json"]["content"]
    assert (request["json"]["sign"], request["json"]["template"]) == ("【测试大学】", "TPL_1")


def test_a_message_that_keeps_failing_is_listed_for_the_system_admin(
    client, student, adviser, sysadmin, settings, clock
):
    from campuscode.core.rules import set_setting

    settings.SMS_BACKEND = "campuscode.notify.channels.HttpSmsBackend"
    settings.SMS_GATEWAY_URL = ""  # not configured: fails every time
    set_setting(key="notify_max_attempts", value=2)
    notify(person=student, kind=Kind.ISOLATION, data={"started": True}, channels=[Channel.SMS])
    call_command("send_notifications")
    clock.shift(timedelta(minutes=2))
    call_command("send_notifications")
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 2)

    assert sign_in(client, adviser).get("/notify/deliveries/").status_code == 403
    page = sign_in(client, sysadmin).get("/notify/deliveries/").content.decode()
    assert f'data-delivery="{delivery.pk}"' in page and student.masked_phone in page
    assert student.phone not in page
    assert client.post(f"/notify/deliveries/{delivery.pk}/again/").status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.QUEUED, 0)


# --- Group robots ----------------------------------------------------------------------


def test_wecom_and_dingtalk_robots_get_their_payloads(
    tree, gateway, settings, django_capture_on_commit_callbacks
):
    settings.WECOM_ROBOTS = {"TEST": (gateway.url("/cgi-bin/webhook/send?key=abc"), "")}
    settings.DINGTALK_ROBOTS = {"*": (gateway.url("/robot/send?access_token=xyz"), "SECret")}
    gateway.answers = [(200, {"errcode": 0, "errmsg": "ok"}), (200, {"errcode": 0})]
    with django_capture_on_commit_callbacks(execute=True):
        notify(unit=tree.cs_2501, kind=Kind.MANUAL_LIMIT, data={"name": "张小伟", "count": 6})
    wecom, dingtalk = sorted(gateway.requests, key=lambda r: r["path"])
    assert wecom["path"] == "/cgi-bin/webhook/send?key=abc"  # the school's (an ancestor's)
    for request in (wecom, dingtalk):
        assert request["json"]["msgtype"] == "text"
        assert "张小伟" in request["json"]["text"]["content"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(dingtalk["path"]).query)
    assert query["access_token"] == ["xyz"]
    expected = base64.b64encode(
        hmac.new(b"SECret", f"{query['timestamp'][0]}\nSECret".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]
    assert set(Delivery.objects.values_list("channel", "status")) == {
        (Channel.WECOM, Delivery.Status.SENT),
        (Channel.DINGTALK, Delivery.Status.SENT),
    }


def test_a_robot_error_code_counts_as_a_failure(
    tree, gateway, settings, django_capture_on_commit_callbacks
):
    settings.WECOM_ROBOTS = {"*": (gateway.url("/cgi-bin/webhook/send?key=bad"), "")}
    gateway.answers = [(200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    with django_capture_on_commit_callbacks(execute=True):
        notify(unit=tree.cs, kind=Kind.MANUAL_LIMIT, data={}, channels=[Channel.WECOM])
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.QUEUED and "93000" in delivery.error


# --- The person's channel --------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "sms", "emails"),
    [("auto", 1, 0), ("email", 0, 1), ("sms", 1, 0), ("in_app", 0, 0)],
)
def test_the_preferred_channel_is_respected(
    client, student, choice, sms, emails, django_capture_on_commit_callbacks
):
    sign_in(client, student.user)
    response = client.post("/notify/settings/", {"channel": choice})
    assert response.status_code == 302
    assert Preference.objects.get(user=student.user).channel == choice
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=student.user, kind=Kind.ISOLATION, data={"started": False})
    assert len(sms_to(student.phone)) == sms
    assert len(mail.outbox) == emails
    assert Notice.objects.filter(user=student.user).count() == 1  # always in the app


def test_without_a_mobile_number_the_default_is_email(student, django_capture_on_commit_callbacks):
    Person.objects.filter(pk=student.pk).update(phone="")
    student.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        notify(person=student, kind=Kind.ISOLATION, data={"started": False})
    assert [m.to for m in mail.outbox] == [[student.email]] and not OutboxMessage.objects.exists()


def test_a_bad_choice_changes_nothing(client, student):
    sign_in(client, student.user)
    response = client.post("/notify/settings/", {"channel": "pigeon"})
    assert response.status_code == 200 and not Preference.objects.exists()


# --- One in-app path -------------------------------------------------------------------


def test_a_reminder_and_a_followup_notice_show_through_the_one_in_app_path(
    client, other_student, clock
):
    call_command("send_checkin_reminders")  # 09:40, the morning window closes at 10:00
    notify(
        person=other_student,
        kind=Kind.REPORT_DECIDED,
        data={"state": "approved", "note": ""},
        url="/followup/",
    )
    sign_in(client, other_student.user)
    page = client.get("/code/").content.decode()
    assert page.count('class="notice"') == 2
    assert "10:00" in page and 'href="/checkins/"' in page
    assert 'href="/followup/"' in page
    # Shown once.
    assert 'class="notice"' not in client.get("/code/").content.decode()


def test_the_pending_approvals_banner_is_a_link(client, adviser):
    from campuscode.notify.selectors import banner_providers

    assert len(banner_providers) == 1  # one registration, whatever the app order
    page = sign_in(client, adviser).get("/code/").content.decode()
    assert 'class="notices"' not in page  # nothing waiting, nothing shown


# --- The visitor form ------------------------------------------------------------------


def test_a_visitor_with_a_phone_and_no_email_can_apply(client, tree, time_machine):
    from campuscode.followup.models import VisitorApplication
    from campuscode.followup.tests.test_visitors import apply
    from campuscode.people.models import Role

    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    staff = tree.person("李海燕", tree.cs, kind=Person.Kind.STAFF, number="T0002")
    sign_in(client, tree.account("", (Role.DEPARTMENT_ADMIN, tree.cs), person=staff))
    assert apply(client, tree.cs, email="").status_code == 302
    assert VisitorApplication.objects.get().email == ""
    response = apply(client, tree.cs, email="", phone="")
    assert response.status_code == 400 and "phone" in response.context["form"].errors
    assert VisitorApplication.objects.count() == 1
