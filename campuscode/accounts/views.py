import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.forms import SetPasswordForm
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage
from django_ratelimit.decorators import ratelimit

from campuscode.accounts import second_factor, selectors, services
from campuscode.accounts.forms import (
    ClaimIdentityForm,
    ClaimResetForm,
    LoginForm,
    OneTimeCodeForm,
)
from campuscode.accounts.middleware import IDLE_SIGNED_OUT
from campuscode.accounts.models import ClaimRefusal
from campuscode.core.net import ratelimit_rate
from campuscode.core.rules import get_setting
from campuscode.people.models import Person

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
CLAIM = "accounts.claim"  # session key of the claim in progress: the only state trusted
CLAIM_SECONDS = 3600

# Every form posted without a signed-in account shares one budget per client address;
# past it, HTTP 429 (settings.RATELIMITS, RATELIMIT_VIEW).
public_form = ratelimit(
    group="public_form", key="ip", rate=ratelimit_rate("public_form"), method="POST", block=True
)


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


# --- Sign-in ---------------------------------------------------------------------------


@public_form
def login_view(request):
    if request.session.pop(IDLE_SIGNED_OUT, False):
        messages.info(request, _("You were signed out after a period of inactivity."))
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user, backend=MODEL_BACKEND)
        return redirect(_next_url(request))
    if getattr(request, "axes_locked_out", False):
        # AxesMiddleware renders the same template with the cool-off time.
        return render(request, "accounts/locked_out.html", status=429)
    return render(request, "accounts/login.html", {"form": form, "next": _next_url(request)})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("accounts:login")


# --- Claiming (R3.4) -------------------------------------------------------------------


def _address_rate(group, request) -> str:
    return f"{get_setting('claim_address_failures_per_hour')}/h"


def _address_refusal(request, *, group="accounts.claim.failures"):
    """ADDRESS_LIMITED when this address used up its failed claims for the hour."""
    usage = get_usage(request, group=group, key="ip", rate=_address_rate)
    if usage and usage["count"] >= usage["limit"]:
        return services.refused(ClaimRefusal.ADDRESS_LIMITED, wait_seconds=usage["time_left"])
    return None


def _count_address_failure(request) -> None:
    get_usage(
        request, group="accounts.claim.failures", key="ip", rate=_address_rate, increment=True
    )


COUNTED = {ClaimRefusal.MISMATCH, ClaimRefusal.WRONG_CODE, ClaimRefusal.LOCKED}
TOO_MANY = {ClaimRefusal.LOCKED, ClaimRefusal.ADDRESS_LIMITED}


def _status(outcome) -> int:
    return 429 if outcome and outcome.reason in TOO_MANY else 200


def _claim_state(request) -> dict | None:
    state = request.session.get(CLAIM)
    if not state:
        return None
    # An expired code is answered on the code page (with a resend button); the claim as a
    # whole ends an hour after it started, and the password step soon after the code.
    too_old = time.time() - state["started"] > CLAIM_SECONDS
    if state["verified"]:
        too_old |= time.time() - state["verified"] > get_setting("claim_code_minutes") * 60
    if too_old:
        request.session.pop(CLAIM, None)
        return None
    return state


def _claim_person(state) -> Person | None:
    return Person.objects.select_related("school", "user").filter(pk=state["person"]).first()


def _expired(request):
    messages.warning(request, ClaimRefusal.SESSION_EXPIRED.label)
    return redirect("accounts:claim")


@public_form
def claim_start(request):
    """Step 1: number + name + last 4 of the ID number."""
    form = ClaimIdentityForm(data=request.POST or None)
    outcome = None
    if request.method == "POST":
        outcome = _address_refusal(request)
        if outcome is None and form.is_valid():
            now = timezone.now()
            outcome = services.check_identity(
                school=form.chosen_school(),
                number=form.cleaned_data["number"],
                name=form.cleaned_data["name"],
                id_last4=form.cleaned_data["id_last4"],
                now=now,
            )
            if outcome.reason in COUNTED:
                _count_address_failure(request)
            if outcome.ok:
                outcome = services.send_claim_code(
                    person=outcome.person, now=now, reuse_recent=True
                )
            if outcome.ok:
                request.session[CLAIM] = {
                    "person": outcome.person.pk,
                    "challenge": outcome.challenge.pk,
                    "started": time.time(),
                    "verified": 0,
                }
                return redirect("accounts:claim_code")
    return render(
        request,
        "accounts/claim_identity.html",
        {"form": form, "outcome": outcome, "step": 1},
        status=_status(outcome),
    )


def _code_page(request, person, *, form=None, outcome=None):
    return render(
        request,
        "accounts/claim_code.html",
        {
            "form": form or OneTimeCodeForm(),
            "outcome": outcome,
            "step": 2,
            "masked_email": services.code_sent_to(person),
            "by_phone": bool(person.phone),
            "minutes": get_setting("claim_code_minutes"),
            "resend_seconds": get_setting("claim_resend_seconds"),
            "is_reset": person.user_id is not None,
        },
        status=_status(outcome),
    )


@public_form
def claim_code(request):
    """Step 2: the 6-digit code from the e-mail."""
    state = _claim_state(request)
    person = _claim_person(state) if state else None
    if person is None:
        return _expired(request)
    if state["verified"]:
        return redirect("accounts:claim_password")
    if request.method != "POST":
        return _code_page(request, person)
    form = OneTimeCodeForm(data=request.POST)
    outcome = _address_refusal(request)
    if outcome is None and form.is_valid():
        outcome = services.verify_claim_code(
            person=person,
            challenge_id=state["challenge"],
            code=form.cleaned_data["code"],
            now=timezone.now(),
        )
        if outcome.reason in COUNTED:
            _count_address_failure(request)
        if outcome.reason == ClaimRefusal.SESSION_EXPIRED:
            request.session.pop(CLAIM, None)
            return _expired(request)
        if outcome.ok:
            state["verified"] = time.time()
            request.session[CLAIM] = state
            return redirect("accounts:claim_password")
    return _code_page(request, person, form=form, outcome=outcome)


@require_POST
@public_form
def claim_resend(request):
    state = _claim_state(request)
    person = _claim_person(state) if state else None
    if person is None or state["verified"]:
        return _expired(request)
    now = timezone.now()
    sends = get_usage(
        request, group="accounts.claim.sends", key="ip", rate=_address_rate, increment=True
    )
    outcome = None
    if sends and sends["count"] > sends["limit"]:
        outcome = services.refused(ClaimRefusal.ADDRESS_LIMITED, wait_seconds=sends["time_left"])
    outcome = (
        outcome
        or _address_refusal(request)
        or services.lock_state(school=person.school, number=person.number, now=now)
        or services.send_claim_code(person=person, now=now)
    )
    if outcome.ok:
        state["challenge"] = outcome.challenge.pk
        request.session[CLAIM] = state
        messages.success(request, _("A new code was sent."))
        return redirect("accounts:claim_code")
    return _code_page(request, person, outcome=outcome)


@public_form
def claim_password(request):
    """Step 3: a password; then the account exists, is linked and signed in."""
    state = _claim_state(request)
    person = _claim_person(state) if state else None
    if person is None or not state["verified"]:
        if request.user.is_authenticated and request.method == "POST":
            # A retried final submit after it already went through: just go on.
            return redirect("codes:my_code")
        return _expired(request)
    account = services.account_for(person)
    needs_code = services.needs_second_factor(person)
    form = (ClaimResetForm if needs_code else SetPasswordForm)(account, data=request.POST or None)
    form.fields["new_password1"].widget.attrs["autocomplete"] = "new-password"
    outcome = None
    if request.method == "POST" and form.is_valid():
        if reason := services.claim_blocker(person, now=timezone.now()):
            outcome = services.refused(reason)
        elif (
            needs_code
            and not (
                outcome := second_factor.check_second_factor(
                    user=account, code=form.cleaned_data["code"]
                )
            ).ok
        ):
            pass  # the refusal is shown; django-otp's back-off counts the wrong code
        else:
            user, was_reset = services.complete_claim(
                person_id=person.pk,
                password=form.cleaned_data["new_password1"],
                request=request,
                second_factor_passed=needs_code,
            )
            request.session.pop(CLAIM, None)
            login(request, user, backend=MODEL_BACKEND)
            if was_reset:
                messages.success(request, _("Your new password is set."))
            else:
                messages.success(request, _("Your campus code is ready."))
            return redirect("codes:my_code")
    return render(
        request,
        "accounts/claim_password.html",
        {
            "form": form,
            "outcome": outcome,
            "step": 3,
            "account_name": account.username,
            "is_reset": account.pk is not None,
        },
        status=429 if outcome and outcome.reason == "throttled" else 200,
    )


# --- The demo's outbox -----------------------------------------------------------------


def outbox(request):
    """Demo only: what the OutboxBackend 'sent'. Without sign-in, because claimers are not
    signed in; so it exists only while that backend is the one configured."""
    if settings.EMAIL_BACKEND != "campuscode.accounts.mail.OutboxBackend":
        raise Http404
    return render(request, "accounts/outbox.html", {"messages_sent": selectors.outbox()})
