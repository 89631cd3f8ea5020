"""Claiming an account (R3.4), and an administrator's password reset that sends the
person back to it. Two-factor sign-in lives in `second_factor.py`.

A claim has three steps: prove who you are (number + name + last 4 of the ID number),
prove you read the text messages or e-mail on file (a one-time code), set a password. Every refusal is
an `Outcome` with a `ClaimRefusal` code; no function here raises on bad input.
"""

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from campuscode.accounts.forms import person_username
from campuscode.accounts.models import (
    ClaimChallenge,
    ClaimGuard,
    ClaimRefusal,
    PasswordResetRefusal,
)
from campuscode.accounts.notices import announce_password_reset
from campuscode.audit.services import log_action
from campuscode.core.rules import get_setting
from campuscode.notify.models import Channel, Delivery, Kind
from campuscode.notify.services import cancel, notify
from campuscode.people.models import OrgUnit, Person
from campuscode.people.registry import may_change_credentials
from campuscode.people.selectors import accounts_visible_to
from campuscode.people.services import id_matches, normalise_name, normalise_text

CODE_SALT = "campuscode.accounts.claim-code"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    reason: str = ""
    person: Person | None = None
    challenge: ClaimChallenge | None = None
    wait_seconds: int = 0  # how long a lock or a cool-down still lasts

    @property
    def reason_label(self) -> str:
        return str(ClaimRefusal(self.reason).label) if self.reason else ""

    @property
    def wait_minutes(self) -> int:
        return max(1, math.ceil(self.wait_seconds / 60))


def refused(reason: str, **extra) -> Outcome:
    return Outcome(False, reason, **extra)


def number_key(number: str) -> str:
    """The number as the lock knows it: full-width folded, spaces gone, upper case."""
    return normalise_text(number).replace(" ", "").upper()[:64]


# --- The per-account lock -------------------------------------------------------------


def _guard(*, school: OrgUnit, number: str) -> ClaimGuard:
    guard, _created = ClaimGuard.objects.get_or_create(school=school, number=number_key(number))
    # Two phones guessing the same number at once must not both see "4 failures".
    return ClaimGuard.objects.select_for_update().get(pk=guard.pk)


def lock_state(*, school: OrgUnit, number: str, now: datetime) -> Outcome | None:
    """A LOCKED outcome while the number is locked, else None. Reads only."""
    guard = ClaimGuard.objects.filter(school=school, number=number_key(number)).first()
    if guard and guard.is_locked(now):
        return refused(
            ClaimRefusal.LOCKED, wait_seconds=int((guard.locked_until - now).total_seconds())
        )
    return None


def _count_failure(guard: ClaimGuard, *, now: datetime) -> Outcome | None:
    """Add one failure; returns the LOCKED outcome when this failure locks the account."""
    window = timedelta(minutes=get_setting("claim_failure_window_minutes"))
    if guard.window_started_at is None or now - guard.window_started_at > window:
        guard.failures, guard.window_started_at = 0, now
    guard.failures += 1
    locked = None
    if guard.failures >= get_setting("claim_max_failures"):
        lock = timedelta(minutes=get_setting("claim_lock_minutes"))
        guard.locked_until = now + lock
        guard.failures, guard.window_started_at = 0, None
        locked = refused(ClaimRefusal.LOCKED, wait_seconds=int(lock.total_seconds()))
    guard.save()
    return locked


def _clear_failures(guard: ClaimGuard) -> None:
    guard.failures, guard.window_started_at, guard.locked_until = 0, None, None
    guard.save()


# --- Step 1: identity ------------------------------------------------------------------


def _find_person(*, school: OrgUnit, number: str) -> Person | None:
    key = number_key(number)
    if not key:
        return None
    return (
        Person.objects.select_related("user", "school")
        .filter(school=school, number__iexact=key)
        .first()
    )


def check_identity(
    *, school: OrgUnit, number: str, name: str, id_last4: str, now: datetime
) -> Outcome:
    """Step 1. A wrong number, name or last 4 all give the same MISMATCH and count as one
    failure against the number typed, whether or not it exists."""
    if school is None:  # an installation without any school yet
        return refused(ClaimRefusal.MISMATCH)
    with transaction.atomic():
        guard = _guard(school=school, number=number)
        if guard.is_locked(now):
            return refused(
                ClaimRefusal.LOCKED, wait_seconds=int((guard.locked_until - now).total_seconds())
            )
        person = _find_person(school=school, number=number)
        matches = (
            person is not None
            and normalise_name(name) == normalise_name(person.name)
            and id_matches(person, id_last4)
        )
        if not matches:
            return _count_failure(guard, now=now) or refused(ClaimRefusal.MISMATCH)
        _clear_failures(guard)
    # From here on the caller has proved who they are, so a precise answer is safe.
    if reason := claim_blocker(person, now=now):
        return refused(reason, person=person)
    return Outcome(True, person=person)


def is_claimed(person: Person) -> bool:
    """An account its owner has set a password on (an account made by an administrator
    has none until it is claimed)."""
    return person.user is not None and (
        person.claimed_at is not None or person.user.has_usable_password()
    )


def needs_second_factor(person: Person) -> bool:
    """A claimed account is re-passworded here only with its second factor too."""
    from campuscode.accounts.selectors import confirmed_totp

    return is_claimed(person) and confirmed_totp(person.user) is not None


def claim_blocker(person: Person, *, now: datetime) -> str:
    """The reason this (identified) person cannot claim now, or "" if they can."""
    if person.state != Person.State.ACTIVE or not person.is_valid_on(timezone.localdate(now)):
        return ClaimRefusal.NOT_ACTIVE
    if person.user is not None and not person.user.is_active:
        return ClaimRefusal.ACCOUNT_DISABLED
    # The e-mailed code proves only the address on file, which a record editor can change:
    # it never hands over an account that is in use, unless its second factor comes too.
    if is_claimed(person) and not needs_second_factor(person):
        return ClaimRefusal.ALREADY_CLAIMED
    if not person.phone and not person.email:
        return ClaimRefusal.NO_EMAIL
    return ""


def code_channel(person: Person) -> str:
    """Where a one-time code goes: the mobile number when there is one (R3.4: most
    students, parents and visitors read text messages, not e-mail), else the e-mail."""
    return Channel.SMS if person.phone else Channel.EMAIL


def code_sent_to(person: Person) -> str:
    return person.masked_phone if person.phone else person.masked_email


# --- Step 2: the one-time code ---------------------------------------------------------


def _code_hash(challenge_pk: int, code: str) -> str:
    # Keyed with SECRET_KEY: a copy of the database alone does not give away the codes.
    return salted_hmac(CODE_SALT, f"{challenge_pk}:{code}", algorithm="sha256").hexdigest()


def send_claim_code(*, person: Person, now: datetime, reuse_recent: bool = False) -> Outcome:
    """Send a fresh 6-digit code to the mobile number (or else the e-mail) on file, retiring
    the older ones.

    `reuse_recent`: step 1 sent twice (a double tap, a retried request) keeps the code sent
    moments ago instead of refusing or mailing a second one.
    """
    recent = ClaimChallenge.objects.filter(
        person=person, created_at__gt=now - timedelta(hours=1)
    ).order_by("-created_at")
    latest = recent.first()
    cooldown = timedelta(seconds=get_setting("claim_resend_seconds"))
    if latest is not None and now - latest.created_at < cooldown:
        if reuse_recent and latest.is_live(now):
            return Outcome(True, person=person, challenge=latest)
        wait = int((latest.created_at + cooldown - now).total_seconds()) + 1
        return refused(ClaimRefusal.RESEND_TOO_SOON, wait_seconds=wait)
    if recent.count() >= get_setting("claim_codes_per_hour"):
        oldest = recent.last()
        wait = int((oldest.created_at + timedelta(hours=1) - now).total_seconds()) + 1
        return refused(ClaimRefusal.TOO_MANY_CODES, wait_seconds=wait)

    code = f"{secrets.randbelow(10**6):06d}"
    minutes = get_setting("claim_code_minutes")
    with transaction.atomic():
        ClaimChallenge.objects.filter(person=person, retired=False).update(retired=True)
        challenge = ClaimChallenge.objects.create(
            person=person,
            code_hash="",
            sent_to=code_sent_to(person),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        challenge.code_hash = _code_hash(challenge.pk, code)
        challenge.save(update_fields=["code_hash"])
    # Slow I/O outside the transaction, now: the person is waiting on the page for it.
    deliveries = notify(
        person=person,
        kind=Kind.CLAIM_CODE,
        data={"code": code, "minutes": minutes},
        channels=[code_channel(person)],
        now=now,
        expires_at=challenge.expires_at,
        sync=True,
    )
    if not any(d.status == Delivery.Status.SENT for d in deliveries):
        # Not retried later: a code that arrives after the page gave up would confuse.
        cancel(deliveries=deliveries)
        ClaimChallenge.objects.filter(pk=challenge.pk).update(retired=True)
        return refused(ClaimRefusal.SEND_FAILED)
    return Outcome(True, person=person, challenge=challenge)


def verify_claim_code(*, person: Person, challenge_id: int, code: str, now: datetime) -> Outcome:
    """Check the code typed against the challenge of this claim. A wrong code counts as a
    failure against the account; the failure that locks it also retires the code."""
    with transaction.atomic():
        guard = _guard(school=person.school, number=person.number)
        if guard.is_locked(now):
            return refused(
                ClaimRefusal.LOCKED, wait_seconds=int((guard.locked_until - now).total_seconds())
            )
        challenge = (
            ClaimChallenge.objects.select_for_update()
            .filter(pk=challenge_id, person=person)
            .first()
        )
        if challenge is None or challenge.retired or challenge.used_at is not None:
            return refused(ClaimRefusal.SESSION_EXPIRED)
        if challenge.expires_at <= now:
            return refused(ClaimRefusal.EXPIRED_CODE)
        typed = normalise_text(code).replace(" ", "")
        if not constant_time_compare(_code_hash(challenge.pk, typed), challenge.code_hash):
            locked = _count_failure(guard, now=now)
            if locked:
                challenge.retired = True
                challenge.save(update_fields=["retired"])
                return locked
            return refused(ClaimRefusal.WRONG_CODE)
        challenge.used_at = now
        challenge.save(update_fields=["used_at"])
        _clear_failures(guard)
    return Outcome(True, person=person, challenge=challenge)


# --- Step 3: the password --------------------------------------------------------------


def account_for(person: Person) -> User:
    """The person's account, or an unsaved one with the name it will get (for validators)."""
    if person.user_id:
        return person.user
    username = person_username(school=person.school, number=person.number)
    existing = User.objects.filter(username=username, person__isnull=True).first()
    return existing or User(username=username, email=person.email)


def complete_claim(
    *, person_id: int, password: str, request=None, second_factor_passed: bool = False
) -> tuple[User, bool]:
    """Create or re-password the account and link it. Returns (user, was_reset).

    A claimed account is re-passworded only when the caller checked its second factor."""
    with transaction.atomic():
        person = (
            Person.objects.select_for_update(of=("self",))
            .select_related("school", "user")
            .get(pk=person_id)
        )
        if is_claimed(person) and not second_factor_passed:
            raise PermissionDenied
        user = account_for(person)
        was_reset = user.pk is not None  # an existing account gets a new password
        user.set_password(password)
        if not user.email:
            user.email = person.email
        user.save()
        if person.user_id != user.pk or person.claimed_at is None:
            person.user = user
            person.claimed_at = person.claimed_at or timezone.now()
            person.save(update_fields=["user", "claimed_at", "updated_at"])
        ClaimChallenge.objects.filter(person=person, retired=False).update(retired=True)
        log_action(
            action="accounts.person.claimed",
            request=request,
            actor=user,
            subject=person,
            data={"password_reset": was_reset, "second_factor": second_factor_passed},
        )
    return user, was_reset


# --- An administrator's password reset (a forgotten password) --------------------------


@dataclass(frozen=True)
class PasswordResetOutcome:
    ok: bool
    reason: str = ""

    @property
    def reason_label(self) -> str:
        return str(PasswordResetRefusal(self.reason).label) if self.reason else ""


def reset_password(
    *, actor: User, client_ip: str | None, account: User, reason: str
) -> PasswordResetOutcome:
    """Make `account`'s password unusable and its claim undone, so that its owner claims it
    again (number, name, last 4 of the ID number and a code sent to the e-mail on file).

    No password passes through the administrator. The password hash changes, so every
    session of the account ends (Django checks the hash on each request). Its second factor
    stays: after claiming again the person still signs in with the app.
    """
    if account.pk == actor.pk:
        return PasswordResetOutcome(False, PasswordResetRefusal.SELF)
    # The reset hands the account to whoever reads the e-mail on file: the same rule as
    # changing that e-mail (a college's admin never resets the health office's account).
    if not accounts_visible_to(actor).filter(pk=account.pk).exists() or not (
        may_change_credentials(actor=actor, account_id=account.pk)
    ):
        return PasswordResetOutcome(False, PasswordResetRefusal.OUT_OF_SCOPE)
    with transaction.atomic():
        person = (
            Person.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(user=account)
            .first()
        )
        if person is None:
            return PasswordResetOutcome(False, PasswordResetRefusal.NO_PERSON)
        if not person.phone and not person.email:
            return PasswordResetOutcome(False, PasswordResetRefusal.NO_EMAIL)
        if not is_claimed(person):  # a retried request, or never claimed: nothing to undo
            return PasswordResetOutcome(False, PasswordResetRefusal.NOT_CLAIMED)
        user = person.user
        user.set_unusable_password()
        user.save(update_fields=["password"])
        person.claimed_at = None
        person.save(update_fields=["claimed_at", "updated_at"])
        ClaimChallenge.objects.filter(person=person, retired=False).update(retired=True)
        log_action(
            action="accounts.password.reset",
            actor=actor,
            client_ip=client_ip,
            subject=person,
            data={"account": user.get_username(), "reason": reason},
        )
        transaction.on_commit(lambda: announce_password_reset(person=person, admin=actor))
    return PasswordResetOutcome(True)
