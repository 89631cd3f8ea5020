"""Thin views: parse, check, call one service, shape the page. Every read is audited."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.audit.services import log_action
from campuscode.casework.letters import pdf_response
from campuscode.core.net import client_ip
from campuscode.core.paging import page_of
from campuscode.people.access import Cap, has_capability, requires
from campuscode.people.models import Person
from campuscode.violations import ladder, selectors, services, sources
from campuscode.violations.forms import (
    AppealForm,
    DecideForm,
    ExtendForm,
    FilterForm,
    ReportForm,
    ReviewForm,
    StatementForm,
)
from campuscode.violations.letters import pdf_for
from campuscode.violations.models import EventKind, Source, State, ViolationCase


@requires(Cap.VIEW_VIOLATIONS)
def case_list(request):
    return _list(request, selectors.visible_cases(request.user), appeals=False)


@requires(Cap.REVIEW_APPEALS)
def appeals(request):
    """The appeals committee's work: cases under appeal, or reviewed, in its scope."""
    return _list(request, selectors.appealed_cases(request.user), appeals=True)


def _list(request, cases, *, appeals: bool):
    form = FilterForm(request.GET or None)
    vtype = state = ""
    if form.is_valid():
        vtype, state = form.cleaned_data["vtype"], form.cleaned_data["state"]
    if vtype:
        cases = cases.filter(vtype=vtype)
    if state == "":
        cases = cases.exclude(state=State.CLOSED)
    elif state != "all":
        cases = cases.filter(state=state)
    page = page_of(request, cases.order_by("-opened_at", "-pk"))
    rows = list(page.object_list)
    log_action(
        request=request,
        action="violations.list.viewed",
        data={
            "filters": {"type": vtype, "state": state, "appeals": appeals},
            "page": page.number,
            "count": page.paginator.count,
            "people": sorted({c.person_id for c in rows}),
        },
    )
    return render(
        request,
        "violations/list.html",
        {"form": form, "page": page, "rows": rows, "appeals": appeals},
    )


@login_required
def mine(request):
    rows = list(selectors.own_cases(request.user))
    return render(request, "violations/mine.html", {"rows": rows})


def _case_or_404(user, pk) -> ViolationCase:
    case = selectors.visible_cases(user).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


STEP_FORMS = {
    "notice": None,
    "statement": StatementForm,
    "decide": DecideForm,
    "appeal": AppealForm,
    "extend": ExtendForm,
    "review": ReviewForm,
}


def _act(request, case, do: str, form):
    """Run the step `do` with the form's data; a Result."""
    ip = client_ip(request)
    actor = request.user
    if do == "notice":
        return services.send_notice(case=case, actor=actor, client_ip=ip)
    data = form.cleaned_data
    if do == "statement":
        return services.give_statement(case=case, actor=actor, client_ip=ip, **data)
    if do == "decide":
        return services.decide(case=case, actor=actor, client_ip=ip, **data)
    if do == "appeal":
        return services.appeal(case=case, actor=actor, client_ip=ip, text=data["text"])
    if do == "extend":
        return services.extend_review(case=case, actor=actor, client_ip=ip, reason=data["reason"])
    return services.review(case=case, actor=actor, client_ip=ip, **data)


@login_required
def case_detail(request, pk):
    case = _case_or_404(request.user, pk)
    bound: dict = {}
    status = 200
    if request.method == "POST":
        do = request.POST.get("do", "")
        if do not in STEP_FORMS:
            raise PermissionDenied
        form_class = STEP_FORMS[do]
        form = form_class(request.POST) if form_class else None
        if form is None or form.is_valid():
            result = _act(request, case, do, form)
            if result.ok:
                messages.success(request, _("Saved."))
                return redirect("violations:case", pk=case.pk)
            messages.error(request, result.refusal_label)
        else:
            messages.error(request, _("Please correct the fields marked below."))
        bound[do] = form
        status = 400
        case.refresh_from_db()
    log_action(
        request=request,
        action="violations.case.viewed",
        subject=case.person,
        data={"case": case.pk},
    )
    return render(request, "violations/case.html", _context(request, case, bound), status=status)


def _context(request, case: ViolationCase, bound: dict) -> dict:
    user, now = request.user, timezone.now()
    is_person = services.is_the_person(user, case)
    decider = services.may_decide(user, case)
    reviewer = services.may_review(user, case) and not is_person
    events = list(case.events.select_related("actor"))
    decisions = list(case.decisions.select_related("decided_by"))
    forms: dict = {}
    if is_person and case.state == State.NOTIFIED and now <= case.statement_due:
        forms["statement"] = bound.get("statement") or StatementForm()
    if is_person and case.state == State.DECIDED and now <= case.appeal_due:
        forms["appeal"] = bound.get("appeal") or AppealForm()
    proposal = None
    if decider and case.state == State.OPEN:
        forms["notice"] = True
    if decider and case.state == State.NOTIFIED:
        proposal = ladder.propose(case, now=now)
        from campuscode.core.rules import get_setting

        forms["decide"] = bound.get("decide") or DecideForm(
            initial={
                "step": proposal.step,
                "suspend_on_appeal": get_setting("violation_suspend_on_appeal", case.school_id),
            }
        )
        forms["decide_ready"] = now > case.statement_due or services.has_answered(case)
    if reviewer and case.state == State.APPEALED:
        forms["review"] = bound.get("review") or ReviewForm()
        if not case.review_extended:
            forms["extend"] = bound.get("extend") or ExtendForm()
    return {
        "case": case,
        "is_person": is_person,
        "staff": not is_person,
        "events": events,
        "decisions": decisions,
        "evidence": selectors.evidence(case),
        "forms": forms,
        "proposal": proposal,
        "decider_label": services.step_label,
        "STATE": State,
        "EVENT": EventKind,
    }


@login_required
def letter(request, pk):
    case = _case_or_404(request.user, pk)
    decisions = list(case.decisions.exclude(number=""))
    wanted = request.GET.get("decision")
    decision = next((d for d in decisions if str(d.pk) == wanted), None) if wanted else None
    decision = decision or (decisions[-1] if decisions else None)
    if decision is None:
        raise Http404
    log_action(
        request=request,
        action="violations.letter.downloaded",
        subject=case.person,
        data={"case": case.pk, "number": decision.number},
    )
    return pdf_response(
        pdf_for(decision), filename=f"{decision.number}.pdf", ascii_filename="decision.pdf"
    )


@requires(Cap.REPORT_VIOLATIONS)
def report(request):
    """Report a violation from evidence: ?source=anomaly|flag|gate|gate_alert|report&ref=id.
    Only evidence the reporter may see, about a person in their reach, can start a case."""
    source = request.GET.get("source", Source.REPORT)
    ref = request.GET.get("ref", "")
    form = ReportForm(request.POST or None)
    person = None
    number = (request.POST.get("number") or request.GET.get("number") or "").strip()
    if number:
        person = Person.objects.filter(number=number).select_related("org_unit").first()
    found = sources.find(request.user, source=source, ref=ref, person=person)
    if found is None and source != Source.REPORT:
        raise Http404
    needs_number = source in (Source.REPORT, Source.GATE_ALERT, Source.FINDING) and (
        found is None or found.person is None or source == Source.REPORT
    )
    if request.method == "POST" and form.is_valid():
        if found is None or found.person is None:
            form.add_error("number", _("Nobody with this number is in your reach."))
        else:
            result = services.open_case(
                actor=request.user,
                found=found,
                vtype=form.cleaned_data["vtype"],
                facts=form.cleaned_data["facts"],
                client_ip=client_ip(request),
            )
            if result.ok:
                messages.success(request, _("The case was opened and the deciding office told."))
                if selectors.visible_cases(request.user).filter(pk=result.case.pk).exists():
                    return redirect("violations:case", pk=result.case.pk)
                return redirect("core:home")
            messages.error(request, result.refusal_label)
    elif request.method == "GET" and found is not None:
        form = ReportForm(initial={"vtype": found.vtype})
    if found is not None and found.person is not None:
        log_action(
            request=request,
            action="violations.report.viewed",
            subject=found.person,
            data={"source": source, "ref": found.ref},
        )
    return render(
        request,
        "violations/report.html",
        {
            "form": form,
            "found": found,
            "source": source,
            "ref": ref,
            "needs_number": needs_number,
            "source_label": dict(Source.choices).get(source, ""),
        },
        status=400 if request.method == "POST" else 200,
    )


@requires(Cap.VIOLATION_STATS)
def consistency(request):
    data = selectors.consistency(request.user)
    log_action(
        request=request, action="violations.consistency.viewed", data={"count": data["total"]}
    )
    from campuscode.violations.models import ViolationType

    rows = [
        (label, [data["by_type"][value][s] for s in data["steps"]], data["deviations"][value])
        for value, label in ViolationType.choices
    ]
    units = [(name, [counts[s] for s in data["steps"]]) for name, counts in data["by_unit"].items()]
    return render(
        request,
        "violations/consistency.html",
        {"data": data, "type_rows": rows, "unit_rows": units, "has_perm": has_capability},
    )
