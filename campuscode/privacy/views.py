"""Pages of the privacy app: my data (and its downloads, and requests about it), the
office's queue of those requests, and the processing register."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campuscode.audit.services import log_action
from campuscode.core.net import client_ip
from campuscode.core.paging import page_of
from campuscode.people.access import Cap, requires
from campuscode.people.models import Person
from campuscode.privacy import exports, register, selectors, services
from campuscode.privacy.forms import DataRequestForm, HandleForm, new_key
from campuscode.privacy.models import DataRequest


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def my_data(request):
    person = Person.objects.filter(user=request.user).first()
    form = DataRequestForm(request.POST or None, initial={"key": new_key()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            outcome = services.file_request(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                reason=form.cleaned_data["reason"],
                idempotency_key=form.cleaned_data["key"],
                client_ip=client_ip(request),
            )
            if outcome.ok:
                messages.success(
                    request,
                    _("Your request was sent. The responsible office will answer it here."),
                )
                return redirect("privacy:my_data")
            messages.error(request, outcome.reason_label)
        status = 400
    context = {
        "person": person,
        "sections": selectors.my_data(request.user),
        "form": form,
        "can_request": person is not None,
    }
    return render(request, "privacy/my_data.html", context, status=status)


@login_required
@require_GET
def my_data_download(request, fmt: str):
    person = Person.objects.filter(user=request.user).first()
    sections = selectors.my_data(request.user, limit=None)
    # A download of everything is worth a line even when it is one's own: it is how a
    # taken-over account would be emptied.
    log_action(
        request=request,
        action="privacy.my_data.exported",
        subject=person,
        data={"format": fmt, "rows": {s.key: s.count for s in sections}},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = _("my-data-%(stamp)s.%(format)s") % {"stamp": stamp, "format": fmt}
    if fmt == "json":
        label = str(person) if person else request.user.get_username()
        return exports.my_data_json(sections, filename=filename, person_label=label)
    return exports.my_data_xlsx(sections, filename=filename)


def _queue_context(request, *, forms=None):
    visible = selectors.requests_for(request.user)
    # Each list pages on its own; the counts are the pagers' (the whole scope).
    pending_page = page_of(request, visible.filter(state=DataRequest.State.PENDING))
    handled_page = page_of(
        request, visible.exclude(state=DataRequest.State.PENDING), param="answered"
    )
    pending, handled = list(pending_page.object_list), list(handled_page.object_list)
    forms = forms or {}
    for item in pending:
        item.form = forms.get(item.pk) or HandleForm(prefix=f"r{item.pk}")
    return {
        "pending": pending,
        "handled": handled,
        "pending_page": pending_page,
        "handled_page": handled_page,
    }


def _audit_queue(request, context) -> None:
    people = sorted({r.person_id for r in [*context["pending"], *context["handled"]]})
    log_action(request=request, action="privacy.requests.viewed", data={"people": people})


@never_cache
@requires(Cap.EDIT_PEOPLE)
@require_GET
def request_queue(request):
    context = _queue_context(request)
    _audit_queue(request, context)
    return render(request, "privacy/requests.html", context)


@requires(Cap.EDIT_PEOPLE)
@require_POST
def handle_request(request, pk: int):
    form = HandleForm(request.POST, prefix=f"r{pk}")
    if form.is_valid():
        outcome = services.handle_request(
            actor=request.user,
            pk=pk,
            state=form.cleaned_data["state"],
            response=form.cleaned_data["response"],
            client_ip=client_ip(request),
        )
        if outcome.ok:
            messages.success(request, _("The answer was recorded; the person can read it now."))
            return redirect("privacy:requests")
        status = 403 if outcome.reason == services.Refusal.NOT_ALLOWED else 409
        messages.error(request, outcome.reason_label)
    else:
        status = 400
    context = _queue_context(request, forms={pk: form})
    _audit_queue(request, context)
    return render(request, "privacy/requests.html", context, status=status)


@never_cache
@requires(Cap.VIEW_AUDIT, Cap.MANAGE_SETTINGS)
@require_GET
def processing_register(request):
    return render(
        request,
        "privacy/register.html",
        {"columns": register.register_columns(), "rows": register.register_rows()},
    )


@requires(Cap.VIEW_AUDIT, Cap.MANAGE_SETTINGS)
@require_GET
def processing_register_xlsx(request):
    columns = register.register_columns()
    rows = register.register_rows()
    log_action(request=request, action="privacy.register.exported")
    stamp = timezone.localtime().strftime("%Y%m%d")
    return exports.xlsx_response(
        filename=_("processing-register-%(stamp)s.xlsx") % {"stamp": stamp},
        sheets=[
            (
                _("Processing register"),
                [label for _key, label in columns],
                ([row[key] for key, _label in columns] for row in rows),
            )
        ],
    )
