"""The check-in itself: a point's URL (from the kiosk QR or a poster) → form → result.

The point and the time are the server's: the point from a token it verifies, the time
from its clock. The phone sends only its answers and the idempotency key (R4.5, R1.2).
"""

import secrets
import time
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from campuscode.checkins import cached, honesty, selectors
from campuscode.checkins.evidence import assess, binding_of, live_grant, location_from
from campuscode.checkins.forms import CheckinForm, SameAsLastForm
from campuscode.checkins.health import describe
from campuscode.checkins.models import Checkin, Via, WindowNotice
from campuscode.checkins.rules import setting as get_setting
from campuscode.checkins.rules import snapshot
from campuscode.checkins.services import (
    Outcome,
    Refusal,
    check_admission,
    health_fields,
    last_normal_answers,
    same_site,
    submit_checkin,
)
from campuscode.checkins.tokens import (
    TokenCheck,
    check_point_token,
    current_step,
    screen_token,
)
from campuscode.checkins.windows import next_window, windows_on
from campuscode.core.net import client_ip

DEVICE_COOKIE = "cc_device"
DEVICE_SALT = "campuscode.checkins.device"
DEVICE_MAX_AGE = 5 * 365 * 24 * 3600
VISITS = "checkins.visits"
MAX_VISITS = 6


def device_of(request) -> str:
    """The browser's long-lived device id, made on first sight (set on the response)."""
    device = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT)
    if not device:
        device = getattr(request, "_new_device", None) or secrets.token_hex(12)
        request._new_device = device
    return device


def _with_device(request, response):
    response["Accept-CH"] = honesty.ACCEPT_CH  # the phone's model, for the shared-phone check
    if getattr(request, "_new_device", None):
        response.set_signed_cookie(
            DEVICE_COOKIE,
            request._new_device,
            salt=DEVICE_SALT,
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def _person(request):
    """The signed-in person with their org unit, in one query."""
    if not request.user.is_authenticated:
        return None
    from campuscode.people.models import Person

    return Person.objects.select_related("org_unit").filter(user=request.user).first()


PERSON_FACTS = ("kind", "school_id", "org_unit_id", "state", "number", "name")


def _remember_person(request, token: str, person) -> None:
    """Keep what admission needs of the person in the visit (only once admitted)."""
    visits = dict(request.session.get(VISITS, {}))
    visit = dict(visits.get(token) or {})
    facts = {name: getattr(person, name) for name in PERSON_FACTS}
    facts.update(
        pk=person.pk,
        user=request.user.pk,
        path=person.org_unit.path,
        valid_from=person.valid_from.isoformat() if person.valid_from else None,
        valid_until=person.valid_until.isoformat() if person.valid_until else None,
    )
    if visit and visit.get("who") != facts:
        visit["who"] = facts
        visits[token] = visit
        request.session[VISITS] = visits


def _person_from_visit(request, visit):
    from datetime import date

    from campuscode.people.models import OrgUnit, Person

    facts = (visit or {}).get("who")
    if not facts or facts.get("user") != request.user.pk:
        return None
    person = Person(pk=facts["pk"], **{name: facts[name] for name in PERSON_FACTS})
    person.org_unit = OrgUnit(pk=facts["org_unit_id"], path=facts["path"])
    person.valid_from = date.fromisoformat(facts["valid_from"]) if facts["valid_from"] else None
    person.valid_until = date.fromisoformat(facts["valid_until"]) if facts["valid_until"] else None
    return person


def _binding(request, device: str) -> dict:
    return binding_of(
        device=device,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        ip=client_ip(request),
        at=round(time.time(), 1),
    )


def _refuse(request, outcome: Outcome, point=None, status=403):
    return _with_device(
        request,
        render(
            request,
            "checkins/refused.html",
            {"outcome": outcome, "point": point, "reason": outcome.refusal},
            status=status,
        ),
    )


def point_url(request, point_id: int, token: str):
    """GET: the scanned URL → the form. POST: the form's answers → one stored check-in."""
    point = cached.point(point_id)
    if point is None:
        raise Http404
    with snapshot(point.campus.school_id):  # the point's school's rules, read once
        return _point_url(request, point, token)


def _point_url(request, point, token: str):
    device = device_of(request)
    visits = request.session.get(VISITS, {})
    visit = visits.get(token) if isinstance(visits, dict) else None
    if visit and visit.get("p") != point.pk:
        visit = None
    opened_step = visit["s"] if visit else None
    check = check_point_token(
        point.pk, token, poster_version=point.poster_version, opened_step=opened_step
    )
    if check.result != TokenCheck.OK:
        reason = (
            Refusal.TOKEN_EXPIRED if check.result == TokenCheck.EXPIRED else Refusal.TOKEN_MALFORMED
        )
        return _refuse(
            request,
            Outcome(refusal=reason),
            point,
            status=410 if reason == Refusal.TOKEN_EXPIRED else 400,
        )
    if check.via == Via.POSTER and not point.takes_posters:
        # Posters are a per-point choice: a poster of a screen point (printed before the
        # choice, or a photo kept at home) opens nothing.
        return _refuse(request, Outcome(refusal=Refusal.CODE_NOT_TAKEN), point, status=400)
    if check.via == Via.SCREEN and not point.has_screen:
        return _refuse(request, Outcome(refusal=Refusal.CODE_NOT_TAKEN), point, status=400)
    if visit and time.time() - visit["t"] > get_setting("checkin_form_minutes") * 60:
        if request.method == "GET" and check.via == Via.POSTER:
            # A poster's address never changes, so the visit is per address and time:
            # scanning it again (the next window, or after a break) opens a new visit,
            # where a screen would show a new code. Only a form left open too long and
            # then sent is refused.
            visit = None
        else:
            return _refuse(request, Outcome(refusal=Refusal.FORM_EXPIRED), point, status=410)
    if request.method == "GET" and not visit:
        # Record that this browser opened the point's URL while its code was fresh; the
        # form may then be sent within `checkin_form_minutes`, after a sign-in too.
        visit = {
            "p": point.pk,
            "s": check.step if check.step is not None else current_step(),
            "t": time.time(),
            "k": secrets.token_urlsafe(16),
            # The browser, device and address that opened the form: sending it from
            # anywhere else is evidence missing (checkins.evidence).
            "b": _binding(request, device),
        }
        visits = {k: v for k, v in (visits or {}).items()}
        visits[token] = visit
        request.session[VISITS] = dict(list(visits.items())[-MAX_VISITS:])
    if not request.user.is_authenticated:
        return _with_device(request, redirect_to_login(request.get_full_path()))
    now = timezone.now()
    if request.method == "POST":
        # The person as read when this browser opened the point's URL (minutes ago at
        # most), else from the registry: saves a query on every check-in.
        person = _person_from_visit(request, visit) or _person(request)
        correcting = request.POST.get("correcting") == "1"
        if request.POST.get("same") and not correcting:
            form = SameAsLastForm(request.POST)
            window = check_admission(person=person, point=point, now=now).window
            if (
                person is None
                or window is None
                or not last_normal_answers(person=person, before=window)
            ):
                form = CheckinForm(initial={"key": request.POST.get("key", "")})
        else:
            form = CheckinForm(request.POST, correcting=correcting)
        if not form.is_bound or not form.is_valid():
            context = _form_context(request, point, form, person, now, via=check.via)
            return _with_device(request, render(request, "checkins/form.html", context, status=400))
        evidence = assess(
            point=point,
            person_id=person.pk if person is not None else None,
            ip=client_ip(request),
            location=location_from(request.POST) if point.evidence_location else None,
            opened=(visit or {}).get("b"),
            sent=_binding(request, device),
            now=now,
        )
        outcome = submit_checkin(
            evidence=evidence,
            person=person,
            point=point,
            answers=form.answers(),
            via=check.via,
            idempotency_key=form.cleaned_data["key"],
            client=honesty.client_facts(
                request,
                device=device,
                ip=client_ip(request),
                cookie=DEVICE_COOKIE,
                salt=DEVICE_SALT,
            ),
            opened=visit is not None,
            now=now,
            correction_reason=form.cleaned_data.get("correction_reason", ""),
        )
        if outcome.refusal == Refusal.ALREADY_CHECKED_IN:
            # Says when, and offers the correction (with its reason) explicitly.
            context = _form_context(
                request, point, None, person, now, via=check.via, window=outcome.window
            )
            context.update(existing=outcome.checkin, token=token)
            return _with_device(request, render(request, "checkins/form.html", context, status=409))
        if not outcome.ok:
            return _refuse(request, outcome, point)
        if not outcome.created and _answers_differ(outcome.checkin, form):
            # The same form sent again (back button, a second tab) with other answers:
            # its key finds the first check-in, which stands. Say so and offer the
            # correction, rather than showing the first result as if the new answers
            # had been taken.
            context = _form_context(request, point, None, person, now, via=check.via)
            context.update(existing=outcome.checkin, token=token, resent=True)
            return _with_device(request, render(request, "checkins/form.html", context, status=409))
        return _with_device(request, redirect("checkins:done", pk=outcome.checkin.pk))
    person = _person(request)
    admission = check_admission(person=person, point=point, now=now)
    if not admission.ok:
        return _refuse(request, admission, point)
    _remember_person(request, token, person)
    window = admission.window
    context = _form_context(request, point, None, person, now, via=check.via, window=window)
    latest = Checkin.objects.filter(person_id=person.pk, superseded_at__isnull=True).first()
    existing = (
        latest
        if latest
        and (latest.day, latest.period) == (window.day, window.period)
        and same_site(latest, point)
        else None
    )
    if existing and request.GET.get("correct") != "1":
        # Scanned again in a window already done: say so, offer a correction.
        context.update(existing=existing, token=token)
        return _with_device(request, render(request, "checkins/form.html", context))
    # A correction opened from the same scan gets its own key (still stable for retries),
    # else it would be taken for a retry of the check-in it corrects.
    key = f"{visit['k']}.c{existing.pk}" if existing else visit["k"]
    context.update(
        form=CheckinForm(initial={"key": key}, correcting=existing is not None),
        correcting=existing is not None,
        existing=existing,
    )
    last = latest if latest and (latest.day, latest.period) != (window.day, window.period) else None
    if last and last.colour == "green" and not last.symptoms and last.contact == "none":
        context.update(
            last=last,
            same_form=SameAsLastForm(initial={"key": visit["k"], "temperature": last.temperature}),
        )
    return _with_device(request, render(request, "checkins/form.html", context))


def _answers_differ(checkin: Checkin, form) -> bool:
    sent = health_fields(form.answers())
    stored = health_fields(checkin)
    if sent["temperature"] is not None:
        sent["temperature"] = Decimal(sent["temperature"]).quantize(Decimal("0.1"))
    reason = (form.cleaned_data.get("correction_reason") or "").strip()[:200]
    return sent != stored or reason != checkin.correction_reason


def _form_context(request, point, form, person, now, *, via, window=None):
    if window is None and person is not None:
        window = check_admission(person=person, point=point, now=now).window
    extra = {}
    if isinstance(form, SameAsLastForm):  # sent back with its error, the full form below
        extra = {
            "same_form": form,
            "last": window and last_normal_answers(person=person, before=window),
        }
        form = CheckinForm(initial={"key": form.data.get("key", "")})
    correcting = form is not None and "correction_reason" in form.fields
    if correcting and window is not None:
        from campuscode.checkins.services import effective_in

        extra["existing"] = effective_in(person=person, window=window)
    return {
        **extra,
        "point": point,
        "form": form,
        "correcting": correcting,
        "person": person,
        "now": now,
        "window": window,
        "measure_minutes": get_setting("checkin_measure_minutes"),
        "via": via,
        # The form asks the phone for its position only where it is evidence here.
        "ask_location": point.evidence_location
        and point.latitude is not None
        and point.longitude is not None,
    }


@login_required
def done(request, pk: int):
    """The result of one's own check-in, with the colour it gives the code."""
    person = _person(request)
    if person is None:
        raise Http404
    checkin = get_object_or_404(
        Checkin.objects.select_related("point", "point__campus"), pk=pk, person=person
    )
    from campuscode.codes.status import current_status

    return render(
        request,
        "checkins/done.html",
        {
            "checkin": checkin,
            "reason_text": describe(checkin),
            "status": current_status(person),
            "person": person,
        },
    )


@login_required
def scanned(request):
    """After the point's scanner read one's own code: that point's form, on this phone."""
    person = _person(request)
    grant = live_grant(person_id=person.pk, now=timezone.now()) if person else None
    if grant is None:
        return redirect("checkins:mine")
    return redirect("checkins:point", point_id=grant.point_id, token=screen_token(grant.point_id))


@login_required
def mine(request):
    """One's own check-ins: today's windows, the next one, the recent history."""
    person = _person(request)
    context = {"person": person}
    if person is not None:
        now = timezone.now()
        today = timezone.localdate(now)
        windows = windows_on(today, kind=person.kind, school_id=person.school_id)
        history = list(
            Checkin.objects.filter(person=person).select_related("point", "point__campus")[:20]
        )
        done_today = {c.period: c for c in history if c.day == today and not c.superseded_at}
        context.update(
            windows=[
                {
                    "window": w,
                    "checkin": done_today.get(w.period),
                    "open": w.contains(now),
                    "past": w.end <= now,
                }
                for w in windows
            ],
            next_window=next_window(now, kind=person.kind, school_id=person.school_id),
            history=history,
            campuses=selectors.campuses_of(person),
            grant=live_grant(person_id=person.pk, now=now),
            date_notices=_upcoming_notices(person.school_id, today),
        )
    return render(request, "checkins/mine.html", context)


def _upcoming_notices(school_id, today):
    return list(
        WindowNotice.objects.filter(school_id=school_id, last_day__gte=today).order_by("first_day")[
            :5
        ]
    )
