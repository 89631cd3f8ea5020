"""Account security: the password, two-factor sign-in (app and backup codes), the code
prompt after the password, and an administrator's reset of someone's second factor or
password."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from campuscode.accounts import lockout, second_factor, selectors, services
from campuscode.accounts.forms import (
    OneTimeCodeForm,
    ResetPasswordForm,
    ResetSecondFactorForm,
    SecondFactorForm,
)
from campuscode.accounts.models import PasswordResetRefusal, ResetRefusal, TotpRefusal
from campuscode.accounts.views import _next_url
from campuscode.audit.services import log_action
from campuscode.core.net import client_ip
from campuscode.people.access import Cap, has_capability, reads_others
from campuscode.people.selectors import account_in_scope

# --- Two-factor and account security ---------------------------------------------------

NEW_BACKUP_CODES = "accounts.new_backup_codes"  # session key: codes to show once


def _locked(request):
    lockout.mark_locked(request)  # AxesMiddleware fills in the cool-off time
    return render(request, "accounts/locked_out.html", status=429)


def _status_of(outcome) -> int:
    return 429 if outcome and outcome.reason == TotpRefusal.THROTTLED else 200


@never_cache
@login_required
def otp_verify(request):
    next_url = _next_url(request)
    if request.user.is_verified() or not selectors.confirmed_totp(request.user):
        return redirect(next_url)
    # A backup code is no way around the sign-in lock: no code is checked while it holds.
    if lockout.is_locked(request):
        return _locked(request)
    form = SecondFactorForm(data=request.POST or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        outcome = second_factor.verify_second_factor(
            request=request, code=form.cleaned_data["code"], purpose="sign_in"
        )
        if outcome.ok:
            otp_login(request, outcome.device)
            if outcome.backup_codes_left is None:
                log_action(action="accounts.totp.verified", request=request)
            else:
                messages.warning(
                    request,
                    _(
                        "You signed in with a backup code; %(count)s left. If your phone is "
                        "lost, set up the app again on the Account security page."
                    )
                    % {"count": outcome.backup_codes_left},
                )
            return redirect(next_url)
        wrong = {TotpRefusal.WRONG_CODE, TotpRefusal.WRONG_BACKUP_CODE}
        if outcome.reason in wrong and lockout.count_failure(request):
            return _locked(request)
    return render(
        request,
        "accounts/otp_verify.html",
        {"form": form, "outcome": outcome, "next": next_url},
        status=_status_of(outcome),
    )


def _security_page(
    request, *, password_form=None, totp_form=None, manage_form=None, totp_outcome=None
):
    user = request.user
    device = selectors.confirmed_totp(user)
    pending = None if device else selectors.pending_totp(user)
    return render(
        request,
        "accounts/security.html",
        {
            "password_form": password_form or PasswordChangeForm(user),
            "totp_form": totp_form or OneTimeCodeForm(),
            "manage_form": manage_form or SecondFactorForm(),
            "totp_outcome": totp_outcome,
            "can_use_totp": reads_others(user) or device is not None,
            "device": device,
            "backup_codes_left": selectors.backup_codes_left(user) if device else 0,
            "open_reset": None if device else selectors.open_reset(user),
            "pending": pending,
            "pending_svg": selectors.totp_qr_svg(pending) if pending else "",
            "pending_secret": selectors.totp_secret(pending) if pending else "",
        },
        status=_status_of(totp_outcome),
    )


@never_cache
@login_required
def security(request):
    return _security_page(request)


@login_required
@require_POST
def password_change(request):
    form = PasswordChangeForm(request.user, data=request.POST)
    if not form.is_valid():
        return _security_page(request, password_form=form)
    form.save()
    update_session_auth_hash(request, form.user)  # other sessions end, this one stays
    log_action(action="accounts.password.changed", request=request)
    messages.success(request, _("Your password was changed."))
    return redirect("accounts:security")


@login_required
@require_POST
def totp_start(request):
    if not reads_others(request.user):
        raise Http404
    if selectors.confirmed_totp(request.user) is None:
        second_factor.start_totp(user=request.user)
    return redirect("accounts:security")


def _show_backup_codes(request, codes):
    request.session[NEW_BACKUP_CODES] = list(codes)
    return redirect("accounts:backup_codes")


@login_required
@require_POST
def totp_confirm(request):
    form = OneTimeCodeForm(data=request.POST)
    outcome = None
    if form.is_valid():
        outcome = second_factor.confirm_totp(request=request, token=form.cleaned_data["code"])
        if outcome.ok:
            otp_login(request, outcome.device)  # this session has just shown the code
            messages.success(request, _("Two-factor sign-in is on."))
            return _show_backup_codes(request, outcome.codes)
    return _security_page(request, totp_form=form, totp_outcome=outcome)


@login_required
@require_POST
def totp_disable(request):
    form = SecondFactorForm(data=request.POST)
    outcome = None
    if form.is_valid():
        outcome = second_factor.disable_totp(request=request, code=form.cleaned_data["code"])
        if outcome.ok:
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("accounts:security")
    return _security_page(request, manage_form=form, totp_outcome=outcome)


@login_required
@require_POST
def backup_codes_regenerate(request):
    form = SecondFactorForm(data=request.POST)
    outcome = None
    if form.is_valid():
        outcome = second_factor.regenerate_backup_codes(
            request=request, code=form.cleaned_data["code"]
        )
        if outcome.ok:
            messages.success(request, _("New backup codes are ready; the old ones no longer work."))
            return _show_backup_codes(request, outcome.codes)
    return _security_page(request, manage_form=form, totp_outcome=outcome)


@never_cache
@login_required
@require_GET
def backup_codes(request):
    """The fresh backup codes, once: the session forgets them as this page is drawn."""
    codes = request.session.pop(NEW_BACKUP_CODES, None)
    if not codes:
        messages.info(
            request,
            _("Backup codes are shown only once. If you lost them, generate new ones here."),
        )
        return redirect("accounts:security")
    return render(
        request,
        "accounts/backup_codes.html",
        {
            "codes": [second_factor.format_backup_code(c) for c in codes],
            "issued_at": timezone.now(),
        },
    )


# --- An administrator resets someone's two-factor sign-in ----------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_reset(request, pk: int):
    """For someone who lost their phone (and their backup codes): the IT office checks who
    they are, then turns the app off here; the person sets it up again at next sign-in."""
    if not has_capability(request.user, Cap.MANAGE_ACCOUNTS):
        raise PermissionDenied
    account = account_in_scope(request.user, pk)
    if account is None:
        raise Http404
    form = ResetSecondFactorForm(data=request.POST or None)
    outcome = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            outcome = second_factor.reset_second_factor(
                request=request, account=account, reason=form.cleaned_data["reason"]
            )
            if outcome.ok:
                messages.success(
                    request,
                    _(
                        "Two-factor sign-in was reset. The person sets up the app again at "
                        "their next sign-in; their open sessions have ended."
                    ),
                )
                return redirect("accounts:second_factor_reset", pk=account.pk)
            status = 409 if outcome.reason == ResetRefusal.NOT_ENROLLED else 403
        else:
            status = 400
    else:
        log_action(
            request=request,
            action="accounts.second_factor.viewed",
            subject=getattr(account, "person", None),
            data={"account": account.get_username()},
        )
    return render(
        request,
        "accounts/second_factor_reset.html",
        {
            "account": account,
            "person": getattr(account, "person", None),
            "form": form,
            "outcome": outcome,
            "device": selectors.confirmed_totp(account),
            "backup_codes_left": selectors.backup_codes_left(account),
            "open_reset": selectors.open_reset(account),
            "is_self": account.pk == request.user.pk,
        },
        status=status,
    )


# --- An administrator resets someone's password ----------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_reset(request, pk: int):
    """For someone who forgot their password: the IT office checks who they are, then
    resets it here; the person claims the account again with a code sent to their e-mail."""
    if not has_capability(request.user, Cap.MANAGE_ACCOUNTS):
        raise PermissionDenied
    account = account_in_scope(request.user, pk)
    if account is None:
        raise Http404
    person = getattr(account, "person", None)
    form = ResetPasswordForm(data=request.POST or None)
    outcome = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            outcome = services.reset_password(
                actor=request.user,
                client_ip=client_ip(request),
                account=account,
                reason=form.cleaned_data["reason"],
            )
            if outcome.ok:
                messages.success(
                    request,
                    _(
                        "The password was reset and the person's open sessions have ended. "
                        "They were told at their e-mail address and mobile number on file, "
                        "and sign in again by claiming their account."
                    ),
                )
                return redirect("people:account", pk=account.pk)
            forbidden = {PasswordResetRefusal.SELF, PasswordResetRefusal.OUT_OF_SCOPE}
            status = 403 if outcome.reason in forbidden else 409
        else:
            status = 400
    else:
        log_action(
            request=request,
            action="accounts.password_reset.viewed",
            subject=person,
            data={"account": account.get_username()},
        )
    return render(
        request,
        "accounts/password_reset.html",
        {
            "account": account,
            "person": person,
            "form": form,
            "outcome": outcome,
            "is_self": account.pk == request.user.pk,
        },
        status=status,
    )
