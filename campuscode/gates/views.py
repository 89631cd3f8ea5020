"""Pages of the gate side: live view, search and export, devices, places, own history,
and the gate page itself (a device screen that signs in with its device token)."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campuscode.audit.services import log_action
from campuscode.core.net import client_ip
from campuscode.core.paging import page_of
from campuscode.core.spreadsheets import Sheet, stamp, xlsx_response
from campuscode.gates import selectors, services
from campuscode.gates.forms import EventSearchForm, GateForm, PlaceForm
from campuscode.gates.models import GateAlert, Reason
from campuscode.people.access import Cap, deny_unless, has_capability, requires, units_under
from campuscode.people.models import OrgUnit, Person

EXPORT_LIMIT = 50_000


# --- security staff ----------------------------------------------------------------------


@requires(Cap.VIEW_GATES)
def live(request):
    context = _live_context(request)
    # The full page is one audited read; its htmx polling (live_panel) is not re-audited.
    log_action(request=request, action="gates.live.viewed")
    return render(request, "gates/live.html", context)


@requires(Cap.VIEW_GATES)
def live_panel(request):
    """The live panel alone, polled by htmx. It shows masked names only (张*伟), the same
    as the gate's own screen, so polling does not write an audit entry every 5 s."""
    return render(request, "gates/live_panel.html", _live_context(request))


def _live_context(request) -> dict:
    services.check_silent_gates()
    return {
        "places": selectors.live_view(request.user),
        "alerts": selectors.open_alerts_for(request.user),
        "can_manage": has_capability(request.user, Cap.MANAGE_GATES),
    }


def _local_day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _searched_events(request):
    form = EventSearchForm(request.GET or None, places=selectors.places_for(request.user))
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "person_query": data["person"].strip(),
            "place_id": data["place"].pk if data["place"] else None,
            "since": _local_day_start(data["since"]) if data["since"] else None,
            "until": _local_day_start(data["until"] + timedelta(days=1)) if data["until"] else None,
            "refused_only": data["refused"],
        }
    events = selectors.search_events(request.user, **filters)
    return form, filters, events


def _audit_search(request, action: str, filters: dict, events, shown: int) -> None:
    """One audit entry per read; when the search names one person, they are its subject."""
    people = list(
        events.exclude(person=None).order_by().values_list("person", flat=True).distinct()[:2]
    )
    subject = Person.objects.filter(pk=people[0]).first() if len(people) == 1 else None
    log_action(
        request=request,
        action=action,
        subject=subject,
        data={
            "filters": {k: str(v) for k, v in filters.items() if v},
            "rows": shown,
        },
    )


@requires(Cap.VIEW_GATES)
def events(request):
    form, filters, found = _searched_events(request)
    page = page_of(request, found)
    _audit_search(request, "gates.events.viewed", filters, found, len(page.object_list))
    return render(request, "gates/events.html", {"form": form, "page": page})


@requires(Cap.VIEW_GATES)
def export_events(request):
    _form, filters, found = _searched_events(request)
    events = list(found[:EXPORT_LIMIT])
    headers = [
        _("Time"),
        _("Campus"),
        _("Place"),
        _("Gate"),
        _("Direction"),
        _("Name"),
        _("Number"),
        _("Unit"),
        _("Allowed"),
        _("Reason"),
        _("Notice"),
        _("Source"),
    ]
    rows = []
    for event in events:
        person = event.person
        rows.append(
            [
                timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                event.place.campus.name,
                event.place.name,
                event.gate.name,
                event.get_direction_display(),
                person.name if person else "",
                person.number if person else "",
                person.org_unit.label if person else "",
                _("yes") if event.allowed else _("no"),
                event.get_reason_display(),
                event.get_notice_display() if event.notice else "",
                event.get_source_display(),
            ]
        )
    _audit_search(request, "gates.events.exported", filters, found, len(events))
    when = stamp()
    title = _("Entries and exits")
    return xlsx_response(
        filename=f"{title}-{when}.xlsx",
        ascii_filename=f"gate-events-{when}.xlsx",
        sheets=[Sheet(title, headers, rows)],
    )


@requires(Cap.VIEW_GATES)
def devices(request):
    gates = list(selectors.gates_for(request.user).order_by("place__campus__path", "name"))
    now = timezone.now()
    for gate in gates:
        gate.status = selectors.device_status(gate, now=now)
    can_manage = has_capability(request.user, Cap.MANAGE_GATES)
    form = GateForm(places=selectors.places_for(request.user, Cap.MANAGE_GATES))
    return render(
        request,
        "gates/devices.html",
        {
            "gates": gates,
            "alerts": selectors.open_alerts_for(request.user),
            "can_manage": can_manage,
            "form": form,
        },
    )


def _managed_gate(request, pk):
    deny_unless(request.user, Cap.MANAGE_GATES)
    return get_object_or_404(selectors.gates_for(request.user, Cap.MANAGE_GATES), pk=pk)


def _token_shown_once(request, gate, token):
    kiosk_url = request.build_absolute_uri(f"/gates/kiosk/#token={token}")
    return render(
        request, "gates/device_token.html", {"gate": gate, "token": token, "kiosk_url": kiosk_url}
    )


@requires(Cap.MANAGE_GATES)
@require_POST
def device_new(request):
    form = GateForm(request.POST, places=selectors.places_for(request.user, Cap.MANAGE_GATES))
    if not form.is_valid():
        return render(
            request,
            "gates/devices.html",
            {"gates": [], "alerts": [], "can_manage": True, "form": form},
            status=400,
        )
    gate, token = services.register_gate(
        place=form.cleaned_data["place"],
        name=form.cleaned_data["name"],
        user=request.user,
        client_ip=client_ip(request),
    )
    return _token_shown_once(request, gate, token)


@login_required
@require_POST
def device_rotate(request, pk):
    gate = _managed_gate(request, pk)
    token = services.rotate_gate_token(gate=gate, user=request.user, client_ip=client_ip(request))
    return _token_shown_once(request, gate, token)


@login_required
@require_POST
def device_revoke(request, pk):
    gate = _managed_gate(request, pk)
    services.revoke_gate(gate=gate, user=request.user, client_ip=client_ip(request))
    return redirect("gates:devices")


@requires(Cap.MANAGE_GATES)
@require_POST
def alert_resolve(request, pk):
    alert = get_object_or_404(
        GateAlert.objects.filter(gate__in=selectors.gates_for(request.user, Cap.MANAGE_GATES)),
        pk=pk,
        resolved_at__isnull=True,
    )
    services.resolve_alert(alert=alert, user=request.user, client_ip=client_ip(request))
    if request.htmx:
        return HttpResponse("")
    return redirect(request.POST.get("next") or "gates:live")


@requires(Cap.VIEW_GATES)
def places(request):
    return render(
        request,
        "gates/places.html",
        {
            "places": selectors.places_for(request.user).prefetch_related("gates"),
            "can_manage": has_capability(request.user, Cap.MANAGE_GATES),
        },
    )


@requires(Cap.MANAGE_GATES)
def place_edit(request, pk=None):
    place = None
    if pk is not None:
        place = get_object_or_404(selectors.places_for(request.user, Cap.MANAGE_GATES), pk=pk)
    campuses = units_under(request.user, Cap.MANAGE_GATES).filter(kind=OrgUnit.Kind.CAMPUS)
    form = PlaceForm(request.POST or None, instance=place, campuses=campuses)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        log_action(
            request=request,
            action="gates.place.saved",
            data={"place": saved.pk, "changed": form.changed_data},
        )
        return redirect("gates:places")
    return render(
        request,
        "gates/place_form.html",
        {"form": form, "place": place},
        status=400 if form.errors else 200,
    )


# --- everyone ------------------------------------------------------------------------------


@login_required
def mine(request):
    """A person's own entries and exits: no scope needed, no audit (their own data)."""
    person = getattr(request.user, "person", None)
    page = None
    if person is not None:
        page = page_of(request, selectors.own_events(person))
    return render(request, "gates/mine.html", {"person": person, "page": page})


# --- the gate page -------------------------------------------------------------------------


def kiosk(request):
    """The gate page for a tablet or PC with a keyboard-wedge scanner. It holds no personal
    data itself; its script signs in to the device API with the token kept in the
    browser (given once in the URL fragment, which never reaches a server log, and taken
    out of the address bar at once) and keeps the gate's snapshot in IndexedDB."""
    return render(
        request,
        "gates/kiosk.html",
        {
            "reasons": {choice.value: str(choice.label) for choice in Reason},
            "time_zone": settings.TIME_ZONE,
            "texts": {
                "allowed": _("Allowed"),
                "refused": _("Refused"),
                "offline": _("decided offline"),
                "online": _("Online"),
                "net_offline": _("Offline — deciding from the gate data"),
                "never": _("never"),
                "no_token": _(
                    "This device has no gate token. Open the gate page link shown when the "
                    "device was registered."
                ),
                "no_ed25519": _(
                    "This browser cannot check Ed25519 signatures (WebCrypto), so it cannot "
                    "decide offline. Use a current Chromium, Chrome, Edge or Firefox."
                ),
                "token_refused": _("The server refused this device token (revoked or replaced)."),
                "notice_curfew": _("Entry after curfew"),
                "notice_yellow": _("Yellow code"),
                "notice_red": _("Red code"),
                "notice_degraded": _("Degraded mode (stale gate data)"),
                "minutes_ago": _("min ago"),
                "storage_full": _(
                    "This device's storage is full: the latest gate data or offline scans "
                    "could not be saved. The gate still answers, but offline scans are lost "
                    "if the page closes before they are uploaded, and a restart without "
                    "network uses older gate data. Free up space (browser settings → site "
                    "data)."
                ),
                "storage_unavailable": _(
                    "This browser does not let the gate page keep data (IndexedDB "
                    "unavailable, e.g. a private window or blocked site data). The gate "
                    "answers while this page stays open; after a restart without network it "
                    "cannot decide, and offline scans not yet uploaded are lost."
                ),
            },
        },
    )


def kiosk_worker(request):
    """The service worker, served from /gates/kiosk/ so it may control the gate page."""
    path = settings.BASE_DIR / "static" / "gates" / "kiosk-sw.js"
    if not path.exists():
        raise Http404
    response = HttpResponse(path.read_text(), content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response
