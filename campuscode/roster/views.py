from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from campuscode.core.paging import page_of
from campuscode.core.spreadsheets import XLSX_TYPE, content_disposition
from campuscode.people.access import Cap, has_capability
from campuscode.roster.forms import UploadForm
from campuscode.roster.models import FIELD_LABELS, ImportJob
from campuscode.roster.selectors import job_errors, jobs_visible_to
from campuscode.roster.services import discard_job, start_commit
from campuscode.roster.tasks import commit_import, validate_import
from campuscode.roster.template_file import template_workbook

ERRORS_PER_PAGE = 50


def _importer(request):
    if not has_capability(request.user, Cap.IMPORT_PEOPLE):
        raise PermissionDenied


def _job(request, pk) -> ImportJob:
    return get_object_or_404(jobs_visible_to(request.user), pk=pk)


@login_required
def upload(request):
    _importer(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        from campuscode.roster.services import create_job

        upload = form.cleaned_data["file"]
        job = create_job(
            school=form.chosen_school(), file_name=upload.name, source=upload, user=request.user
        )
        transaction.on_commit(lambda: validate_import.delay(job.pk))
        return redirect("roster:job", pk=job.pk)
    jobs = jobs_visible_to(request.user)[:30]
    return render(
        request,
        "roster/upload.html",
        {"form": form, "jobs": jobs, "columns": FIELD_LABELS},
        status=400 if form.errors else 200,
    )


@login_required
def template_download(request):
    _importer(request)
    response = HttpResponse(template_workbook(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition(
        _("Roster template") + ".xlsx", "roster-template.xlsx"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def job_detail(request, pk):
    _importer(request)
    job = _job(request, pk)
    page = page_of(request, job_errors(job), per_page=ERRORS_PER_PAGE)
    context = {"job": job, "page": page}
    if request.htmx and request.htmx.target == "errors":
        return render(request, "roster/_errors_panel.html", context)
    return render(request, "roster/job.html", context)


@login_required
def job_progress(request, pk):
    """The bar alone, polled every second; once the step ends the whole page reloads."""
    _importer(request)
    job = _job(request, pk)
    if not job.is_running and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "roster/_progress_panel.html", {"job": job})


@login_required
@require_POST
def commit(request, pk):
    _importer(request)
    job = _job(request, pk)
    refusal = start_commit(job=job, only_good_rows=request.POST.get("mode") == "good")
    if refusal:
        messages.error(request, refusal.label)
    else:
        transaction.on_commit(lambda: commit_import.delay(job.pk))
    return redirect("roster:job", pk=job.pk)


@login_required
@require_POST
def discard(request, pk):
    _importer(request)
    discard_job(job=_job(request, pk))
    return redirect("roster:upload")
