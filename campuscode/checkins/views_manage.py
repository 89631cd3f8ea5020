"""Pages for the people who run check-ins: point screens and posters, points, notices,
the who-has-checked-in lists, a person's history and manual status, extra campuses."""

import time
from datetime import date
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from campuscode.audit.services import log_action
from campuscode.checkins import devices, evidence, exports, selectors, services
from campuscode.checkins.forms import (
    ExplainForm,
    ManualStatusForm,
    NoticeForm,
    PointForm,
    PointPolicyForm,
)
from campuscode.checkins.models import (
    CampusAssignment,
    CheckinPoint,
    Flag,
    KioskAlert,
    KioskDisplay,
    Period,
    WindowNotice,
)
from campuscode.checkins.tokens import poster_token, screen_token, seconds_to_next_step
from campuscode.checkins.windows import current_or_last_window
from campuscode.codes.services import qr_svg
from campuscode.codes.status import current_status
from campuscode.core.net import client_ip
from campuscode.core.paging import page_of
from campuscode.core.spreadsheets import xlsx_response
from campuscode.people.access import (
    Cap,
    covers,
    has_capability,
    requires,
    scope_q,
    units_for,
)
from campuscode.people.models import OrgUnit, Person

KIOSK_COOKIE_MAX_AGE = 5 * 365 * 24 * 3600


def _managed_points(user):
    """Points of the campuses under the user's settings scope (the system admin's school)."""
    return CheckinPoint.objects.filter(
        scope_q(user, Cap.MANAGE_SETTINGS, unit="campus", kind=None)
    ).select_related("campus")


def _school_of(user) -> OrgUnit:
    units = units_for(user, Cap.MANAGE_SETTINGS) or units_for(user, Cap.EDIT_PEOPLE)
    if not units:
        raise PermissionDenied
    return OrgUnit.objects.get(pk=units[0].school_id)


# --- Kiosk screens and posters ---------------------------------------------------------


def _kiosk_display(request, point_id: int):
    """The registered screen this request comes from, or None: the live code is for a
    screen enrolled with its one-time credential, never for whoever knows the address."""
    display = devices.authenticate_display(
        devices.credential_of(request), point_id=point_id, client_ip=client_ip(request)
    )
    if display is not None:
        devices.record_heartbeat(display=display)
    return display


def _kiosk_refused(request, point_id: int):
    # 403 whether the point exists or not, and no code at all in the answer.
    response = render(
        request,
        "checkins/kiosk_refused.html",
        {"enrol_url": reverse("checkins:kiosk_enrol", args=[point_id])},
        status=403,
    )
    response["Cache-Control"] = "no-store"
    return response


def _kiosk_context(request, display):
    point = display.point
    url = request.build_absolute_uri(
        reverse("checkins:point", args=[point.pk, screen_token(point.pk)])
    )
    return {
        "point": point,
        "display": display,
        "url": url,
        "svg": qr_svg(url, scale=8),
        "count": selectors.today_count(point, timezone.localdate()),
        "next_ms": int(seconds_to_next_step() * 1000),
        "now": timezone.localtime(),
        "server_ms": int(time.time() * 1000),
        "tz": settings.TIME_ZONE,
    }


def kiosk(request, point_id: int):
    """The point's screen: a rotating code, the point's name, a clock, today's count.
    Only for a registered screen of the point (its credential cookie or header)."""
    display = _kiosk_display(request, point_id)
    if display is None:
        return _kiosk_refused(request, point_id)
    # Not yet: the screen's offline key (tokens.display_secret) for its script to sign
    # codes while it cannot reach the server; the server already verifies such codes.
    context = _kiosk_context(request, display)
    response = render(request, "checkins/kiosk.html", context)
    response["Cache-Control"] = "no-store"
    return response


def kiosk_panel(request, point_id: int):
    display = _kiosk_display(request, point_id)
    if display is None:
        return _kiosk_refused(request, point_id)
    response = render(request, "checkins/kiosk_panel.html", _kiosk_context(request, display))
    response["Cache-Control"] = "no-store"
    return response


def kiosk_enrol(request, point_id: int):
    """A new screen presents the one-time credential shown when it was registered (from
    the link's #fragment, never sent in a URL, or typed in); it is kept in an HttpOnly
    cookie for this point's kiosk pages only."""
    error = ""
    if request.method == "POST":
        token = request.POST.get("token", "").strip()
        display = devices.authenticate_display(
            token, point_id=point_id, client_ip=client_ip(request)
        )
        if display is not None:
            devices.record_heartbeat(display=display)
            log_action(
                action="checkins.display.enrolled",
                client_ip=client_ip(request),
                data={"display": display.pk, "point": point_id},
            )
            response = redirect("checkins:kiosk", point_id=point_id)
            response.set_cookie(
                devices.COOKIE,
                token,
                max_age=KIOSK_COOKIE_MAX_AGE,
                path=reverse("checkins:kiosk", args=[point_id]),
                httponly=True,
                samesite="Strict",
                secure=request.is_secure(),
            )
            return response
        error = _(
            "This screen credential is not valid for this point (mistyped, replaced or "
            "revoked). Register the screen again on the check-in point's page."
        )
    response = render(
        request, "checkins/kiosk_enrol.html", {"error": error}, status=403 if error else 200
    )
    response["Cache-Control"] = "no-store"
    return response


def _managed_display(request, pk: int):
    return get_object_or_404(
        KioskDisplay.objects.select_related("point", "point__campus").filter(
            point__in=_managed_points(request.user)
        ),
        pk=pk,
    )


def _credential_shown_once(request, display, token):
    enrol_url = request.build_absolute_uri(
        reverse("checkins:kiosk_enrol", args=[display.point_id]) + f"#token={token}"
    )
    response = render(
        request,
        "checkins/kiosk_token.html",
        {"display": display, "point": display.point, "token": token, "enrol_url": enrol_url},
    )
    response["Cache-Control"] = "no-store"
    return response


@requires(Cap.MANAGE_SETTINGS)
@require_POST
def display_new(request, pk: int):
    point = get_object_or_404(_managed_points(request.user), pk=pk)
    name = request.POST.get("name", "").strip()
    if not name or not point.has_screen:
        messages.error(
            request,
            _("Give the screen a name.")
            if point.has_screen
            else _("This point takes printed posters only: set it to use a screen first."),
        )
        return redirect("checkins:point_edit", pk=point.pk)
    display, token = devices.register_display(
        point=point, name=name, user=request.user, client_ip=client_ip(request)
    )
    return _credential_shown_once(request, display, token)


@requires(Cap.MANAGE_SETTINGS)
@require_POST
def display_rotate(request, pk: int):
    display = _managed_display(request, pk)
    token = devices.rotate_display(display=display, user=request.user, client_ip=client_ip(request))
    return _credential_shown_once(request, display, token)


@requires(Cap.MANAGE_SETTINGS)
@require_POST
def display_revoke(request, pk: int):
    display = _managed_display(request, pk)
    devices.revoke_display(display=display, user=request.user, client_ip=client_ip(request))
    messages.success(request, _("The screen no longer shows the point's code."))
    return redirect("checkins:point_edit", pk=display.point_id)


@requires(Cap.MANAGE_SETTINGS)
@require_POST
def display_alert_resolve(request, pk: int):
    alert = get_object_or_404(
        KioskAlert.objects.filter(
            display__point__in=_managed_points(request.user), resolved_at__isnull=True
        ),
        pk=pk,
    )
    devices.resolve_alert(alert=alert, user=request.user, client_ip=client_ip(request))
    return redirect("checkins:points")


@requires(Cap.MANAGE_SETTINGS)
def poster(request, pk: int):
    """An A4 poster for a point without a screen: a static code, marked as such."""
    point = get_object_or_404(_managed_points(request.user), pk=pk)
    if not point.takes_posters:
        messages.error(
            request, _("This point takes no posters: set it to take printed posters first.")
        )
        return redirect("checkins:point_edit", pk=point.pk)
    url = request.build_absolute_uri(
        reverse("checkins:point", args=[point.pk, poster_token(point.pk, point.poster_version)])
    )
    return render(
        request, "checkins/poster.html", {"point": point, "url": url, "svg": qr_svg(url, scale=10)}
    )


# --- Points ----------------------------------------------------------------------------


@requires(Cap.MANAGE_SETTINGS)
def points(request):
    school = _school_of(request.user)
    form = PointForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        services.save_point(user=request.user, client_ip=client_ip(request), **form.cleaned_data)
        messages.success(request, _("The check-in point was saved."))
        return redirect("checkins:points")
    rows = list(_managed_points(request.user).order_by("campus__path", "building", "name"))
    screens = _screens_context(request.user)
    for row in rows:
        row.live_screens = screens["screens_by_point"].get(row.pk, [])
    return render(
        request,
        "checkins/points.html",
        {"points": rows, "form": form, "import_errors": []} | screens,
        status=400 if form.errors else 200,
    )


def _screens_context(user, point=None) -> dict:
    """The registered screens (of one point, or all managed) with their state, and the
    open alerts; a silent screen is found here too, as the gates' live page does."""
    devices.check_silent_displays()
    managed = _managed_points(user)
    screens = KioskDisplay.objects.filter(point__in=managed).select_related("point")
    alerts = KioskAlert.objects.filter(
        display__point__in=managed, resolved_at__isnull=True
    ).select_related("display", "display__point")
    if point is not None:
        screens, alerts = screens.filter(point=point), alerts.filter(display__point=point)
    now = timezone.now()
    screens = list(screens)
    for screen in screens:
        screen.status = devices.display_status(screen, now=now)
    by_point: dict[int, list] = {}
    for screen in screens:
        if screen.status != "revoked":
            by_point.setdefault(screen.point_id, []).append(screen)
    return {"screens": screens, "screen_alerts": list(alerts), "screens_by_point": by_point}


@requires(Cap.MANAGE_SETTINGS)
def point_edit(request, pk: int):
    point = get_object_or_404(_managed_points(request.user), pk=pk)
    form = PointPolicyForm(request.POST or None, instance=point, school=_school_of(request.user))
    if request.method == "POST":
        if "withdraw_posters" in request.POST:
            services.withdraw_posters(point=point, user=request.user, client_ip=client_ip(request))
            messages.success(request, _("Printed posters of this point no longer work."))
            return redirect("checkins:point_edit", pk=point.pk)
        if "scanner_token" in request.POST:
            # Shown once, on this answer only; the point keeps its hash.
            scanner_token = evidence.issue_scanner_token(
                point=point, user=request.user, client_ip=client_ip(request)
            )
            return render(
                request,
                "checkins/point_edit.html",
                _point_page(request, point, PointPolicyForm(instance=point), scanner_token),
            )
        if "revoke_scanner" in request.POST:
            evidence.revoke_scanner_token(
                point=point, user=request.user, client_ip=client_ip(request)
            )
            messages.success(request, _("The point's scanner token no longer works."))
            return redirect("checkins:point_edit", pk=point.pk)
        if form.is_valid():
            fields = {k: v for k, v in form.cleaned_data.items()}
            services.save_point(
                point=point, user=request.user, client_ip=client_ip(request), **fields
            )
            messages.success(request, _("The check-in point was saved."))
            return redirect("checkins:points")
    return render(request, "checkins/point_edit.html", _point_page(request, point, form))


def _point_page(request, point, form, scanner_token: str = "") -> dict:
    kiosk_url = request.build_absolute_uri(reverse("checkins:kiosk", args=[point.pk]))
    return {
        "point": point,
        "form": form,
        "kiosk_url": kiosk_url,
        "scanner_token": scanner_token,
        "scan_api": request.build_absolute_uri("/api/v1/checkins/scan"),
        "networks": evidence.networks_of(point.campus_id),
    } | _screens_context(request.user, point)


@requires(Cap.MANAGE_SETTINGS)
def networks(request):
    """Each campus's own address ranges: a check-in from inside one is on site."""
    school = _school_of(request.user)
    campuses = list(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.CAMPUS, path__startswith=school.path).order_by(
            "path"
        )
    )
    errors = {}
    if request.method == "POST":
        campus = next((c for c in campuses if str(c.pk) == request.POST.get("campus")), None)
        if campus is None:
            raise Http404
        try:
            ranges = evidence.parse_networks(request.POST.get("networks", ""))
        except ValidationError as error:
            errors[campus.pk] = error.messages[0]
        else:
            evidence.set_campus_networks(
                campus=campus, networks=ranges, user=request.user, client_ip=client_ip(request)
            )
            messages.success(request, _("The campus networks were saved."))
            return redirect("checkins:networks")
    rows = [
        {
            "campus": campus,
            "text": request.POST.get("networks", "")
            if campus.pk in errors
            else "\n".join(evidence.networks_of(campus.pk)),
            "error": errors.get(campus.pk, ""),
        }
        for campus in campuses
    ]
    return render(request, "checkins/networks.html", {"rows": rows}, status=400 if errors else 200)


@requires(Cap.MANAGE_SETTINGS)
def points_export(request):
    sheet = exports.points_sheet(_managed_points(request.user))
    return xlsx_response(
        filename=f"{sheet.title}.xlsx", ascii_filename="checkin-points.xlsx", sheets=[sheet]
    )


@requires(Cap.MANAGE_SETTINGS)
@require_POST
def points_import(request):
    school = _school_of(request.user)
    upload = request.FILES.get("file")
    result = exports.import_points(upload=upload, school=school, user=request.user)
    if result.errors:
        rows = _managed_points(request.user).order_by("campus__path", "building", "name")
        return render(
            request,
            "checkins/points.html",
            {"points": rows, "form": PointForm(school=school), "import_errors": result.errors},
            status=400,
        )
    log_action(
        request=request,
        action="checkins.points.imported",
        data={"created": result.created, "updated": result.updated},
    )
    messages.success(
        request,
        _("Import done: %(created)s new points, %(updated)s updated.")
        % {"created": result.created, "updated": result.updated},
    )
    return redirect("checkins:points")


# --- Date notices (R4.1) ---------------------------------------------------------------


@login_required
def notices(request):
    person = getattr(request.user, "person", None)
    may_publish = has_capability(request.user, Cap.MANAGE_SETTINGS)
    form = NoticeForm(request.POST or None) if may_publish else None
    if request.method == "POST":
        if not may_publish:
            raise PermissionDenied
        if form.is_valid():
            services.publish_notice(
                school=_school_of(request.user),
                user=request.user,
                client_ip=client_ip(request),
                **form.cleaned_data,
            )
            messages.success(request, _("The notice was published."))
            return redirect("checkins:notices")
    if may_publish:
        school_id = _school_of(request.user).pk
    elif person is not None:
        school_id = person.school_id
    else:
        school_id = None
    page = page_of(
        request, WindowNotice.objects.filter(school_id=school_id).order_by("-first_day", "-pk")
    )
    return render(
        request,
        "checkins/notices.html",
        {"rows": page.object_list, "page": page, "form": form},
        status=400 if form is not None and form.errors else 200,
    )


# --- Who has and has not checked in ----------------------------------------------------


def _roll_params(request):
    """Date, window, unit, filter from the query, each checked against the user's scope."""
    now = timezone.now()
    try:
        day = date.fromisoformat(request.GET.get("day", "")) if request.GET.get("day") else None
    except ValueError:
        day = None
    period = request.GET.get("period")
    if period not in Period.values:
        period = None
    if day is None:
        day = timezone.localdate(now)
    if period is None:
        window = current_or_last_window(
            now, kind=Person.Kind.STUDENT, school_id=_school_id(request.user)
        )
        period = window.period if window and day == timezone.localdate(now) else Period.MORNING
    unit = None
    if unit_id := request.GET.get("unit"):
        unit = selectors.scope_unit(request.user, unit_id)
        if unit is None:
            raise Http404
    show = request.GET.get("show", selectors.Show.ALL)
    if show not in selectors.Show.CHOICES:
        show = selectors.Show.ALL
    return day, period, unit, show, request.GET.get("q", "").strip()[:32]


def _same_view(request, day, unit) -> bool:
    """Whether an htmx request changes neither the day nor the unit of the page it came
    from (HX-Current-URL): then the 14-day chart and the unit menu stay as they are."""
    current = QueryDict(urlsplit(request.headers.get("HX-Current-URL", "")).query)
    return current.get("day", str(timezone.localdate())) == str(day) and current.get(
        "unit", ""
    ) == (str(unit.pk) if unit else "")


def _school_id(user):
    units = units_for(user, Cap.VIEW_HEALTH)
    return units[0].school_id if units else None


@requires(Cap.VIEW_HEALTH)
def roll(request):
    day, period, unit, show, search = _roll_params(request)
    result = selectors.roll(
        user=request.user, day=day, period=period, unit=unit, show=show, search=search
    )
    # Counts are for the whole scope; the rows, one page of them (R6.3).
    page = page_of(request, result.rows, count=result.row_count(show))
    rows = result.page_rows(page.object_list)
    log_action(
        request=request,
        action="checkins.list.viewed",
        data={
            "day": str(day),
            "period": period,
            "unit": unit.pk if unit else None,
            "show": show,
            "page": page.number,
            "count": page.paginator.count,
            "people": [row.person.pk for row in rows],
        },
    )
    context = {
        "roll": result,
        "rows": rows,
        "page": page,
        "day": day,
        "period": period,
        "unit": unit,
        "show": show,
        "q": search,
        "periods": Period.choices,
        "shows": selectors.Show.CHOICES,
        "query": request.GET.urlencode(),
        # 代为登记 on each row without a check-in, for those who register for others (R4.6);
        # the registration page checks the window and the person again.
        "may_register": has_capability(request.user, Cap.APPROVE_REQUESTS)
        and day <= timezone.localdate(),
        "may_remind": day == timezone.localdate() and result.total.missing > 0,
    }
    # An htmx filter change that moves to another day or unit also swaps the chart and
    # the unit menu (out of band); one that only filters the rows leaves them.
    if not request.htmx or not _same_view(request, day, unit):
        # Today's column is the day the list has just counted (not when it searched).
        last_day = None if search else result.day_totals
        context["trend"] = _trend_chart(request.user, day=day, unit=unit, last_day=last_day)
        context["menu"] = selectors.unit_menu(request.user, unit)
        context["out_of_band"] = bool(request.htmx)
    template = "checkins/roll_table.html" if request.htmx else "checkins/roll.html"
    return render(request, template, context)


@requires(Cap.VIEW_HEALTH)
@require_POST
def roll_remind(request):
    """一键提醒: remind everyone on the list who has not checked in for the open window."""
    from campuscode.checkins.reminders import remind_missing

    day, period, unit, _show, _search = _roll_params(request)
    outcome = remind_missing(
        actor=request.user, day=day, period=period, unit=unit, client_ip=client_ip(request)
    )
    if not outcome.open:
        messages.error(request, _("This window is not open: nobody can check in for it now."))
    elif outcome.sent:
        messages.success(
            request,
            ngettext(
                "A reminder was sent to %(n)s person.",
                "A reminder was sent to %(n)s people.",
                outcome.sent,
            )
            % {"n": outcome.sent},
        )
    else:
        messages.info(
            request, _("Everyone not checked in has already been reminded for this window.")
        )
    return redirect(f"{reverse('checkins:roll')}?{request.GET.urlencode()}")


def _trend_chart(user, *, day, unit, last_day=None) -> dict:
    """The last 14 days as stacked columns: green, yellow, red, excused, missed and not
    yet due check-ins, and the rate of the check-ins due that were done."""
    from campuscode.core.charts import Column, Segment, legend, stacked_columns

    found = selectors.trend(user=user, end=day, unit=unit, last_day=last_day)
    parts = [
        ("green", "green", _("%(day)s: %(n)s green")),
        ("yellow", "yellow", _("%(day)s: %(n)s yellow")),
        ("red", "red", _("%(day)s: %(n)s red")),
        ("excused", "blue", _("%(day)s: %(n)s excused")),
        ("missed", "grey", _("%(day)s: %(n)s missed")),
        ("pending", "light", _("%(day)s: %(n)s not yet due")),
    ]
    columns = [
        Column(
            f"{row.day:%d}",
            [
                Segment(
                    getattr(row, name), colour, text % {"day": row.day, "n": getattr(row, name)}
                )
                for name, colour, text in parts
            ],
        )
        for row in found.days
    ]
    return {
        "svg": stacked_columns(
            columns,
            maximum=max([row.expected for row in found.days] + [1]),
            caption=_("Check-ins per day, last 14 days"),
        ),
        "legend": legend(
            [
                ("green", _("Green")),
                ("yellow", _("Yellow")),
                ("red", _("Red")),
                ("blue", _("Excused")),
                ("grey", _("Missed")),
                ("light", _("Not yet due")),
            ]
        ),
        "rate": found.rate,
        "checked": found.checked,
        "due": found.due,
        "days": found.days,
    }


@requires(Cap.VIEW_HEALTH)
def roll_export(request):
    day, period, unit, show, search = _roll_params(request)
    result = selectors.roll(
        user=request.user, day=day, period=period, unit=unit, show=show, search=search
    )
    rows = result.all_rows()
    log_action(
        request=request,
        action="checkins.list.exported",
        data={"day": str(day), "period": period, "people": [row.person.pk for row in rows]},
    )
    sheet = exports.roll_sheet(result, rows)
    summary = exports.roll_summary_sheet(
        result,
        selectors.trend(
            user=request.user,
            end=day,
            unit=unit,
            last_day=None if search else result.day_totals,
        ),
    )
    return xlsx_response(
        filename=_("Check-ins %(sheet)s.xlsx") % {"sheet": sheet.title},
        ascii_filename=f"checkins-{day}-{period}.xlsx",
        sheets=[sheet, summary],
    )


@login_required
@require_POST
def flag_explain(request, pk: int):
    """An adviser marks a flag as explained (a shared phone of siblings, a shared router)."""
    flag = get_object_or_404(Flag.objects.select_related("checkin__person"), pk=pk)
    if not covers(request.user, Cap.VIEW_HEALTH, flag.checkin.person):
        raise Http404
    form = ExplainForm(request.POST)
    if form.is_valid():
        services.explain_flag(
            flag=flag,
            user=request.user,
            explanation=form.cleaned_data["explanation"],
            client_ip=client_ip(request),
        )
    if request.htmx:
        return render(request, "checkins/flag_panel.html", {"flag": flag})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("checkins:roll")  # never off-site: `next` comes from the form
    return redirect(back)


# --- One person's check-ins and manual status ------------------------------------------


@requires(Cap.VIEW_HEALTH)
def person_history(request, pk: int):
    person = Person.objects.visible_to(request.user, Cap.VIEW_HEALTH).filter(pk=pk).first()
    if person is None:
        raise Http404
    may_manage = covers(request.user, Cap.MANAGE_HEALTH, person)
    form = ManualStatusForm(request.POST or None) if may_manage else None
    if request.method == "POST":
        if not may_manage:
            raise Http404
        if form.is_valid():
            if form.cleaned_data["colour"] == "clear":
                services.clear_manual_status(
                    person=person,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    client_ip=client_ip(request),
                )
            else:
                services.set_manual_status(
                    person=person,
                    colour=form.cleaned_data["colour"],
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                    client_ip=client_ip(request),
                )
            messages.success(request, _("The health status was saved."))
            return redirect("checkins:person", pk=person.pk)
    log_action(request=request, action="checkins.history.viewed", subject=person)
    return render(
        request,
        "checkins/person.html",
        {
            "subject": person,
            "history": selectors.history_of(person),
            "status": current_status(person),
            "manual": person.manual_statuses.filter(cleared_at__isnull=True).first(),
            "form": form,
        },
        status=400 if form is not None and form.errors else 200,
    )


# --- Extra campuses of staff (R4.3, R4.4) ----------------------------------------------


@requires(Cap.EDIT_PEOPLE)
def campuses(request):
    editable = Person.objects.visible_to(request.user, Cap.EDIT_PEOPLE)
    school = _school_of(request.user)
    campus_choices = OrgUnit.objects.filter(kind=OrgUnit.Kind.CAMPUS, path__startswith=school.path)
    error = ""
    if request.method == "POST":
        if remove := request.POST.get("remove"):
            assignment = get_object_or_404(
                CampusAssignment.objects.visible_to(request.user, Cap.EDIT_PEOPLE),
                pk=remove,
            )
            services.unassign_campus(
                assignment=assignment, user=request.user, client_ip=client_ip(request)
            )
            return redirect("checkins:campuses")
        number = request.POST.get("number", "").strip()
        person = editable.filter(number=number).first()
        campus = campus_choices.filter(pk=request.POST.get("campus") or 0).first()
        if person is None or campus is None:
            error = _("No such person in your scope, or no such campus.")
        else:
            services.assign_campus(
                person=person, campus=campus, user=request.user, client_ip=client_ip(request)
            )
            return redirect("checkins:campuses")
    page = page_of(
        request,
        CampusAssignment.objects.visible_to(request.user, Cap.EDIT_PEOPLE)
        .select_related("person", "campus")
        .order_by("person__number", "pk"),
    )
    rows = list(page.object_list)
    log_action(
        request=request,
        action="checkins.campuses.viewed",
        data={
            "people": sorted({row.person_id for row in rows}),
            "count": page.paginator.count,
            "page": page.number,
        },
    )
    return render(
        request,
        "checkins/campuses.html",
        {"rows": rows, "page": page, "campus_choices": campus_choices, "error": error},
        status=400 if error else 200,
    )
