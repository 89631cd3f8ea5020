"""The academic office's timetable page: the term calendar, the import with its preview
of bad rows, and the generation of the term's sessions (R2.4)."""

import io
import secrets

from django.contrib import messages
from django.core.cache import cache
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campuscode.attendance.forms import TermForm, UploadForm
from campuscode.attendance.models import Term
from campuscode.attendance.timetable import commit_timetable, generate_sessions, read_timetable
from campuscode.core.net import client_ip
from campuscode.people.access import Cap, requires, units_for

MAX_BYTES = 5 * 1024 * 1024
UPLOAD_SECONDS = 3600


def _school(user):
    units = units_for(user, Cap.MANAGE_TIMETABLE)
    return units[0].ancestors().first() if units else None


def _terms(user):
    school = _school(user)
    return Term.objects.filter(school=school) if school else Term.objects.none()


@requires(Cap.MANAGE_TIMETABLE)
def timetable(request):
    form = TermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        term = form.save(commit=False)
        term.school = _school(request.user)
        try:
            term.save()
        except IntegrityError:
            form.add_error("name", _("A term with this name exists already."))
        else:
            messages.success(request, _("The term was saved."))
            return redirect("attendance:timetable")
    terms = list(_terms(request.user))
    for term in terms:
        term.line_count = term.entries.count()
    return render(
        request,
        "attendance/timetable.html",
        {"form": form, "terms": terms, "upload": UploadForm()},
    )


@requires(Cap.MANAGE_TIMETABLE)
@require_POST
def timetable_upload(request, pk: int):
    term = get_object_or_404(_terms(request.user), pk=pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file."))
        return redirect("attendance:timetable")
    upload = form.cleaned_data["file"]
    if upload.size > MAX_BYTES:
        messages.error(request, _("The file is larger than 5 MB."))
        return redirect("attendance:timetable")
    data = upload.read()
    reading = read_timetable(io.BytesIO(data), term=term)
    key = secrets.token_urlsafe(16)
    cache.set(f"attendance.upload.{request.user.pk}.{key}", data, UPLOAD_SECONDS)
    return render(
        request,
        "attendance/timetable_preview.html",
        {"term": term, "reading": reading, "key": key, "name": upload.name},
    )


@requires(Cap.MANAGE_TIMETABLE)
@require_POST
def timetable_commit(request, pk: int):
    term = get_object_or_404(_terms(request.user), pk=pk)
    data = cache.get(f"attendance.upload.{request.user.pk}.{request.POST.get('key', '')}")
    if data is None:
        messages.error(request, _("The upload has expired. Upload the file again."))
        return redirect("attendance:timetable")
    reading = read_timetable(io.BytesIO(data), term=term)
    if reading.unreadable or reading.missing_headers or not reading.good:
        messages.error(request, _("Nothing to import."))
        return redirect("attendance:timetable")
    result = commit_timetable(
        reading=reading, term=term, actor=request.user, client_ip=client_ip(request)
    )
    messages.success(
        request,
        _(
            "Timetable imported: %(created)s new lines, %(updated)s updated, %(removed)s removed, %(bad)s rows left out."
        )
        % result,
    )
    return redirect("attendance:timetable")


@requires(Cap.MANAGE_TIMETABLE)
@require_POST
def timetable_generate(request, pk: int):
    term = get_object_or_404(_terms(request.user), pk=pk)
    counts = generate_sessions(term=term, actor=request.user, client_ip=client_ip(request))
    messages.success(
        request,
        _(
            "Sessions: %(created)s new, %(updated)s moved, %(cancelled)s cancelled, %(unchanged)s unchanged."
        )
        % counts,
    )
    return redirect("attendance:timetable")
