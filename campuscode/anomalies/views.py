from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campuscode.anomalies import services
from campuscode.anomalies.evidence import evidence_lines
from campuscode.anomalies.forms import FilterForm, StepForm
from campuscode.anomalies.models import AnomalyCase, AnomalyState
from campuscode.audit.services import log_action
from campuscode.core.net import client_ip
from campuscode.core.paging import page_of
from campuscode.people.access import Cap, requires


def visible_cases(user):
    return AnomalyCase.objects.visible_to(user, Cap.VIEW_HEALTH).select_related(
        "person", "person__org_unit"
    )


@requires(Cap.VIEW_HEALTH)
def case_list(request):
    form = FilterForm(request.GET or None)
    cases = visible_cases(request.user)
    kind = state = ""
    if form.is_valid():
        kind, state = form.cleaned_data["kind"], form.cleaned_data["state"]
    if kind:
        cases = cases.filter(kind=kind)
    if state == "":
        cases = cases.open()
    elif state != "all":
        cases = cases.filter(state=state)
    page = page_of(request, cases.order_by("deadline", "pk"))
    rows = list(page.object_list)
    log_action(
        request=request,
        action="anomalies.list.viewed",
        data={
            "kind": kind,
            "state": state,
            "page": page.number,
            "count": page.paginator.count,
            "people": sorted({c.person_id for c in rows}),
        },
    )
    return render(
        request,
        "anomalies/list.html",
        {"form": form, "page": page, "rows": rows, "now": timezone.now()},
    )


# What each step asks of the person taking it.
STEP_HELP = {
    AnomalyState.ASSIGNED: gettext_lazy("Take the case: you will find out what happened."),
    AnomalyState.VERIFIED: gettext_lazy(
        "Ask the person (and whoever knows) and record the reason you found."
    ),
    AnomalyState.HANDLED: gettext_lazy(
        "Record what was done. A follow-up case hands the person to the health office; a "
        "referral needs a note saying to whom."
    ),
    AnomalyState.CLOSED: gettext_lazy(
        "Close the case when nothing more is needed. A case never counts as a violation by "
        "itself: if one is called for, record it separately."
    ),
}


@requires(Cap.VIEW_HEALTH)
def case_detail(request, pk: int):
    case = visible_cases(request.user).filter(pk=pk).first()
    if case is None:
        raise Http404
    may_act = services.may_act(request.user, case)
    step = case.next_state
    form = StepForm(request.POST or None, step=step) if may_act and step else None
    if request.method == "POST":
        if form is None:
            messages.error(request, services.Refusal.NOT_YOURS.label)
            return redirect("anomalies:case", pk=case.pk)
        if form.is_valid():
            outcome = services.advance(
                case=case,
                actor=request.user,
                to_state=form.cleaned_data["to_state"],
                reason=form.cleaned_data.get("reason", ""),
                action=form.cleaned_data.get("action", ""),
                note=form.cleaned_data["note"],
                client_ip=client_ip(request),
            )
            if outcome.ok:
                messages.success(request, _("The case was moved on."))
                return redirect("anomalies:case", pk=case.pk)
            messages.error(request, outcome.refusal_label)
        status = 400
    else:
        status = 200
        if form is not None:
            form.initial["to_state"] = step
    log_action(
        request=request,
        action="anomalies.case.viewed",
        subject=case.person,
        data={"case": case.pk},
    )
    return render(
        request,
        "anomalies/case.html",
        {
            "case": case,
            "evidence": evidence_lines(case),
            "events": list(case.events.select_related("actor")),
            "assignees": list(case.assigned_to.all()),
            "form": form,
            "step_label": AnomalyState(step).label if step else "",
            "step_help": STEP_HELP.get(step, "") if step else "",
            "overdue": case.overdue(timezone.now()),
        },
        status=status,
    )
