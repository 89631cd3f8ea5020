"""The person's side: my reports and cases, an advance report, a make-up, an isolation
health report; and a follow-up case page, shared by the person and the staff following it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campuscode.audit.services import log_action
from campuscode.checkins.services import Answers
from campuscode.core.net import client_ip
from campuscode.followup import cases, isolation, selectors, services
from campuscode.followup.attachments import attachment_response
from campuscode.followup.forms import (
    AdvanceReportForm,
    CaseStateForm,
    CloseCaseForm,
    IsolationReportForm,
    MakeupForm,
    ProgressForm,
    new_key,
)
from campuscode.followup.models import AdvanceReport, CaseEvent, FollowupCase
from campuscode.notify.selectors import recent_notices
from campuscode.people import access
from campuscode.people.access import Cap, covers
from campuscode.people.models import Person


def _person(request) -> Person | None:
    return Person.objects.select_related("org_unit", "school").filter(user=request.user).first()


@login_required
def mine(request):
    person = _person(request)
    context = {"person": person}
    if person is not None:
        now = timezone.now()
        context.update(selectors.my_items(person))
        current = isolation.current_isolation(person.pk)
        context["isolation"] = current
        if current is not None:
            context["iso_reports"] = list(current.reports.all()[:10])
            context["iso_due"] = isolation.reports_due_now(person, now=now)
            context["iso_form"] = IsolationReportForm()
        context["missed"] = services.missed_windows(person, now=now)
    context["notifications"] = [(n, n.text) for n in recent_notices(request.user)]
    return render(request, "followup/mine.html", context)


@login_required
def report_new(request):
    person = _person(request)
    if person is None:
        raise Http404
    initial = {"key": new_key(), "phone": person.phone}
    form = AdvanceReportForm(request.POST or None, request.FILES or None, initial=initial)
    outcome = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = services.file_advance_report(
            person=person,
            kind=data["kind"],
            first_day=data["first_day"],
            last_day=data["last_day"],
            periods=data["periods"],
            reason=data["reason"],
            destination=data["destination"],
            phone=data["phone"],
            attachment=data.get("attachment"),
            idempotency_key=data["key"],
            client_ip=client_ip(request),
        )
        if outcome.ok:
            messages.success(request, _("Your advance report was sent for approval."))
            return redirect("followup:mine")
    status = 400 if (form.errors or (outcome and not outcome.ok)) else 200
    return render(
        request, "followup/report_form.html", {"form": form, "outcome": outcome}, status=status
    )


@login_required
def makeup_new(request):
    person = _person(request)
    if person is None:
        raise Http404
    windows = services.missed_windows(person, now=timezone.now())
    initial = {"key": new_key()}
    if request.GET.get("window"):
        initial["window"] = request.GET["window"]
    form = MakeupForm(request.POST or None, windows=windows, initial=initial)
    outcome = None
    if request.method == "POST" and form.is_valid():
        day, period = form.cleaned_data["window"]
        answers: Answers = form.answers()
        outcome = services.request_makeup(
            person=person,
            day=day,
            period=period,
            answers=answers,
            reason=form.cleaned_data["reason"],
            idempotency_key=form.cleaned_data["key"],
            client_ip=client_ip(request),
        )
        if outcome.ok:
            messages.success(request, _("Your make-up check-in was sent for approval."))
            return redirect("followup:mine")
    status = 400 if (form.errors or (outcome and not outcome.ok)) else 200
    return render(
        request,
        "followup/makeup_form.html",
        {"form": form, "outcome": outcome, "windows": windows},
        status=status,
    )


@login_required
@require_POST
def withdraw(request, kind: str, pk: int):
    person = _person(request)
    if person is None or kind not in services.KINDS:
        raise Http404
    outcome = services.withdraw(kind=kind, pk=pk, person=person, client_ip=client_ip(request))
    if outcome.refusal == services.Refusal.NOT_ALLOWED:
        raise Http404
    return redirect("followup:mine")


@login_required
@require_POST
def report_back(request, pk: int):
    """销假: the person is back before the end of an approved absence."""
    person = _person(request)
    report = get_object_or_404(AdvanceReport, pk=pk, person__isnull=False)
    if person is None or report.person_id != person.pk:
        raise Http404
    outcome = services.report_back(report=report, user=request.user, client_ip=client_ip(request))
    if outcome.ok:
        messages.success(request, _("You reported back; your check-ins are expected again."))
    else:
        messages.error(request, outcome.refusal_label)
    return redirect("followup:mine")


@login_required
def report_attachment(request, pk: int):
    """The proof attached to an advance report: the person's own, or an approver's over
    the person; audited like a case photo, never a public URL."""
    report = get_object_or_404(
        AdvanceReport.objects.select_related("person__org_unit"), pk=pk, attachment__gt=""
    )
    own = report.person.user_id == request.user.pk
    if not (own or covers(request.user, Cap.APPROVE_REQUESTS, report.person)):
        raise Http404
    if not own:
        log_action(
            actor=request.user,
            client_ip=client_ip(request),
            action="followup.report_attachment.viewed",
            subject=report.person,
            data={"report": report.pk},
        )
    return attachment_response(report.attachment)


@login_required
@require_POST
def isolation_report(request):
    person = _person(request)
    if person is None:
        raise Http404
    form = IsolationReportForm(request.POST)
    if form.is_valid():
        outcome = isolation.submit_report(
            person=person,
            temperature=form.cleaned_data["temperature"],
            symptoms=form.cleaned_data["symptoms"],
            note=form.cleaned_data["note"],
            client_ip=client_ip(request),
        )
        if outcome.refusal:
            raise Http404
        messages.success(request, _("Your health report was sent."))
        return redirect("followup:mine")
    messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
    return redirect("followup:mine")


# --- A follow-up case ------------------------------------------------------------------


def _case_for(request, pk: int) -> tuple[FollowupCase, bool]:
    """The case if it is one's own or in the user's case scope (404 otherwise); audited."""
    case = get_object_or_404(
        FollowupCase.objects.select_related("person", "person__org_unit", "closed_by"), pk=pk
    )
    own = case.person.user_id == request.user.pk
    if not own and not covers(request.user, Cap.FOLLOW_CASES, case.person):
        raise Http404
    return case, own


@login_required
def case_detail(request, pk: int):
    case, own = _case_for(request, pk)
    progress_form = ProgressForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if progress_form.is_valid():
            outcome = cases.add_progress(
                case=case,
                user=request.user,
                text=progress_form.cleaned_data["text"],
                attachment=progress_form.cleaned_data.get("attachment"),
                idempotency_key=progress_form.cleaned_data["key"],
                client_ip=client_ip(request),
            )
            if outcome.ok:
                messages.success(request, _("Your report was added to the case."))
                return redirect("followup:case", pk=case.pk)
            messages.error(request, outcome.refusal_label)
    else:
        progress_form = ProgressForm(initial={"key": new_key()})
    if not own:
        log_action(
            request=request,
            action="followup.case.viewed",
            subject=case.person,
            data={"case": case.pk},
        )
    is_health = covers(request.user, Cap.MANAGE_HEALTH, case.person)
    return render(
        request,
        "followup/case.html",
        {
            "case": case,
            "own": own,
            "events": list(case.events.select_related("actor")),
            "progress_form": progress_form if case.is_open else None,
            "state_form": CaseStateForm(initial={"state": case.state})
            if not own and case.is_open
            else None,
            "close_form": CloseCaseForm() if is_health and case.is_open else None,
        },
        status=400 if progress_form.errors else 200,
    )


@login_required
@require_POST
def case_state(request, pk: int):
    case, own = _case_for(request, pk)
    if own:
        raise Http404
    form = CaseStateForm(request.POST)
    if form.is_valid():
        outcome = cases.set_state(
            case=case,
            user=request.user,
            state=form.cleaned_data["state"],
            note=form.cleaned_data["note"],
            client_ip=client_ip(request),
        )
        if not outcome.ok:
            messages.error(request, outcome.refusal_label)
    return redirect("followup:case", pk=case.pk)


@login_required
@require_POST
def case_close(request, pk: int):
    case, own = _case_for(request, pk)
    form = CloseCaseForm(request.POST)
    if own or not covers(request.user, Cap.MANAGE_HEALTH, case.person):
        raise Http404
    if form.is_valid():
        outcome = cases.close_case(
            case=case,
            user=request.user,
            note=form.cleaned_data["note"],
            client_ip=client_ip(request),
        )
        if outcome.ok:
            messages.success(request, _("The case was closed."))
        else:
            messages.error(request, outcome.refusal_label)
    else:
        messages.error(request, _("A closing note is required."))
    return redirect("followup:case", pk=case.pk)


@login_required
def attachment(request, pk: int):
    """A medical-note photo, only through the case's scope and audited (never a public URL):
    the person's own case, the uploader, or staff following up the person."""
    event = get_object_or_404(
        CaseEvent.objects.select_related("case__person__org_unit"), pk=pk, attachment__gt=""
    )
    person = event.case.person
    own = person.user_id == request.user.pk
    uploader = event.actor_id == request.user.pk
    if not (own or uploader or access.covers(request.user, access.Cap.FOLLOW_CASES, person)):
        raise Http404
    if not own:
        log_action(
            actor=request.user,
            client_ip=client_ip(request),
            action="followup.attachment.viewed",
            subject=person,
            data={"case": event.case_id, "event": event.pk},
        )
    return attachment_response(event.attachment)
