"""The backup status page (system admin only): last backup, off-site copy, last verified
restore, RPO now, history, and a running job's progress (polled by htmx)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from campuscode.audit.actions import AuditAction
from campuscode.audit.services import log_action
from campuscode.backups import selectors
from campuscode.backups.runs import request_run
from campuscode.core.net import client_ip
from campuscode.core.paging import page_of
from campuscode.people.access import Cap, requires


@requires(Cap.MANAGE_BACKUPS)
def status(request):
    state = selectors.status()
    backups = page_of(request, selectors.backup_history(), per_page=20, param="backups")
    checks = page_of(request, selectors.verification_history(), per_page=10, param="checks")
    log_action(
        request=request,
        action=AuditAction.BACKUP_STATUS_VIEWED,
        data={"page": backups.number},
    )
    return render(
        request, "backups/status.html", {"status": state, "backups": backups, "checks": checks}
    )


@requires(Cap.MANAGE_BACKUPS)
def progress(request):
    """The running jobs' panel alone, polled every 2 s; when they end the page reloads."""
    runs = selectors.active_runs()
    if not runs and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "backups/_progress_panel.html", {"runs": runs})


@requires(Cap.MANAGE_BACKUPS)
@require_POST
def run(request):
    kind = request.POST.get("kind", "")
    _record, refusal = request_run(kind=kind, actor=request.user, client_ip=client_ip(request))
    if refusal:
        messages.error(request, refusal)
    elif kind == "verify":
        messages.success(request, _("The verified restore is queued; its progress shows below."))
    else:
        messages.success(request, _("The backup is queued; its progress shows below."))
    return redirect("backups:status")
