"""Two-factor sign-in: TOTP, one-time backup codes, and an administrator's reset.

The authenticator app (django-otp's TOTP device) is the second factor; ten backup codes
(django-otp's static device) stand in for it when the phone is not at hand. Both answer
the same prompt and share one back-off, so backup codes are no way around it. Refusals are
a `TotpOutcome` with a `TotpRefusal` code; nothing here raises on bad input. The audit log
records what happened and how many codes are left, never a code.
"""

import math
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from campuscode.accounts.models import ResetRefusal, SecondFactorReset, TotpRefusal
from campuscode.audit.services import log_action
from campuscode.people.access import Cap
from campuscode.people.access import units_for as scope_units
from campuscode.people.models import RoleAssignment
from campuscode.people.selectors import unit_within

BACKUP_CODE_COUNT = 10
# Digits only, so one numeric keypad on a phone takes both kinds of code; a length apart
# from the app's 6 digits tells them apart. 10 random digits against ten live codes and
# the shared back-off leave no room for guessing.
BACKUP_CODE_DIGITS = 10
TOTP_DIGITS = 6


@dataclass(frozen=True)
class TotpOutcome:
    ok: bool
    reason: str = ""
    wait_seconds: int = 0
    device: object = None
    backup_codes_left: int | None = None  # set when a backup code was used
    codes: tuple[str, ...] = ()  # fresh backup codes, to show once

    @property
    def reason_label(self) -> str:
        return str(TotpRefusal(self.reason).label) if self.reason else ""

    @property
    def wait_minutes(self) -> int:
        return max(1, math.ceil(self.wait_seconds / 60))


def format_backup_code(code: str) -> str:
    """'0123456789' → '01234 56789': easier to read out and copy by hand."""
    half = len(code) // 2
    return f"{code[:half]} {code[half:]}"


# --- TOTP ----------------------------------------------------------------------------


def start_totp(*, user: User) -> TOTPDevice:
    """A new, unconfirmed TOTP device (any earlier unconfirmed one is dropped)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def _wait_seconds(device) -> int:
    """Seconds until django-otp's back-off lets `device` verify again; 0 when it may."""
    allowed, info = device.verify_is_allowed()
    if allowed:
        return 0
    until = (info or {}).get("locked_until")
    return max(int((until - timezone.now()).total_seconds()) + 1, 1) if until else 1


def check_totp(*, user: User, token: str, confirmed: bool = True) -> TotpOutcome:
    """Verify `token` against the user's TOTP device only (setting it up needs the app)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=confirmed)
            .order_by("-pk")
            .first()
        )
        if device is None:
            return TotpOutcome(False, TotpRefusal.NO_DEVICE)
        if wait := _wait_seconds(device):
            return TotpOutcome(False, TotpRefusal.THROTTLED, wait_seconds=wait)
        if not device.verify_token(token):
            return TotpOutcome(False, TotpRefusal.WRONG_CODE)
    return TotpOutcome(True, device=device)


def check_second_factor(*, user: User, code: str) -> TotpOutcome:
    """Verify a 6-digit app code or a backup code (`code` holds digits only).

    The TOTP and backup devices keep one back-off between them: a wrong code of either
    kind counts against both and a right one clears both, so alternating kinds gains no
    extra tries. A used backup code is deleted by django-otp, so it works once.
    """
    with transaction.atomic():
        totp_device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("-pk")
            .first()
        )
        if totp_device is None:
            return TotpOutcome(False, TotpRefusal.NO_DEVICE)
        backup = (
            StaticDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        devices = [d for d in (totp_device, backup) if d is not None]
        if wait := max(_wait_seconds(d) for d in devices):
            return TotpOutcome(False, TotpRefusal.THROTTLED, wait_seconds=wait)

        is_backup = len(code) == BACKUP_CODE_DIGITS
        used = backup if is_backup else totp_device
        # verify_token counts the failure (or clears the count) on the device it checks.
        ok = used is not None and used.verify_token(code)
        for other in devices:
            if other is used:
                continue
            if ok:
                other.throttle_reset()
            else:
                other.throttle_increment()
        if not ok:
            reason = TotpRefusal.WRONG_BACKUP_CODE if is_backup else TotpRefusal.WRONG_CODE
            return TotpOutcome(False, reason)
        left = used.token_set.count() if is_backup else None
    return TotpOutcome(True, device=used, backup_codes_left=left)


def verify_second_factor(*, request, code: str, purpose: str) -> TotpOutcome:
    """check_second_factor() for the signed-in user; a backup code used is audited."""
    outcome = check_second_factor(user=request.user, code=code)
    if outcome.ok and outcome.backup_codes_left is not None:
        log_action(
            action="accounts.backup_code.used",
            request=request,
            data={"purpose": purpose, "backup_codes_left": outcome.backup_codes_left},
        )
    return outcome


# --- Backup codes --------------------------------------------------------------------


def issue_backup_codes(*, user: User) -> tuple[str, ...]:
    """Ten fresh backup codes for `user`; every earlier code stops working.

    Only the caller sees the codes, once: they are shown to the user and never logged.
    """
    codes: set[str] = set()
    while len(codes) < BACKUP_CODE_COUNT:
        codes.add(f"{secrets.randbelow(10**BACKUP_CODE_DIGITS):0{BACKUP_CODE_DIGITS}d}")
    with transaction.atomic():
        # The device stays (a session signed in with a backup code stays signed in);
        # its tokens are replaced.
        device = StaticDevice.objects.filter(user=user).order_by("pk").first()
        if device is None:
            device = StaticDevice.objects.create(user=user, name="backup codes")
        StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.token_set.all().delete()
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return tuple(sorted(codes))


def confirm_totp(*, request, token: str) -> TotpOutcome:
    """Finish setting up the app with its first code; the answer carries the backup codes."""
    outcome = check_totp(user=request.user, token=token, confirmed=False)
    if not outcome.ok:
        return outcome
    with transaction.atomic():
        outcome.device.confirmed = True
        outcome.device.save(update_fields=["confirmed"])
        codes = issue_backup_codes(user=request.user)
        after_reset = SecondFactorReset.objects.filter(
            user=request.user, enrolled_at__isnull=True
        ).update(enrolled_at=timezone.now())
        log_action(
            action="accounts.totp.enabled",
            request=request,
            data={"backup_codes": len(codes), "after_reset": bool(after_reset)},
        )
    return TotpOutcome(True, device=outcome.device, codes=codes)


def regenerate_backup_codes(*, request, code: str) -> TotpOutcome:
    """New backup codes in exchange for a current app code or backup code."""
    outcome = verify_second_factor(request=request, code=code, purpose="regenerate")
    if not outcome.ok:
        return outcome
    codes = issue_backup_codes(user=request.user)
    log_action(
        action="accounts.backup_codes.regenerated", request=request, data={"count": len(codes)}
    )
    return TotpOutcome(True, device=outcome.device, codes=codes)


def disable_totp(*, request, code: str) -> TotpOutcome:
    outcome = verify_second_factor(request=request, code=code, purpose="disable")
    if outcome.ok:
        with transaction.atomic():
            TOTPDevice.objects.filter(user=request.user).delete()
            StaticDevice.objects.filter(user=request.user).delete()
            log_action(action="accounts.totp.disabled", request=request)
    return outcome


# --- An administrator's reset (a lost phone) -----------------------------------------


@dataclass(frozen=True)
class ResetOutcome:
    ok: bool
    reason: str = ""

    @property
    def reason_label(self) -> str:
        return str(ResetRefusal(self.reason).label) if self.reason else ""


def reset_second_factor(*, request, account: User, reason: str) -> ResetOutcome:
    """Turn `account`'s two-factor sign-in off for them: the app and every backup code.

    The caller has checked that `account` is within the administrator's accounts scope.
    Sessions of the account from before now end, and its next sign-in sets up the app
    again (see selectors.second_factor_step).
    """
    admin = request.user
    if account.pk == admin.pk:
        return ResetOutcome(False, ResetRefusal.SELF)
    # As for deactivation: a college's admin cannot touch someone whose duty reaches
    # beyond the college.
    scope = scope_units(admin, Cap.MANAGE_ACCOUNTS)
    held = RoleAssignment.objects.filter(user=account).select_related("org_unit")
    if any(not unit_within(a.org_unit, scope) for a in held):
        return ResetOutcome(False, ResetRefusal.OUT_OF_SCOPE)
    with transaction.atomic():
        had_app = TOTPDevice.objects.filter(user=account, confirmed=True).exists()
        if not had_app:
            return ResetOutcome(False, ResetRefusal.NOT_ENROLLED)
        codes_left = StaticToken.objects.filter(device__user=account).count()
        TOTPDevice.objects.filter(user=account).delete()
        StaticDevice.objects.filter(user=account).delete()
        SecondFactorReset.objects.create(user=account, reset_by=admin, reset_at=timezone.now())
        log_action(
            action="accounts.second_factor.reset",
            request=request,
            subject=getattr(account, "person", None),
            data={
                "account": account.get_username(),
                "reason": reason,
                "backup_codes_left": codes_left,
            },
        )
    return ResetOutcome(True)
