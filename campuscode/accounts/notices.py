"""Messages to an account's owner about changes made to it by someone else.

A password reset is announced at the e-mail address and mobile number on file. A change of e-mail or mobile number is announced to the OLD address and number: if the
change was an attempt to take the account over, its owner hears of it where the attacker
cannot read it.
"""

import logging
import smtplib

from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.accounts.models import OutboxMessage
from campuscode.people.models import Person

log = logging.getLogger(__name__)


def send_sms(*, to: str, body: str) -> None:
    """A text message. There is no SMS gateway yet: the message is kept in the outbox
    (channel SMS), where a gateway would pick it up and where the demo shows it."""
    OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.SMS, to=to, subject=body[:300], body=body
    )


def announce_contact_change(*, person: Person, old: dict[str, str], editor) -> None:
    """Tell the person, at the old e-mail address and the old mobile number, that their
    contact details were changed, by whom and when. Never the new values."""
    fields = [
        label
        for name, label in (("email", _("e-mail address")), ("phone", _("mobile number")))
        if name in old
    ]
    text = _(
        "The %(fields)s of your Campus Code account %(account)s was changed by %(editor)s "
        "on %(when)s. If you did not ask for this, contact the IT office at once."
    ) % {
        "fields": _(" and ").join(str(f) for f in fields),
        "account": person.number,
        "editor": editor.get_username(),
        "when": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    if old.get("email"):
        try:
            send_mail(
                subject=_("Campus Code: your contact details were changed"),
                message=text,
                from_email=None,
                recipient_list=[old["email"]],
            )
        except (OSError, smtplib.SMTPException):
            # The change itself stands (it is audited); a mail server down must not undo it.
            log.warning("contact-change notice for person %s could not be mailed", person.pk)
    if old.get("phone"):
        send_sms(to=old["phone"], body=text)


def announce_password_reset(*, person: Person, admin) -> None:
    """Tell the person, at the e-mail address and mobile number on file, that an
    administrator reset their password and how to get back in (claiming again)."""
    text = _(
        "The password of your Campus Code account %(account)s was reset by %(admin)s on "
        '%(when)s. To sign in again, open the sign-in page, choose "Claim your campus '
        'code" and follow the steps: your number, name, the last 4 characters of your ID '
        "number and a one-time code sent to the e-mail address on file. If you did not "
        "ask for this, contact the IT office at once."
    ) % {
        "account": person.number,
        "admin": admin.get_username(),
        "when": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    if person.email:
        try:
            send_mail(
                subject=_("Campus Code: your password was reset"),
                message=text,
                from_email=None,
                recipient_list=[person.email],
            )
        except (OSError, smtplib.SMTPException):
            # The reset stands (it is audited); a mail server down must not undo it.
            log.warning("password-reset notice for person %s could not be mailed", person.pk)
    if person.phone:
        send_sms(to=person.phone, body=text)
