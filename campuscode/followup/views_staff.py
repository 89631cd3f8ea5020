"""The staff side: the approval queue (bulk), manual registration, the health office's
dashboard with isolations and missing reports, visitor and temporary-worker applications."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.audit.services import log_action
from campuscode.checkins.models import Checkin, CheckinPoint, Via
from campuscode.checkins.windows import windows_on
from campuscode.core.net import client_ip
from campuscode.core.paging import PAGE_SIZE, page_of
from campuscode.core.rules import get_setting
from campuscode.followup import isolation, selectors, services, visitors
from campuscode.followup.forms import (
    DecideForm,
    EndIsolationForm,
    IsolationForm,
    ManualForm,
    VisitorForm,
    new_key,
    window_choice,
)
from campuscode.people.access import (
    Cap,
    deny_unless,
    has_capability,
    requires,
    units_for,
    units_under,
)
from campuscode.people.models import OrgUnit, Person

# --- The approval queue ----------------------------------------------------------------


def _queue_context(request):
    """One page of the pending requests (advance reports first, then make-ups); the counts
    and the choices a decision may name are over the whole scope, so an item ticked on
    any page can be decided and the totals do not depend on the page."""
    reports_in_scope = selectors.pending_reports(request.user)
    makeups_in_scope = selectors.pending_makeups(request.user)
    keys = [
        *(
            f"report:{pk}"
            for pk in reports_in_scope.order_by("first_day", "pk").values_list("pk", flat=True)
        ),
        *(
            f"makeup:{pk}"
            for pk in makeups_in_scope.order_by("day", "pk").values_list("pk", flat=True)
        ),
    ]
    page = page_of(request, keys)
    shown = [_parse_item(key) for key in page.object_list]
    reports = _in_order(reports_in_scope, [pk for kind, pk in shown if kind == "report"])
    makeups = _in_order(makeups_in_scope, [pk for kind, pk in shown if kind == "makeup"])
    checked = selectors.makeup_checkins(makeups)
    for makeup in makeups:
        # Shown on the item before anyone clicks, with the action that resolves it.
        makeup.found_checkin = checked.get(makeup.pk)
    report_count = sum(1 for key in keys if key.startswith("report:"))
    return {
        "reports": reports,
        "makeups": makeups,
        "keys": keys,
        "page": page,
        "report_count": report_count,
        "makeup_count": len(keys) - report_count,
        "count": len(keys),
        "decided": selectors.decided_recently(request.user),
        "is_approver": has_capability(request.user, Cap.APPROVE_REQUESTS),
    }


def _in_order(queryset, pks: list[int]) -> list:
    found = queryset.in_bulk(pks)
    return [found[pk] for pk in pks if pk in found]


def _parse_item(value: str) -> tuple[str, int]:
    kind, _sep, pk = value.partition(":")
    return kind, int(pk) if pk.isdigit() else 0


@requires(Cap.VIEW_HEALTH)
def queue(request):
    """Pending advance reports and make-ups in the user's class/department, with counts;
    tick several and approve or reject them at once. A rejection needs a reason and is
    confirmed first; a make-up whose window has a check-in after all can be closed."""
    context = _queue_context(request)
    status = 200
    if request.method == "POST":
        deny_unless(request.user, Cap.APPROVE_REQUESTS)
        status = _queue_post(request, context)
        if status != 200 or "confirm" not in context:
            context |= _queue_context(request)
    log_action(
        request=request,
        action="followup.queue.viewed",
        data={
            "people": sorted(
                {r.person_id for r in context["reports"]}
                | {m.person_id for m in context["makeups"]}
            )
        },
    )
    template = "followup/queue_panel.html" if request.htmx else "followup/queue.html"
    return render(request, template, context, status=status)


def _queue_post(request, context) -> int:
    """Decide, ask to confirm a rejection, or close a resolved make-up; the HTTP status."""
    if request.POST.get("close"):
        kind, pk = _parse_item(request.POST["close"])
        outcome = services.close_request(
            kind=kind, pk=pk, user=request.user, client_ip=client_ip(request)
        )
        context["closed"] = outcome
        return 200 if outcome.ok else (403 if outcome.refusal == "not_allowed" else 409)
    form = DecideForm(request.POST, items=context["keys"])
    if not form.is_valid():
        context["form_error"] = "items" in form.errors
        context["note_error"] = "note" in form.errors
        context["note"] = request.POST.get("note", "")
        return 400
    approve = form.cleaned_data["action"] == "approve"
    if not approve and not form.cleaned_data["confirm"]:
        chosen = form.parsed()
        context["confirm"] = {
            "items": _in_order(
                selectors.pending_reports(request.user),
                [pk for kind, pk in chosen if kind == "report"],
            )
            + _in_order(
                selectors.pending_makeups(request.user),
                [pk for kind, pk in chosen if kind == "makeup"],
            ),
            "keys": sorted(form.cleaned_data["items"]),
            "note": form.cleaned_data["note"],
        }
        return 200
    context["result"] = services.decide_many(
        items=form.parsed(),
        user=request.user,
        approve=approve,
        note=form.cleaned_data["note"],
        client_ip=client_ip(request),
    )
    return 200


# --- Manual registration (R4.6) --------------------------------------------------------


def _manual_windows(now, *, school_id: int):
    """Windows that have opened today, and those of past days still within the limit.

    Offered from the students' windows (the staff's are the same by default); the service
    checks the chosen person's own windows anyway.
    """
    hours = timedelta(hours=get_setting("followup_makeup_hours", school_id))
    choices, day = [], timezone.localdate(now)
    while day >= timezone.localdate(now - hours):
        for w in reversed(windows_on(day, kind=Person.Kind.STUDENT, school_id=school_id)):
            if w.start <= now and now - w.end <= hours:
                choices.append((window_choice(w.day, w.period), f"{w.day:%Y-%m-%d} {w.label}"))
        day -= timedelta(days=1)
    return choices


@requires(Cap.APPROVE_REQUESTS)
def manual(request):
    now = timezone.now()
    school = OrgUnit.objects.get(pk=units_for(request.user, Cap.APPROVE_REQUESTS)[0].school_id)
    points = CheckinPoint.objects.filter(
        campus__path__startswith=school.path, active=True
    ).select_related("campus")
    windows = _manual_windows(now, school_id=school.pk)
    # Prefilled from a 代为登记 link on the check-in list (number and window).
    asked = request.GET.get("window", "")
    window = asked if asked in {value for value, _label in windows} else None
    form = ManualForm(
        request.POST or None,
        windows=windows,
        points=points,
        initial={
            "key": new_key(),
            "number": request.GET.get("number", "")[:32],
            "window": window or (windows[0][0] if windows else None),
        },
    )
    outcome = None
    if request.method == "POST" and form.is_valid():
        person = (
            Person.objects.visible_to(request.user, Cap.APPROVE_REQUESTS)
            .filter(number=form.cleaned_data["number"].strip())
            .first()
        )
        if person is None:
            form.add_error("number", _("No such person in your class or department."))
        else:
            day, period = form.cleaned_data["window"]
            outcome = services.register_manually(
                person=person,
                user=request.user,
                day=day,
                period=period,
                answers=form.answers(),
                point=form.cleaned_data["point"],
                place=form.cleaned_data["place"],
                reason=form.cleaned_data["reason"],
                idempotency_key=form.cleaned_data["key"],
                ip=client_ip(request),
                now=now,
                client_ip=client_ip(request),
            )
            if outcome.ok:
                messages.success(
                    request,
                    _("The check-in of %(name)s was registered manually.") % {"name": person.name},
                )
                return redirect("followup:manual")
    recent = (
        Checkin.objects.filter(
            via=Via.MANUAL, person__in=Person.objects.visible_to(request.user, Cap.APPROVE_REQUESTS)
        )
        .select_related("person", "recorded_by", "point", "manual")
        .order_by("-at")[:30]
    )
    recent = list(recent)
    log_action(
        request=request,
        action="followup.manual.viewed",
        data={"people": sorted({c.person_id for c in recent})},
    )
    status = 400 if (form.errors or (outcome and not outcome.ok)) else 200
    return render(
        request,
        "followup/manual.html",
        {
            "form": form,
            "outcome": outcome,
            "recent": recent,
            "over_limit": selectors.manual_over_limit(request.user, now=now),
            "limit": get_setting("followup_manual_limit", school),
            "period_days": get_setting("followup_manual_period_days", school),
        },
        status=status,
    )


# --- Dashboard: cases, isolations, missing reports, manual flags ------------------------


@requires(Cap.VIEW_HEALTH)
def dashboard(request):
    # Open to every health-scoped role; only the health office and department leadership
    # find cases in it (R5.3), only the health office isolations.
    now = timezone.now()
    is_health = has_capability(request.user, Cap.MANAGE_HEALTH)
    # Each list pages on its own (the totals in the headings are the pagers' counts).
    case_page = page_of(
        request,
        selectors.cases_visible_to(request.user)
        .exclude(state="closed")
        .order_by("-opened_at", "-pk"),
        param="cases",
    )
    open_cases = list(case_page.object_list)
    recent_closed = list(selectors.cases_visible_to(request.user).filter(state="closed")[:20])
    context = {
        "may_follow": has_capability(request.user, Cap.FOLLOW_CASES),
        "open_cases": open_cases,
        "case_page": case_page,
        "closed_cases": recent_closed,
        "over_limit": selectors.manual_over_limit(request.user, now=now),
        "is_health": is_health,
        "limit": get_setting(
            "followup_manual_limit", units_for(request.user, Cap.VIEW_HEALTH)[0].school_id
        ),
    }
    people = {c.person_id for c in open_cases + recent_closed}
    if is_health:
        active = selectors.isolations_visible_to(request.user).filter(ended_at__isnull=True)
        iso_page = page_of(request, active.order_by("-starts_on", "-pk"), param="isolations")
        context.update(
            isolations=list(iso_page.object_list),
            iso_page=iso_page,
            missing=isolation.missing_reports(active, now=now),
            iso_form=IsolationForm(
                request.POST or None,
                initial={
                    "starts_on": timezone.localdate(now),
                    "ends_on": timezone.localdate(now) + timedelta(days=13),
                },
            ),
            today=timezone.localdate(now),
        )
        people |= {i.person_id for i in context["isolations"]}
        if request.method == "POST":
            form = context["iso_form"]
            if form.is_valid():
                data = form.cleaned_data
                person = (
                    Person.objects.visible_to(request.user, Cap.MANAGE_HEALTH)
                    .filter(number=data["number"].strip())
                    .first()
                )
                if person is None:
                    form.add_error("number", _("No such person in your scope."))
                else:
                    outcome = isolation.place_isolation(
                        person=person,
                        user=request.user,
                        kind=data["kind"],
                        place=data["place"],
                        reason=data["reason"],
                        starts_on=data["starts_on"],
                        ends_on=data["ends_on"],
                        client_ip=client_ip(request),
                    )
                    if outcome.ok:
                        messages.success(request, _("The isolation/observation was recorded."))
                        return redirect("followup:dashboard")
                    form.add_error(None, outcome.refusal_label)
    elif request.method == "POST":
        raise PermissionDenied
    log_action(request=request, action="followup.dashboard.viewed", data={"people": sorted(people)})
    status = 400 if request.method == "POST" else 200
    return render(request, "followup/dashboard.html", context, status=status)


@requires(Cap.MANAGE_HEALTH)
def isolation_detail(request, pk: int):
    row = get_object_or_404(selectors.isolations_visible_to(request.user), pk=pk)
    form = EndIsolationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = isolation.end_isolation(
            isolation=row,
            user=request.user,
            note=form.cleaned_data["note"],
            client_ip=client_ip(request),
        )
        if outcome.ok:
            messages.success(request, _("The isolation/observation was ended."))
        return redirect("followup:isolation", pk=row.pk)
    log_action(
        request=request,
        action="followup.isolation.viewed",
        subject=row.person,
        data={"isolation": row.pk},
    )
    return render(
        request,
        "followup/isolation.html",
        {
            "row": row,
            "reports": list(row.reports.all()),
            "missing": isolation.missing_reports([row]),
            "form": form if row.ended_at is None else None,
        },
        status=400 if form.errors else 200,
    )


# --- Visitors and temporary workers (R3.3) ---------------------------------------------


def _host_units(user):
    return (
        units_under(user, Cap.DECIDE_VISITORS)
        .exclude(kind__in=[OrgUnit.Kind.SCHOOL, OrgUnit.Kind.CAMPUS, OrgUnit.Kind.CLASS])
        .distinct()
        .order_by("path")
    )


@requires(Cap.DECIDE_VISITORS)
def visitors_list(request):
    form = VisitorForm(
        request.POST or None, units=_host_units(request.user), initial={"key": new_key()}
    )
    outcome = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = visitors.apply_for_code(
            user=request.user,
            host_unit=data["host_unit"],
            kind=data["kind"],
            name=data["name"],
            id_number=data["id_number"],
            phone=data["phone"],
            email=data["email"],
            purpose=data["purpose"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            idempotency_key=data["key"],
            client_ip=client_ip(request),
        )
        if outcome.ok:
            messages.success(request, _("The application was sent for approval."))
            return redirect("followup:visitors")
    page = page_of(
        request, selectors.visitor_applications(request.user).order_by("-applied_at", "-pk")
    )
    rows = list(page.object_list)
    # Those waiting for this user's decision, from the whole scope (not only this page).
    pending = selectors.pending_visitor_applications(request.user).order_by("applied_at", "pk")
    pending_rows = list(pending[:PAGE_SIZE])
    log_action(
        request=request,
        action="followup.visitors.viewed",
        data={
            "applications": sorted({r.pk for r in [*rows, *pending_rows]}),
            "count": page.paginator.count,
            "page": page.number,
        },
    )
    return render(
        request,
        "followup/visitors.html",
        {
            "form": form,
            "outcome": outcome,
            "rows": rows,
            "page": page,
            "pending": pending_rows,
            "pending_count": pending.count()
            if len(pending_rows) == PAGE_SIZE
            else len(pending_rows),
        },
        status=400 if (form.errors or (outcome and not outcome.ok)) else 200,
    )


@requires(Cap.DECIDE_VISITORS)
def visitor_detail(request, pk: int):
    row = get_object_or_404(selectors.visitor_applications(request.user), pk=pk)
    claim_url = request.build_absolute_uri(reverse("accounts:claim"))
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("approve", "reject"):
            raise Http404
        outcome = visitors.decide_application(
            application=row,
            user=request.user,
            approve=action == "approve",
            note=request.POST.get("note", ""),
            claim_url=claim_url,
            client_ip=client_ip(request),
        )
        if outcome.ok:
            messages.success(request, _("The application was decided."))
            return redirect("followup:visitor", pk=row.pk)
        return render(
            request,
            "followup/visitor.html",
            {"row": row, "outcome": outcome, "claim_url": claim_url, "may_decide": False},
            status=403 if outcome.refusal == services.Refusal.NOT_ALLOWED else 409,
        )
    log_action(
        request=request,
        action="followup.visitor.viewed",
        subject=row.person,
        data={"application": row.pk},
    )
    return render(
        request,
        "followup/visitor.html",
        {
            "row": row,
            "claim_url": claim_url,
            "claim_text": visitors.claim_message(row, claim_url) if row.person_id else "",
            "may_decide": row.state == "pending" and row.applied_by_id != request.user.pk,
        },
    )
