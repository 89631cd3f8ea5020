from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.audit.services import log_action
from campuscode.casework.evidence import evidence_of
from campuscode.casework.letters import pdf_response, render_letter
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
            "draw_form": draw_form if plan.kind == PlanKind.SPOT and not draw else None,
            "headcount_form": headcount_form if draw or plan.kind != PlanKind.SPOT else None,
            "headcounts": list(plan.headcounts.select_related("unit", "entered_by")),
            "findings": list(plan.findings.select_related("unit", "notice")),
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
