"""The teacher's pages (sessions, roll list, room screen, scanner) and the student's
(session code, typed code). Thin: parse, check, call the engine, render (R2.4)."""

import json
import time
from datetime import datetime, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campuscode.attendance import engine, evidence
from campuscode.attendance.engine import MarkRefused
from campuscode.attendance.forms import CorrectionForm, SessionForm
from campuscode.attendance.models import Direction, LeaveKind, MarkRequest, Method, Session, Status
from campuscode.attendance.selectors import may_view, roll, sessions_viewable, visible_people
from campuscode.attendance.services import ServiceRefused, correct_or_ask, create_session
from campuscode.audit.services import log_action
from campuscode.checkins.views import _with_device, device_of
from campuscode.codes.services import qr_svg
from campuscode.core.net import client_ip
from campuscode.people.access import Cap, requires, units_under
from campuscode.people.models import Person

OPENED = "attendance.opened"


def _session_or_404(pk) -> Session:
    return get_object_or_404(Session.objects.select_related("unit", "course", "owner"), pk=pk)


def _runnable(request, pk) -> Session:
    session = _session_or_404(pk)
    if not engine.may_run(request.user, session):
        raise Http404
    return session


# --- the teacher's sessions ----------------------------------------------------------------


@requires(Cap.TAKE_ATTENDANCE)
def sessions(request):
    now = timezone.now()
    today = timezone.localdate()
    mine = Session.objects.filter(owner=request.user, cancelled_at__isnull=True).select_related(
        "unit"
    )
    start = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    todays = list(mine.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1)))
    upcoming = list(mine.filter(starts_at__gte=start + timedelta(days=1))[:10])
    recent = list(mine.filter(starts_at__lt=start).order_by("-starts_at")[:10])
    for s in todays + recent:
        s.t = engine.tally(s)
        s.running = s.starts_at - timedelta(minutes=10) <= now <= s.ends_at
    return render(
        request,
        "attendance/sessions.html",
        {"todays": todays, "upcoming": upcoming, "recent": recent, "now": now},
    )


@requires(Cap.TAKE_ATTENDANCE)
def session_new(request):
    units = units_under(request.user, Cap.TAKE_ATTENDANCE).filter(kind="class")
    form = SessionForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            session = create_session(
                actor=request.user, client_ip=client_ip(request), **form.cleaned_data
            )
        except ServiceRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("The session was added."))
            return redirect("attendance:roll", pk=session.pk)
    return render(request, "attendance/session_new.html", {"form": form})


def _roll_context(request, session):
    runs = engine.may_run(request.user, session)
    people = visible_people(request.user, session)
    rows = roll(session, people)
    win = engine.windows(session)
    requests = MarkRequest.objects.filter(session=session, state="pending").select_related("person")
    if not runs:
        requests = requests.filter(person__in=people)
    return {
        "session": session,
        "rows": rows,
        "runs": runs,
        "tally": engine.tally(session),
        "windows": win,
        "opened": timezone.now() >= win.opens,
        "statuses": [(s, Status(s).label) for s in engine.statuses_in_use(session.school_id)],
        "leave_kinds": LeaveKind.choices,
        "requests": requests,
        "form": CorrectionForm(),
    }


def roll_view(request, pk: int):
    """The roll list: the teacher marks exceptions, then "the rest present"; a viewer in
    scope reads it (audited)."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    session = _session_or_404(pk)
    if not may_view(request.user, session):
        raise Http404
    context = _roll_context(request, session)
    if not context["runs"]:
        log_action(
            request=request,
            action="attendance.session.viewed",
            data={"session": session.pk, "people": [r.person.pk for r in context["rows"]]},
        )
    return render(request, "attendance/roll.html", context)


@require_POST
def roll_mark(request, pk: int):
    """One tap on the roll list (htmx): the row comes back with its new status."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    session = _runnable(request, pk)
    person = get_object_or_404(engine.expected_people(session), pk=request.POST.get("person"))
    status = request.POST.get("status", "")
    leave = request.POST.get("leave_kind", "")
    reason = request.POST.get("reason", "")
    current = engine.current_marks(session).get(person.pk)
    error = ""
    try:
        if current is None:
            engine.record_mark(
                session,
                person,
                method=Method.ROLL_CALL,
                actor=request.user,
                client_ip=client_ip(request),
                status=status,
                leave_kind=leave,
                reason=reason,
            )
        else:
            outcome = correct_or_ask(
                session=session,
                person=person,
                status=status,
                leave_kind=leave,
                actor=request.user,
                client_ip=client_ip(request),
                reason=reason,
            )
            if isinstance(outcome, MarkRequest):
                error = _("Sent to the department admin for approval.")
    except (MarkRefused, ServiceRefused) as refused:
        error = refused.message
    row = roll(session, [person])[0]
    context = _roll_context(request, session) | {"row": row, "error": error}
    if request.htmx:
        return render(request, "attendance/_roll_row.html", context, status=200)
    if error:
        messages.error(request, error)
    return redirect("attendance:roll", pk=session.pk)


@require_POST
def roll_rest_present(request, pk: int):
    if not request.user.is_authenticated:
        raise PermissionDenied
    session = _runnable(request, pk)
    try:
        count = engine.mark_rest_present(session, actor=request.user, client_ip=client_ip(request))
    except MarkRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("%(count)s marked present.") % {"count": count})
    return redirect("attendance:roll", pk=session.pk)


# --- the room screen ------------------------------------------------------------------------


def _screen_context(request, session):
    now = time.time()
    token = engine.session_token(session, now)
    url = request.build_absolute_uri(reverse("attendance:scan", args=[session.pk, token]))
    t = engine.tally(session)
    return {
        "session": session,
        "svg": qr_svg(url, scale=8),
        "url": url,
        "tally": t,
        "short": engine.short_code(session, now) if request.GET.get("short") else "",
        "refresh_ms": int(engine.seconds_to_next_step(session, now) * 1000) + 100,
        "open": engine.windows(session).opens
        <= timezone.now()
        <= engine.windows(session).late_until,
    }


def screen(request, pk: int):
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    session = _runnable(request, pk)
    return render(request, "attendance/screen.html", _screen_context(request, session))


def screen_panel(request, pk: int):
    if not request.user.is_authenticated:
        raise PermissionDenied
    session = _runnable(request, pk)
    return render(request, "attendance/_screen_panel.html", _screen_context(request, session))


# --- the student scanning the session code ---------------------------------------------------


def _me(request) -> Person | None:
    return Person.objects.filter(user=request.user).select_related("org_unit").first()


def scan(request, pk: int, token: str):
    """The session code's link. GET checks the token strictly and remembers, in this
    browser's session, the step it was opened at (so reopening does not refuse an honest
    student); POST records the mark with the presence evidence."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    session = _session_or_404(pk)
    person = _me(request)
    opened_all = request.session.get(OPENED, {})
    opened = opened_all.get(str(session.pk))
    if opened and opened.get("token") != token:
        opened = None
    check = engine.verify_session_token(
        session, token, opened_step=opened["step"] if opened else None
    )
    error = "" if check.ok else MarkRefused(check.refusal).message
    ip = client_ip(request)
    device = device_of(request)
    if check.ok and not opened:
        opened = {
            "token": token,
            "step": engine.current_step(session),
            **evidence.binding(request, device=device, ip=ip),
        }
        opened_all = {k: v for k, v in opened_all.items() if k != str(session.pk)}
        request.session[OPENED] = {**dict(list(opened_all.items())[-5:]), str(session.pk): opened}
    mark = None
    if person is None:
        error = error or _("Your account is not linked to a person of the school.")
    if request.method == "POST" and not error:
        facts = evidence.assess(
            session=session,
            request=request,
            device=device,
            ip=ip,
            opened=opened,
            lag=check.lag,
        )
        try:
            mark = engine.record_mark(
                session,
                person,
                method=Method.SESSION_QR,
                actor=request.user,
                client_ip=ip,
                device=device,
                evidence=facts,
            )
        except MarkRefused as refused:
            error = refused.message
    response = render(
        request,
        "attendance/scan.html",
        {"session": session, "error": error, "mark": mark, "person": person},
        status=200 if not error else 400 if request.method == "POST" else 200,
    )
    return _with_device(request, response)


def short_code_view(request):
    """Big halls: the student types the six digits shown on the screen on demand."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    person = _me(request)
    mark = None
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")
        if person is None:
            error = _("Your account is not linked to a person of the school.")
        elif not engine.short_code_attempt(person=person):
            error = MarkRefused(engine.Refusal.TOO_MANY).message
        else:
            found = engine.sessions_for_code(person=person, code=code)
            if not found:
                error = MarkRefused(engine.Refusal.BAD_CODE).message
            else:
                ip = client_ip(request)
                device = device_of(request)
                facts = evidence.assess(
                    session=found[0], request=request, device=device, ip=ip, opened=None, lag=0
                )
                try:
                    mark = engine.record_mark(
                        found[0],
                        person,
                        method=Method.SHORT_CODE,
                        actor=request.user,
                        client_ip=ip,
                        device=device,
                        evidence=facts,
                    )
                except MarkRefused as refused:
                    error = refused.message
    response = render(
        request,
        "attendance/short_code.html",
        {"error": error, "mark": mark},
        status=400 if error else 200,
    )
    return _with_device(request, response)


# --- scanning campus codes: the teacher's phone, a door scanner, offline -----------------------


def scanner(request, pk: int):
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    session = _runnable(request, pk)
    direction = Direction.OUT if request.GET.get("direction") == "out" else Direction.IN
    return render(
        request,
        "attendance/scanner.html",
        {
            "session": session,
            "direction": direction,
            "point": request.GET.get("point", "")[:64],
            "tally": engine.tally(session, direction),
        },
    )


def _scanner_params(request):
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return None
    direction = Direction.OUT if body.get("direction") == "out" else Direction.IN
    method = Method.DOOR_SCANNER if body.get("door") else Method.PERSONAL_CODE
    return body, direction, method, str(body.get("point", ""))[:64]


@require_POST
def scanner_scan(request, pk: int):
    """One code read online: the person's masked name and the result, as JSON."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    session = _runnable(request, pk)
    params = _scanner_params(request)
    if params is None:
        return HttpResponseBadRequest()
    body, direction, method, point = params
    try:
        mark = engine.verify_personal_code(
            session,
            str(body.get("token", "")),
            actor=request.user,
            client_ip=client_ip(request),
            method=method,
            device=str(body.get("device", ""))[:100],
            direction=direction,
            point=point,
        )
    except MarkRefused as refused:
        return JsonResponse({"ok": False, "code": refused.code, "message": refused.message})
    return JsonResponse(
        {
            "ok": True,
            "name": mark.person.masked_name,
            "status": mark.status,
            "message": str(mark.status_label),
            "counted": engine.tally(session, direction).attended,
        }
    )


@require_POST
def scanner_upload(request, pk: int):
    """Codes read while offline: {"items": [{"token", "at" (ISO), "nonce"}]}."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    session = _runnable(request, pk)
    params = _scanner_params(request)
    if params is None or not isinstance(params[0].get("items"), list):
        return HttpResponseBadRequest()
    body, direction, _method, point = params
    items = []
    for item in body["items"][:5000]:
        try:
            at = datetime.fromisoformat(str(item["at"]))
        except (KeyError, TypeError, ValueError):
            continue
        if timezone.is_naive(at):
            continue
        items.append({"token": str(item.get("token", "")), "at": at, "nonce": item.get("nonce")})
    result = engine.upload_offline_scans(
        session,
        items,
        actor=request.user,
        client_ip=client_ip(request),
        device=str(body.get("device", ""))[:100],
        direction=direction,
        point=point,
    )
    log_action(
        request=request,
        action="attendance.scans.uploaded",
        data={"session": session.pk, "stored": result.stored, "duplicates": result.duplicates},
    )
    return JsonResponse(
        {
            "stored": result.stored,
            "duplicates": result.duplicates,
            "refused": result.refused,
            "counted": engine.tally(session, direction).attended,
        }
    )


__all__ = ["sessions_viewable"]
