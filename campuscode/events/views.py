"""Pages of events (R2.5): the organiser's events, door scanners and screens, attendance
and its export; a person's own events; the advisers' review of absences. Thin: parse,
check scope (selectors, the one access layer), call one service, render."""

import json
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from campuscode.attendance import engine
from campuscode.attendance.models import Direction, Method
from campuscode.audit.services import log_action
from campuscode.codes.services import qr_svg
from campuscode.core.net import client_ip
from campuscode.core.spreadsheets import Sheet, stamp, xlsx_response
from campuscode.events import door, selectors, services
from campuscode.events.forms import DecisionForm, EventForm, ReviewForm, UndoForm, WalkInForm
from campuscode.events.models import AbsenceReview, DoorReason, Event, EventSession, Registration
from campuscode.people.access import Cap, requires, units_under
from campuscode.people.models import Person

NONCE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-")


# --- the organiser ---------------------------------------------------------------------------


@requires(Cap.RUN_EVENTS)
def event_list(request):
    events = selectors.events_for(request.user).prefetch_related("sittings__session")
    return render(request, "events/list.html", {"events": events[:200]})


@requires(Cap.RUN_EVENTS)
def event_edit(request, pk=None):
    event = selectors.event_for(request.user, pk) if pk is not None else None
    form = EventForm(
        request.POST or None,
        instance=event,
        organiser_units=units_under(request.user, Cap.RUN_EVENTS),
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_event(
                actor=request.user,
                client_ip=client_ip(request),
                organiser_unit=form.cleaned_data["organiser_unit"],
                fields=form.model_fields,
                units=list(form.cleaned_data["units"]),
                sittings=form.cleaned_data["sittings"],
                points=form.cleaned_data["points"],
                event=event,
            )
        except services.EventRefused as refused:
            form.add_error(None, refused.message)
        else:
            return redirect("events:detail", saved.pk)
    return render(
        request,
        "events/form.html",
        {"form": form, "event": event},
        status=400 if form.errors else 200,
    )


def _sittings(event: Event):
    return list(event.sittings.select_related("session"))


@requires(Cap.RUN_EVENTS)
def event_detail(request, pk):
    event = selectors.event_for(request.user, pk)
    sittings = _sittings(event)
    pending = list(
        event.registrations.filter(state=Registration.State.PENDING).select_related(
            "person__org_unit"
        )
    )
    # Names of the people waiting for approval are personal data: one audited read.
    log_action(
        request=request,
        action="events.event.viewed",
        data={"event": event.pk, "rows": len(pending)},
    )
    now = timezone.now()
    current = door.sitting_at(event, now)
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "sittings": sittings,
            "points": list(event.points.all()),
            "pending": pending,
            "approved": event.registrations.filter(state=Registration.State.APPROVED).count(),
            "current": current,
            "counts": selectors.counts(current) if current else None,
            "walk_in": WalkInForm(event=event),
        },
    )


@requires(Cap.RUN_EVENTS)
def counts_panel(request, pk):
    """Numbers only, polled by htmx on the event and door pages: not audited."""
    sitting = selectors.sitting_for(request.user, pk)
    return render(
        request,
        "events/counts_panel.html",
        {"counts": selectors.counts(sitting), "sitting": sitting},
    )


@requires(Cap.RUN_EVENTS)
@require_POST
def decide(request, pk):
    registration = get_object_or_404(
        Registration.objects.select_related("event", "person"),
        pk=pk,
        event__in=selectors.events_for(request.user),
    )
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide_registration(
                registration=registration,
                approve=form.cleaned_data["approve"],
                note=form.cleaned_data["note"],
                actor=request.user,
                client_ip=client_ip(request),
            )
        except services.EventRefused as refused:
            messages.error(request, refused.message)
    return redirect("events:detail", registration.event_id)


@requires(Cap.RUN_EVENTS)
@require_POST
def walk_in(request, pk):
    sitting = selectors.sitting_for(request.user, pk)
    form = WalkInForm(request.POST, event=sitting.event)
    if not form.is_valid():
        messages.error(request, _("Give the person's school or staff number."))
        return redirect("events:detail", sitting.event_id)
    person = Person.objects.filter(
        school_id=sitting.event.school_id, number=form.cleaned_data["number"].strip()
    ).first()
    if person is None:
        messages.error(request, _("Nobody at this school has that number."))
        return redirect("events:detail", sitting.event_id)
    try:
        services.sign_in_walk_in(
            sitting=sitting,
            point=form.cleaned_data["point"],
            person=person,
            actor=request.user,
            client_ip=client_ip(request),
        )
    except services.EventRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("%(who)s registered as a walk-in and signed in.")
            % {"who": door.display_label(person)},
        )
    return redirect("events:detail", sitting.event_id)


def _attendance_rows(request, sitting):
    return selectors.attendance(sitting)


@requires(Cap.RUN_EVENTS)
def attendance(request, pk):
    sitting = selectors.sitting_for(request.user, pk)
    rows = _attendance_rows(request, sitting)
    log_action(
        request=request,
        action="events.attendance.viewed",
        data={"event": sitting.event_id, "sitting": sitting.pk, "rows": len(rows)},
    )
    summary = {}
    for row in rows:
        summary[row.outcome] = summary.get(row.outcome, 0) + 1
    return render(
        request,
        "events/attendance.html",
        {
            "sitting": sitting,
            "event": sitting.event,
            "rows": rows,
            "summary": [(selectors.OUTCOME_LABELS[k], v) for k, v in summary.items()],
            "labels": selectors.OUTCOME_LABELS,
        },
    )


def _when(mark) -> str:
    return timezone.localtime(mark.happened_at).strftime("%Y-%m-%d %H:%M:%S") if mark else ""


def _how(mark) -> str:
    return mark.get_method_display() if mark else ""


@requires(Cap.RUN_EVENTS)
def export(request, pk):
    sitting = selectors.sitting_for(request.user, pk)
    rows = _attendance_rows(request, sitting)
    points = {str(p.pk): p.name for p in sitting.event.points.all()}
    headers = [
        _("Number"),
        _("Name"),
        _("Unit"),
        _("Registration"),
        _("Signed in"),
        _("Sign-in method"),
        pgettext("event", "Point"),
        _("Signed out"),
        _("Stay (minutes)"),
        _("Outcome"),
        _("Hours awarded"),
        _("Note"),
    ]
    data = []
    for row in rows:
        data.append(
            [
                row.person.number,
                row.person.name,
                row.person.org_unit.label,
                row.registration.get_source_display() if row.registration else "",
                _when(row.sign_in) if row.outcome != selectors.Outcome.UNDONE else "",
                _how(row.sign_in),
                points.get(row.sign_in.point, "") if row.sign_in else "",
                _when(row.sign_out),
                row.stay_minutes if row.stay_minutes is not None else "",
                str(selectors.OUTCOME_LABELS[row.outcome]),
                float(row.hours),
                row.sign_in.reason if row.sign_in and row.sign_in.reason else "",
            ]
        )
    log_action(
        request=request,
        action="events.attendance.exported",
        data={"event": sitting.event_id, "sitting": sitting.pk, "rows": len(data)},
    )
    when = stamp()
    title = _("Event attendance")
    return xlsx_response(
        filename=f"{title}-{sitting.event.title}-{when}.xlsx",
        ascii_filename=f"event-attendance-{when}.xlsx",
        sheets=[Sheet(title, headers, data)],
    )


@requires(Cap.RUN_EVENTS)
@require_POST
def undo(request, pk):
    sitting = selectors.sitting_for(request.user, pk)
    form = UndoForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for undoing the sign-in."))
        return redirect("events:attendance", sitting.pk)
    person = get_object_or_404(Person, pk=form.cleaned_data["person"])
    try:
        services.undo_sign_in(
            sitting=sitting,
            person=person,
            reason=form.cleaned_data["reason"],
            actor=request.user,
            client_ip=client_ip(request),
        )
    except services.EventRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Sign-in undone: %(who)s.") % {"who": person.masked_name})
    return redirect("events:attendance", sitting.pk)


# --- the door scanner ----------------------------------------------------------------------------


@requires(Cap.RUN_EVENTS)
def door_page(request, pk):
    point = selectors.point_for(request.user, pk)
    return render(
        request,
        "events/door.html",
        {
            "point": point,
            "event": point.event,
            "current": (current := door.sitting_at(point.event, timezone.now())),
            "counts": selectors.counts(current) if current else None,
            "reasons": {choice.value: str(choice.label) for choice in DoorReason},
            "time_zone": settings.TIME_ZONE,
            "texts": {
                "signed_in": _("Signed in"),
                "signed_out": _("Signed out"),
                "refused": _("Not signed"),
                "already": _("Already signed: not counted again"),
                "offline": _("decided offline"),
                "online": _("Online"),
                "net_offline": _("OFFLINE — deciding from this scanner's list"),
                "pending": _("scans waiting to upload"),
                "signed_out_account": _(
                    "The server did not accept this page's sign-in (signed out or no longer "
                    "allowed): scans are kept on this device. Sign in again in another tab."
                ),
                "no_ed25519": _(
                    "This browser cannot check Ed25519 signatures, so it cannot decide "
                    "offline. Use a current Chrome, Edge or Firefox."
                ),
                "no_list": _("No offline list yet: this scanner needs the network once."),
            },
        },
    )


@requires(Cap.RUN_EVENTS)
def door_list(request, pk):
    point = selectors.point_for(request.user, pk)
    body = door.build_list(point=point)
    log_action(
        request=request,
        action="events.door.list_pulled",
        data={"point": point.pk, "event": point.event_id, "count": len(body["people"])},
    )
    return JsonResponse(body)


def _json(request) -> dict | None:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _nonce(value) -> str | None:
    if isinstance(value, str) and 1 <= len(value) <= 64 and set(value) <= NONCE_CHARS:
        return value
    return None


@requires(Cap.RUN_EVENTS)
@require_POST
def door_scan(request, pk):
    point = selectors.point_for(request.user, pk)
    data = _json(request)
    if data is None:
        return HttpResponseBadRequest("bad json")
    nonce, direction = _nonce(data.get("nonce")), data.get("direction")
    token = data.get("token")
    if (
        not nonce
        or direction not in ("in", "out")
        or not isinstance(token, str)
        or len(token) > 400
    ):
        return HttpResponseBadRequest("bad scan")
    answer = door.scan(
        point=point,
        token=token,
        direction=direction,
        nonce=nonce,
        actor=request.user,
        client_ip=client_ip(request),
    )
    row = answer.scan
    return JsonResponse(
        {
            "ok": row.ok,
            "reason": row.reason,
            "reason_label": str(DoorReason(row.reason).label),
            "display": answer.label,
            "direction": row.direction,
            "replayed": answer.replayed,
            "person_id": row.person_id,
        }
    )


def _moment(value) -> datetime | None:
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@requires(Cap.RUN_EVENTS)
@require_POST
def door_upload(request, pk):
    point = selectors.point_for(request.user, pk)
    data = _json(request)
    events = data.get("events") if data else None
    if not isinstance(events, list) or len(events) > 1000:
        return HttpResponseBadRequest("bad upload")
    items = []
    for raw in events:
        if not isinstance(raw, dict):
            return HttpResponseBadRequest("bad item")
        nonce, at = _nonce(raw.get("nonce")), _moment(raw.get("at"))
        token = raw.get("token") or ""
        person_id = raw.get("person_id")
        if (
            not nonce
            or at is None
            or raw.get("direction") not in ("in", "out")
            or not isinstance(token, str)
            or len(token) > 400
            or not (person_id is None or (isinstance(person_id, int) and 0 < person_id < 2**63))
        ):
            return HttpResponseBadRequest("bad item")
        items.append(
            {
                "nonce": nonce,
                "at": at,
                "token": token,
                "person_id": person_id,
                "direction": raw["direction"],
                "ok": bool(raw.get("ok")),
                "reason": str(raw.get("reason", ""))[:20],
            }
        )
    result = door.upload(point=point, items=items, actor=request.user, client_ip=client_ip(request))
    return JsonResponse(result)


# --- the event's rotating code on a screen ------------------------------------------------------


def _direction(request) -> str:
    return Direction.OUT if request.GET.get("direction") == "out" else Direction.IN


def _screen_context(request, sitting) -> dict:
    direction = _direction(request)
    token = engine.session_token(sitting.session)
    url = request.build_absolute_uri(
        reverse("events:qr", args=[sitting.pk, token])
        + ("?direction=out" if direction == "out" else "")
    )
    return {
        "sitting": sitting,
        "event": sitting.event,
        "direction": direction,
        "svg": qr_svg(url, scale=8),
        "url": url,
        "refresh": max(2, int(engine.seconds_to_next_step(sitting.session)) + 1),
        "counts": selectors.counts(sitting),
    }


@requires(Cap.RUN_EVENTS)
def screen(request, pk):
    sitting = selectors.sitting_for(request.user, pk)
    return render(request, "events/screen.html", _screen_context(request, sitting))


@requires(Cap.RUN_EVENTS)
def screen_panel(request, pk):
    sitting = selectors.sitting_for(request.user, pk)
    return render(request, "events/screen_panel.html", _screen_context(request, sitting))


# --- people: the event's code, their own events, registering -------------------------------------

QR_SESSION_KEY = "events.qr"
QR_CONFIRM_SECONDS = 120


@login_required
def qr(request, pk, token):
    """A person scanned the event's code: checked now (fresh, genuine), then a button to
    confirm. The opening step is kept in their session, so the confirmation works for a
    while even after the code on the screen has changed."""
    sitting = get_object_or_404(EventSession.objects.select_related("event", "session"), pk=pk)
    direction = _direction(request)
    check = engine.verify_session_token(sitting.session, token)
    person = getattr(request.user, "person", None)
    context = {"sitting": sitting, "event": sitting.event, "direction": direction, "person": person}
    if not check.ok:
        context["refusal"] = engine.MarkRefused(check.refusal).message
        return render(request, "events/qr.html", context, status=400)
    opened = request.session.get(QR_SESSION_KEY, {})
    opened[str(sitting.pk)] = [check.step, timezone.now().timestamp(), token]
    request.session[QR_SESSION_KEY] = opened
    return render(request, "events/qr.html", context)


@login_required
@require_POST
def qr_sign(request, pk):
    sitting = get_object_or_404(EventSession.objects.select_related("event", "session"), pk=pk)
    direction = Direction.OUT if request.POST.get("direction") == "out" else Direction.IN
    person = getattr(request.user, "person", None)
    context = {"sitting": sitting, "event": sitting.event, "direction": direction, "person": person}
    opened = request.session.get(QR_SESSION_KEY, {}).get(str(sitting.pk))
    refusal = None
    if person is None:
        refusal = _("This account is not linked to a person in the registry.")
    elif not opened or timezone.now().timestamp() - opened[1] > QR_CONFIRM_SECONDS:
        refusal = engine.MarkRefused(engine.Refusal.EXPIRED_TOKEN).message
    else:
        check = engine.verify_session_token(sitting.session, opened[2], opened_step=opened[0])
        if not check.ok:
            refusal = engine.MarkRefused(check.refusal).message
    if refusal is None:
        refusal = _sign_by_code(request, sitting, person, direction)
    if refusal:
        context["refusal"] = refusal
        return render(request, "events/qr.html", context, status=400)
    context["done"] = True
    return render(request, "events/qr.html", context)


def _sign_by_code(request, sitting, person, direction) -> str | None:
    """The same rules as the door (admission, capacity), the same engine (once per person)."""
    now = timezone.now()
    reason, _mark = door._decide(
        point=_QrPoint(sitting.event),
        person=person,
        direction=direction,
        at=now,
        now=now,
        method=Method.SESSION_QR,
        actor=request.user,
        client_ip=client_ip(request),
        nonce="qr",
    )
    return None if reason == DoorReason.OK else str(DoorReason(reason).label)


class _QrPoint:
    """The event's code counts as a point of its own (no door), both directions."""

    pk = ""

    def __init__(self, event):
        self.event = event

    def allows(self, direction) -> bool:
        return True


@login_required
def mine(request):
    """A person's own registrations, sign-ins and hours: their own data, not audited."""
    person = getattr(request.user, "person", None)
    return render(
        request,
        "events/mine.html",
        {
            "person": person,
            "mine": selectors.my_events(person) if person else [],
            "open": selectors.open_for(person) if person else [],
        },
    )


@login_required
@require_POST
def register(request, pk):
    person = getattr(request.user, "person", None)
    event = get_object_or_404(Event, pk=pk)
    if person is None or person.school_id != event.school_id:
        raise Http404
    try:
        registration = services.register(
            event=event, person=person, actor=request.user, client_ip=client_ip(request)
        )
    except services.EventRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Registered.")
            if registration.state == Registration.State.APPROVED
            else _("Registration sent: the organiser will approve it."),
        )
    return redirect("events:mine")


@login_required
@require_POST
def cancel(request, pk):
    person = getattr(request.user, "person", None)
    registration = get_object_or_404(
        Registration, event_id=pk, person=person, state__in=["pending", "approved"]
    )
    services.cancel_registration(registration=registration)
    messages.success(request, _("Registration cancelled."))
    return redirect("events:mine")


# --- advisers: absences from mandatory events -------------------------------------------------------


@requires(Cap.APPROVE_REQUESTS)
def reviews(request):
    rows = list(
        AbsenceReview.objects.visible_to(request.user, Cap.APPROVE_REQUESTS)
        .select_related("person__org_unit", "sitting__event", "sitting__session")
        .order_by("state", "-created_at")[:300]
    )
    log_action(request=request, action="events.reviews.viewed", data={"rows": len(rows)})
    return render(request, "events/reviews.html", {"rows": rows})


@requires(Cap.APPROVE_REQUESTS)
@require_POST
def review_decide(request, pk):
    review = get_object_or_404(
        AbsenceReview.objects.visible_to(request.user, Cap.APPROVE_REQUESTS), pk=pk
    )
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.decide_review(
                review=review,
                excused=form.cleaned_data["excused"],
                note=form.cleaned_data["note"],
                actor=request.user,
                client_ip=client_ip(request),
            )
        except services.EventRefused as refused:
            messages.error(request, refused.message)
    return redirect("events:reviews")
