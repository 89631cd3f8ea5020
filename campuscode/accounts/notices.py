"""Messages to an account's owner about changes made to it by someone else, and the
one-time code of a claim; all sent through notify.

A password reset is announced at the e-mail address and mobile number on file. A change of
e-mail or mobile number is announced to the OLD address and number: if the change was an
attempt to take the account over, its owner hears of it where the attacker cannot read it.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.notify.models import Channel, Kind
from campuscode.notify.services import notify
from campuscode.people.models import Person


def claim_code_text(data: dict) -> str:
    return _(
        "Your one-time code is %(code)s. It is valid for %(minutes)s minutes.\n\n"
        "Enter it on the page where you asked for it. If you did not ask for a code, "
        "ignore this message: nobody can use your account without it."
    ) % {"code": data.get("code", ""), "minutes": data.get("minutes", "")}


def contact_change_text(data: dict) -> str:
    fields = [
        label
        for name, label in (("email", _("e-mail address")), ("phone", _("mobile number")))
        if name in data.get("fields", [])
    ]
    return _(
        "The %(fields)s of your Campus Code account %(account)s was changed by %(editor)s "
        "on %(when)s. If you did not ask for this, contact the IT office at once."
    ) % {
        "fields": _(" and ").join(str(f) for f in fields),
        "account": data.get("account", ""),
        "editor": data.get("editor", ""),
        "when": data.get("when", ""),
    }


def password_reset_text(data: dict) -> str:
    return _(
        "The password of your Campus Code account %(account)s was reset by %(admin)s on "
        '%(when)s. To sign in again, open the sign-in page, choose "Claim your campus '
        'code" and follow the steps: your number, name, the last 4 characters of your ID '
        "number and a one-time code sent to the mobile number or e-mail address on file. If "
        "you did not ask for this, contact the IT office at once."
    ) % {
        "account": data.get("account", ""),
        "admin": data.get("admin", ""),
        "when": data.get("when", ""),
    }


def announce_contact_change(*, person: Person, old: dict[str, str], editor) -> None:
    """Tell the person, at the old e-mail address and the old mobile number, that their
    contact details were changed, by whom and when. Never the new values."""
    data = {
        "fields": [name for name in ("email", "phone") if name in old],
        "account": person.number,
        "editor": editor.get_username(),
        "when": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    # The old values, not the record's: an unsaved copy addressed to them.
    before = Person(phone=old.get("phone", ""), email=old.get("email", ""))
    channels = [Channel.EMAIL] if old.get("email") else []
    channels += [Channel.SMS] if old.get("phone") else []
    if person.user is not None:
        notify(user=person.user, kind=Kind.CONTACT_CHANGED, data=data, channels=[Channel.IN_APP])
    if channels:
        notify(person=before, kind=Kind.CONTACT_CHANGED, data=data, channels=channels)


def announce_password_reset(*, person: Person, admin) -> None:
    """Tell the person, at the e-mail address and mobile number on file, that an
    administrator reset their password and how to get back in (claiming again)."""
    data = {
        "account": person.number,
        "admin": admin.get_username(),
        "when": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    notify(
        person=person, kind=Kind.PASSWORD_RESET, data=data, channels=[Channel.EMAIL, Channel.SMS]
    )
