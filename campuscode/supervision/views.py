from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.audit.services import log_action
from campuscode.casework.evidence import evidence_of
from campuscode.casework.letters import pdf_response, render_letter
from campuscode.casework.models import EvidenceItem
from campuscode.core.net import client_ip
from campuscode.core.spreadsheets import stamp, xlsx_response
from campuscode.people.access import Cap, has_capability, requires, units_under
from campuscode.people.models import OrgUnit, Role
from campuscode.supervision import ledger, selectors, services
from campuscode.supervision.forms import DrawForm, FindingForm, HeadcountForm, PlanForm, StepForm
from campuscode.supervision.models import EventKind, Notice, PlanKind


def _school(user) -> OrgUnit:
    unit = units_under(user, Cap.INSPECT).first()
    return OrgUnit.objects.get(pk=int(unit.path.strip("/").split("/")[0]))


@requires(Cap.INSPECT, Cap.RECTIFY)
def home(request):
    inspects = has_capability(request.user, Cap.INSPECT)
    notices = selectors.notices_for(request.user)
    context = {
        "inspects": inspects,
        "notices": list(notices.order_by("state", "deadline")),
        "responsibility": selectors.responsibility(notices),
        "now": timezone.now(),
        "under_way": selectors.checks_under_way(request.user),
    }
    if inspects:
        context["plans"] = list(selectors.plans_for(request.user)[:50])
        context["findings"] = list(selectors.findings_for(request.user)[:200])
    log_action(
        request=request,
        action="supervision.lists.viewed",
        data={"notices": len(context["notices"]), "count": len(context["notices"])},
    )
    return render(request, "supervision/home.html", context)


@requires(Cap.INSPECT, Cap.RECTIFY)
def ledger_xlsx(request):
    notices = selectors.notices_for(request.user)
    findings = (
        selectors.findings_for(request.user) if has_capability(request.user, Cap.INSPECT) else None
    )
    sheets = ledger.sheets(notices=notices, findings=findings)
    log_action(
        request=request, action="supervision.ledger.exported", data={"count": notices.count()}
    )
    return xlsx_response(
        filename=f"督导台账-{stamp()}.xlsx",
        ascii_filename=f"supervision-ledger-{stamp()}.xlsx",
        sheets=sheets,
    )


@requires(Cap.INSPECT)
def plan_new(request):
    units = units_under(request.user, Cap.INSPECT)
    from django.contrib.auth.models import User

    inspectors = (
        User.objects.filter(roles__role=Role.SUPERVISION, is_active=True)
        .distinct()
        .select_related("person")
    )
    form = PlanForm(request.POST or None, units=units, inspectors=inspectors)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        plan = services.create_plan(
            actor=request.user,
            school=_school(request.user),
            kind=data["kind"],
            title=data["title"],
            scope=list(data["scope"]),
            checklist=data["checklist"].splitlines(),
            pool=list(data["pool"]),
            starts_at=data["starts_at"],
            client_ip=client_ip(request),
        )
        messages.success(request, _("The plan was saved."))
        return redirect("supervision:plan", pk=plan.pk)
    return render(
        request, "supervision/plan_new.html", {"form": form}, status=400 if form.errors else 200
    )


@requires(Cap.INSPECT)
def plan_detail(request, pk: int):
    plan = selectors.plans_for(request.user).filter(pk=pk).first()
    if plan is None:
        raise Http404
    draw = getattr(plan, "draw", None)
    hidden = selectors.draw_hidden_from(request.user, plan)
    if hidden:
        draw = None
    drawn_units = OrgUnit.objects.filter(pk__in=draw.units) if draw else plan.scope.all()
    draw_form = DrawForm(request.POST if "draw" in request.POST else None)
    headcount_form = HeadcountForm(
        request.POST if "headcount" in request.POST else None, units=drawn_units
    )
    status = 200
    if request.method == "POST":
        if "draw" in request.POST and draw_form.is_valid():
            outcome = services.make_draw(
                actor=request.user,
                plan=plan,
                units_count=draw_form.cleaned_data["units_count"],
                inspectors_count=draw_form.cleaned_data["inspectors_count"],
                client_ip=client_ip(request),
            )
            if outcome.ok:
                messages.success(request, _("The draw was made and recorded."))
                return redirect("supervision:plan", pk=plan.pk)
            messages.error(request, outcome.refusal_label)
        elif "headcount" in request.POST and headcount_form.is_valid():
            data = headcount_form.cleaned_data
            outcome = services.record_headcount(
                actor=request.user,
                plan=plan,
                unit=data["unit"],
                day=data["day"],
                period=data["period"],
                counted=data["counted"],
                present=data["present"].splitlines(),
                client_ip=client_ip(request),
            )
            if outcome.ok:
                if outcome.value.finding_id:
                    messages.warning(
                        request, _("The count differs from the records: a finding was recorded.")
                    )
                else:
                    messages.success(request, _("The count matches the records."))
                return redirect("supervision:plan", pk=plan.pk)
            messages.error(request, outcome.refusal_label)
        status = 400
    from django.contrib.auth.models import User

    log_action(request=request, action="supervision.plan.viewed", data={"plan": plan.pk})
    return render(
        request,
        "supervision/plan.html",
        {
            "plan": plan,
            "draw": draw,
            "drawn_units": list(drawn_units) if draw else [],
            "drawn_inspectors": list(User.objects.filter(pk__in=draw.inspectors)) if draw else [],
            "recused": list(User.objects.filter(pk__in=draw.recused)) if draw else [],
            "draw_form": draw_form
            if plan.kind == PlanKind.SPOT and not draw and not hidden
            else None,
            "headcount_form": headcount_form if draw or plan.kind != PlanKind.SPOT else None,
            "headcounts": list(plan.headcounts.select_related("unit", "entered_by")),
            "findings": list(plan.findings.select_related("unit", "notice")),
            "draw_hidden": hidden,
            "points": _points_of(plan) if plan.kind == PlanKind.ONSITE else None,
            "inspections": list(plan.point_inspections.select_related("point", "gate")[:100]),
        },
        status=status,
    )


@requires(Cap.INSPECT)
def finding_new(request):
    units = units_under(request.user, Cap.INSPECT)
    form = FindingForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        finding = services.record_finding(
            actor=request.user,
            school=_school(request.user),
            unit=data["unit"],
            severity=data["severity"],
            criterion=data["criterion"],
            description=data["description"],
            applies_on=data["applies_on"],
            client_ip=client_ip(request),
        )
        if data["issue"]:
            notice = services.issue_notice(
                actor=request.user, finding=finding, client_ip=client_ip(request)
            )
            messages.success(
                request, _("Notice %(number)s was issued.") % {"number": notice.number}
            )
            return redirect("supervision:notice", pk=notice.pk)
        messages.success(request, _("The finding was recorded."))
        return redirect("supervision:home")
    return render(
        request, "supervision/finding_new.html", {"form": form}, status=400 if form.errors else 200
    )


@requires(Cap.INSPECT)
def finding_issue(request, pk: int):
    finding = selectors.findings_for(request.user).filter(pk=pk).first()
    if finding is None:
        raise Http404
    if request.method == "POST":
        notice = services.issue_notice(
            actor=request.user, finding=finding, client_ip=client_ip(request)
        )
        return redirect("supervision:notice", pk=notice.pk)
    return redirect("supervision:home")


def _visible_notice(request, pk: int) -> Notice:
    notice = selectors.notices_for(request.user).filter(pk=pk).first()
    if notice is None:
        raise Http404
    return notice


@requires(Cap.INSPECT, Cap.RECTIFY)
def notice_detail(request, pk: int):
    notice = _visible_notice(request, pk)
    form = StepForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            outcome = services.take_step(
                actor=request.user,
                notice=notice,
                step=form.cleaned_data["step"],
                text=form.cleaned_data["text"],
                until=form.cleaned_data["until"],
                client_ip=client_ip(request),
            )
            if outcome.ok:
                messages.success(request, _("Saved."))
                return redirect("supervision:notice", pk=notice.pk)
            messages.error(request, outcome.refusal_label)
        status = 400
    inspects = has_capability(request.user, Cap.INSPECT)
    steps = [
        (step, EventKind(step).label)
        for step in services.STEPS
        if services.may_take(request.user, notice, step)
    ]
    log_action(request=request, action="supervision.notice.viewed", data={"notice": notice.pk})
    return render(
        request,
        "supervision/notice.html",
        {
            "notice": notice,
            "finding": notice.finding,
            "events": list(notice.events.select_related("actor")),
            # The evidence can name people (a roll call): the group's eyes only (R7.3).
            "evidence": list(evidence_of(notice.finding)) if inspects else [],
            "steps": steps,
            "needs_text": [str(s) for s in services.NEEDS_TEXT],
            "now": timezone.now(),
        },
        status=status,
    )


@requires(Cap.INSPECT, Cap.RECTIFY)
def notice_pdf(request, pk: int):
    notice = _visible_notice(request, pk)
    pdf = render_letter(ledger.letter_of(notice))
    log_action(
        request=request, action="supervision.notice.viewed", data={"notice": notice.pk, "pdf": True}
    )
    return pdf_response(
        pdf, filename=f"整改通知书-{notice.number}.pdf", ascii_filename=f"notice-{notice.pk}.pdf"
    )


# --- Periodic data checks (R7.2) ---------------------------------------------------------


def _check_units(request):
    """The plan's scope (?plan=), else the colleges and offices under the school."""
    plan = None
    if request.GET.get("plan") or request.POST.get("plan"):
        pk = request.GET.get("plan") or request.POST.get("plan")
        plan = selectors.plans_for(request.user).filter(pk=int(pk) if pk.isdigit() else 0).first()
        if plan is None:
            raise Http404
        return plan, list(plan.scope.all())
    school = _school(request.user)
    return None, list(OrgUnit.objects.filter(parent__parent=school).order_by("name"))


@requires(Cap.INSPECT)
def data_checks(request):
    from datetime import timedelta

    from campuscode.supervision import checks
    from campuscode.supervision.forms import PeriodForm

    plan, units = _check_units(request)
    today = timezone.localdate()
    params = request.POST if request.method == "POST" else request.GET
    form = PeriodForm(
        params if "first" in params else {"first": today - timedelta(days=6), "last": today}
    )
    if not form.is_valid():
        return render(request, "supervision/checks.html", {"form": form, "plan": plan}, status=400)
    first, last = form.cleaned_data["first"], form.cleaned_data["last"]
    if request.method == "POST":
        metric = request.POST.get("metric", "")
        target = request.POST.get("row", "")
        row = unit = None
        if metric in checks.METRICS:
            unit = next((u for u in units if str(u.pk) == target), None)
            row = checks.unit_row(unit, first, last, timezone.now()) if unit else None
        elif metric in checks.DEVICE_METRICS:
            row = next((r for r in checks.device_rows(units, first, last) if r.key == target), None)
            unit = OrgUnit.objects.get(pk=row.campus_id) if row else None
        if row is None:
            raise Http404
        finding = services.finding_from_check(
            actor=request.user,
            school=_school(request.user),
            plan=plan,
            unit=unit,
            metric=metric,
            row=row,
            first=first,
            last=last,
            client_ip=client_ip(request),
        )
        messages.success(request, _("The finding was recorded with the figures as evidence."))
        return redirect(f"{request.path}?{request.GET.urlencode()}#finding-{finding.pk}")
    rows = checks.unit_rows(units, first, last)
    devices = checks.device_rows(units, first, last)
    log_action(
        request=request,
        action="supervision.checks.viewed",
        data={"plan": plan.pk if plan else None, "first": str(first), "last": str(last)},
    )
    return render(
        request,
        "supervision/checks.html",
        {
            "form": form,
            "plan": plan,
            "rows": rows,
            "devices": devices,
            "first": first,
            "last": last,
            "query": request.GET.urlencode(),
        },
    )


# --- On-site point inspections (R7.4) -----------------------------------------------------


def _plan_or_404(request, pk):
    plan = selectors.plans_for(request.user).filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


def _points_of(plan):
    from campuscode.checkins.models import CheckinPoint
    from campuscode.gates.models import Gate

    schools = [plan.school]
    campuses = OrgUnit.objects.filter(
        kind=OrgUnit.Kind.CAMPUS, path__startswith=plan.school.path
    ).exclude(pk__in=[s.pk for s in schools])
    points = CheckinPoint.objects.filter(campus__in=campuses, active=True).order_by("name")
    gates = Gate.objects.filter(place__campus__in=campuses, revoked_at__isnull=True)
    return points, gates.select_related("place")


@requires(Cap.INSPECT)
def point_inspect(request, pk: int, kind: str, target: int):
    from campuscode.supervision.forms import PointInspectionForm
    from campuscode.supervision.models import DEFAULT_POINT_CHECKLIST

    plan = _plan_or_404(request, pk)
    points, gates = _points_of(plan)
    if kind not in ("point", "gate"):
        raise Http404
    place = (points if kind == "point" else gates).filter(pk=target).first()
    if place is None:
        raise Http404
    items = plan.checklist or [str(item) for item in DEFAULT_POINT_CHECKLIST]
    form = PointInspectionForm(request.POST or None, request.FILES or None, items=items)
    if request.method == "POST" and form.is_valid():
        inspection = services.record_point_inspection(
            actor=request.user,
            plan=plan,
            point=place if kind == "point" else None,
            gate=place if kind == "gate" else None,
            answers=form.answers(),
            photos=form.cleaned_data["photos"],
            client_ip=client_ip(request),
        )
        messages.success(request, _("The inspection was saved."))
        return redirect("supervision:inspection", pk=inspection.pk)
    return render(
        request,
        "supervision/point_inspect.html",
        {"plan": plan, "place": place, "form": form},
        status=400 if form.errors else 200,
    )


def _inspection_or_404(request, pk):
    from campuscode.supervision.models import PointInspection

    inspection = (
        PointInspection.objects.filter(pk=pk, plan__in=selectors.plans_for(request.user))
        .select_related("plan", "point", "gate", "entered_by")
        .first()
    )
    if inspection is None:
        raise Http404
    return inspection


@requires(Cap.INSPECT)
def inspection_detail(request, pk: int):
    inspection = _inspection_or_404(request, pk)
    if request.method == "POST":
        item = request.POST.get("item", "")
        outcome = services.finding_from_inspection(
            actor=request.user,
            inspection=inspection,
            item=int(item) if item.isdigit() else 10**6,
            client_ip=client_ip(request),
        )
        if outcome.ok:
            messages.success(request, _("The finding was recorded."))
            return redirect("supervision:inspection", pk=inspection.pk)
        messages.error(request, outcome.refusal_label)
    findings = {
        e.record_id.split(":")[1]
        for e in EvidenceItem.objects.filter(
            record_type="supervision.pointinspection", record_id__startswith=f"{inspection.pk}:"
        )
    }
    log_action(request=request, action="supervision.inspection.viewed", data={"inspection": pk})
    answers = [
        {**a, "n": n, "finding": str(n) in findings} for n, a in enumerate(inspection.answers)
    ]
    return render(
        request,
        "supervision/inspection.html",
        {"inspection": inspection, "answers": answers, "photos": list(inspection.photos.all())},
        status=400 if request.method == "POST" else 200,
    )


@requires(Cap.INSPECT)
def inspection_photo(request, pk: int):
    from campuscode.followup.attachments import attachment_response
    from campuscode.supervision.models import InspectionPhoto

    photo = InspectionPhoto.objects.filter(
        pk=pk, inspection__plan__in=selectors.plans_for(request.user)
    ).first()
    if photo is None:
        raise Http404
    log_action(request=request, action="supervision.inspection.viewed", data={"photo": pk})
    return attachment_response(photo.file)
