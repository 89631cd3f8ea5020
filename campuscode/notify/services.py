"""`notify()`: the one way anything tells a person, or a unit's group chat, something.

In the app a notice row is enough (the page shows it). Every message on an outside channel
is a `Delivery` row first, then sent after the caller's transaction commits; a failed send
is retried with growing pauses (`retry_due`, every minute) and, after the last attempt,
stays on the system admin's page of failed deliveries and in the log: never lost silently.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation

from campuscode.core.rules import get_setting
from campuscode.notify import channels as outside
from campuscode.notify.attachments import attachments_for
from campuscode.notify.models import Channel, Delivery, Notice, Preference
from campuscode.notify.texts import subject_for, text_for
from campuscode.people.models import OrgUnit, Person, mask_email, mask_phone

log = logging.getLogger(__name__)

ROBOTS = (Channel.WECOM, Channel.DINGTALK)
# A worker that took a delivery and died leaves it to the next run after this.
LEASE = timedelta(minutes=2)


def notify(
    *,
    user: User | None = None,
    person: Person | None = None,
    unit: OrgUnit | None = None,
    kind: str,
    data: dict | None = None,
    url: str = "",
    channels: Iterable[str] | None = None,
    now: datetime | None = None,
    expires_at: datetime | None = None,
    sync: bool = False,
    attach: dict | None = None,
) -> list[Delivery]:
    """Tell `user` or `person` (and/or the group chat of `unit`) about `kind`.

    `channels` None: in the app, plus the person's preferred outside channel (by default a
    text message if a mobile number is on file, otherwise e-mail), plus the unit's robots
    when a unit is given. A channel with no address for this person is skipped.
    `sync`: send now, in this thread (a one-time code the person is waiting for); otherwise
    after the commit, in the background.
    `attach`: the e-mail carries files, made when it is sent by the builder registered for
    `kind` in notify.attachments from these (small, non-personal) arguments; the other
    channels get the words only. Returns the outside deliveries."""
    data = data or {}
    now = now or timezone.now()
    if person is None and user is not None:
        person = Person.objects.filter(user=user).first()
    if user is None and person is not None:
        user = person.user
    wanted = list(channels) if channels is not None else _default_channels(user, person, unit)
    if Channel.IN_APP in wanted and user is not None:
        Notice.objects.create(user=user, kind=kind, data=data, url=url, created_at=now)
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = subject_for(kind), text_for(kind, data)
    rows = []
    for channel in wanted:
        target = _address(channel, user=user, person=person, unit=unit)
        if target is None:
            continue
        address, recipient = target
        rows.append(
            Delivery(
                channel=channel,
                kind=kind,
                user=user if channel not in ROBOTS else None,
                recipient=recipient[:200],
                address=address,
                subject=subject[:300],
                body=body,
                attach=attach if channel == Channel.EMAIL and attach else None,
                created_at=now,
                next_attempt_at=now,
                expires_at=expires_at,
            )
        )
    deliveries = [*map(_save, rows)]
    if not deliveries:
        return []
    ids = [d.pk for d in deliveries]
    if sync:
        for pk in ids:
            deliver(delivery_id=pk)
        return list(Delivery.objects.filter(pk__in=ids).order_by("pk"))
    transaction.on_commit(lambda: _enqueue(ids))
    return deliveries


def _save(delivery: Delivery) -> Delivery:
    delivery.save()
    return delivery


def _enqueue(ids: list[int]) -> None:
    from campuscode.notify.tasks import send_deliveries

    try:
        send_deliveries.delay(ids)
    except Exception:  # the broker is down: the rows wait, retry_due sends them
        log.warning("deliveries %s could not be queued; the retry job will send them", ids)


def preferred_channel(user: User | None) -> str:
    if user is None:
        return Preference.Choice.AUTO
    return (
        Preference.objects.filter(user=user).values_list("channel", flat=True).first()
        or Preference.Choice.AUTO
    )


def _default_channels(user, person, unit) -> list[str]:
    wanted = [Channel.IN_APP] if user is not None else []
    choice = preferred_channel(user)
    phone = person.phone if person else ""
    if choice == Preference.Choice.SMS or (choice == Preference.Choice.AUTO and phone):
        wanted.append(Channel.SMS)
    elif choice == Preference.Choice.EMAIL or choice == Preference.Choice.AUTO:
        wanted.append(Channel.EMAIL)
    if unit is not None:
        wanted += ROBOTS
    return wanted


def _address(channel: str, *, user, person, unit) -> tuple[str, str] | None:
    """(address to send to, masked recipient to show), or None when there is none."""
    if channel == Channel.SMS:
        phone = person.phone if person else ""
        return (phone, mask_phone(phone)) if phone else None
    if channel == Channel.EMAIL:
        email = (person.email if person else "") or (user.email if user else "")
        return (email, mask_email(email)) if email else None
    if channel in ROBOTS and unit is not None:
        robot = outside.robot_for(channel, unit)
        return (robot[0], f"{unit.name} ({robot[0]})") if robot else None
    return None


def set_preference(*, user: User, channel: str) -> Preference:
    preference, _created = Preference.objects.update_or_create(
        user=user, defaults={"channel": channel}
    )
    return preference


# --- Sending and retrying --------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """The pause after the n-th failed attempt: the rule's minutes, doubled each time."""
    return timedelta(minutes=get_setting("notify_retry_minutes") * 2 ** (attempts - 1))


def deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """Send one queued delivery if it is due; its status afterwards. Idempotent: a sent,
    failed or not-yet-due delivery is left alone, and of two workers only one sends."""
    now = now or timezone.now()
    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return ""
    if delivery.status != Delivery.Status.QUEUED or (
        delivery.next_attempt_at and delivery.next_attempt_at > now
    ):
        return delivery.status
    if delivery.expires_at and delivery.expires_at <= now:
        _close(delivery, status=Delivery.Status.EXPIRED)
        return Delivery.Status.EXPIRED
    # Take this attempt: the update matches only while nobody else has taken it.
    attempts = delivery.attempts + 1
    taken = Delivery.objects.filter(
        pk=delivery.pk, status=Delivery.Status.QUEUED, attempts=delivery.attempts
    ).update(attempts=attempts, next_attempt_at=now + LEASE)
    if not taken:
        return Delivery.Status.QUEUED
    try:
        _send(delivery)
    except outside.SendError as error:
        if attempts >= get_setting("notify_max_attempts"):
            log.error(
                "delivery %s (%s) failed for good after %s attempts: %s",
                delivery.pk,
                delivery.channel,
                attempts,
                error,
            )
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.FAILED, error=str(error)[:500], next_attempt_at=None
            )
            return Delivery.Status.FAILED
        log.warning("delivery %s (%s) failed, will retry: %s", delivery.pk, delivery.channel, error)
        Delivery.objects.filter(pk=delivery.pk).update(
            error=str(error)[:500], next_attempt_at=now + backoff(attempts)
        )
        return Delivery.Status.QUEUED
    _close(delivery, status=Delivery.Status.SENT, sent_at=timezone.now())
    return Delivery.Status.SENT


def _send(delivery: Delivery) -> None:
    if delivery.channel == Channel.SMS:
        outside.send_sms(to=delivery.address, text=delivery.body)
    elif delivery.channel == Channel.EMAIL:
        outside.send_email(
            to=delivery.address,
            subject=delivery.subject,
            text=delivery.body,
            attachments=attachments_for(delivery),
        )
    elif delivery.channel in ROBOTS:
        outside.send_robot(channel=delivery.channel, code=delivery.address, text=delivery.body)
    else:
        raise outside.SendError(f"unknown channel {delivery.channel}")


def _close(delivery: Delivery, *, status: str, sent_at: datetime | None = None) -> None:
    # The address and the words are needed only to send; a record of the send keeps neither.
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status, sent_at=sent_at, next_attempt_at=None, address="", body="", attach=None
    )


def retry_due(*, now: datetime | None = None) -> int:
    """Send every queued delivery whose time has come; how many were sent."""
    now = now or timezone.now()
    due = Delivery.objects.filter(
        status=Delivery.Status.QUEUED, next_attempt_at__lte=now
    ).values_list("pk", flat=True)
    return sum(deliver(delivery_id=pk, now=now) == Delivery.Status.SENT for pk in list(due))


def cancel(*, deliveries: Iterable[Delivery]) -> None:
    """No longer worth sending (a one-time code that was withdrawn)."""
    Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], status=Delivery.Status.QUEUED
    ).update(status=Delivery.Status.EXPIRED, next_attempt_at=None, address="", body="", attach=None)


def send_again(*, delivery: Delivery, actor: User, client_ip: str | None = None) -> bool:
    """The system admin puts a failed delivery back in the queue (the gateway is fixed)."""
    from campuscode.audit.services import log_action

    again = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.FAILED).update(
        status=Delivery.Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    if again:
        log_action(
            action="notify.delivery.requeued",
            actor=actor,
            client_ip=client_ip,
            data={"delivery": delivery.pk, "channel": delivery.channel},
        )
        transaction.on_commit(lambda: _enqueue([delivery.pk]))
    return bool(again)
