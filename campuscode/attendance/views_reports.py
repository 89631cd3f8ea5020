"""Reading attendance: the student's own record and 补签, the requests queue, the reports
per course, class and student, and their export (R2.4, R6.3)."""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campuscode.attendance import engine
from campuscode.attendance.forms import DecideForm, MakeupForm, ReportForm
from campuscode.attendance.models import Course, Mark, MarkRequest, Session, Status
from campuscode.attendance.selectors import marks_of, sessions_viewable, summaries
from campuscode.attendance.services import ServiceRefused, decide_request, file_makeup, may_decide
from campuscode.audit.services import log_action
from campuscode.core.net import client_ip
from campuscode.core.rules import get_setting
from campuscode.core.spreadsheets import Sheet, stamp, xlsx_response
from campuscode.people.access import Cap, get_visible_person, has_capability, requires, scope_q
from campuscode.people.access import units_under as _units_under
from campuscode.people.models import OrgUnit, Person


def _me(request) -> Person | None:
    return Person.objects.filter(user=request.user).select_related("org_unit").first()


def mine(request):
    """The student's own record on the phone, with a 补签 button where it still may."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    person = _me(request)
    rows, summary = [], None
    if person is not None:
        rows = list(marks_of(person)[:100])
        days = get_setting("attendance_makeup_days", person.school_id)
        now = timezone.now()
        pending = set(
            MarkRequest.objects.filter(person=person, state="pending").values_list(
                "session_id", flat=True
            )
        )
        for mark in rows:
            mark.may_ask = (
                mark.status in (Status.ABSENT,)
                and now <= mark.session.ends_at + timedelta(days=days)
                and mark.session_id not in pending
            )
            mark.pending = mark.session_id in pending
        sessions = Session.objects.filter(marks__person=person).distinct()
        summary = summaries(sessions, Person.objects.filter(pk=person.pk))[0]
    return render(request, "attendance/mine.html", {"rows": rows, "summary": summary})


def makeup(request, pk: int):
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    person = _me(request)
    session = get_object_or_404(Session, pk=pk)
    if person is None or not engine.is_expected(session, person):
        raise Http404
    form = MakeupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            file_makeup(
                session=session,
                person=person,
                actor=request.user,
                client_ip=client_ip(request),
                **form.cleaned_data,
            )
        except ServiceRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Your request was sent to the teacher."))
            return redirect("attendance:mine")
    return render(request, "attendance/makeup.html", {"form": form, "session": session})


@requires(Cap.TAKE_ATTENDANCE, Cap.APPROVE_ATTENDANCE)
def requests_queue(request):
    """Requests the user decides: 补签 of their sessions, late corrections in their scope."""
    pending = MarkRequest.objects.filter(state="pending").select_related(
        "session", "person", "person__org_unit", "requested_by"
    )
    q = Q(kind=MarkRequest.Kind.MAKEUP, session__owner=request.user)
    if has_capability(request.user, Cap.APPROVE_ATTENDANCE):
        q |= Q(kind=MarkRequest.Kind.LATE_CORRECTION) & scope_q(
            request.user, Cap.APPROVE_ATTENDANCE, unit="person__org_unit", kind="person__kind"
        )
    rows = [r for r in pending.filter(q).order_by("created_at") if may_decide(request.user, r)]
    log_action(
        request=request,
        action="attendance.report.viewed",
        data={"page": "requests", "people": sorted({r.person_id for r in rows})},
    )
    return render(request, "attendance/requests.html", {"rows": rows, "form": DecideForm()})


@require_POST
def decide(request, pk: int):
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    item = get_object_or_404(MarkRequest, pk=pk)
    if not may_decide(request.user, item):
        raise Http404
    form = DecideForm(request.POST)
    if form.is_valid():
        try:
            decide_request(
                request=item,
                actor=request.user,
                client_ip=client_ip(request),
                approve=form.cleaned_data["approve"],
                note=form.cleaned_data["note"],
            )
        except (ServiceRefused, engine.MarkRefused) as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Decided."))
    return redirect(request.POST.get("next") or reverse("attendance:requests"))


# --- reports -----------------------------------------------------------------------------------


def _report(request, *, own: bool):
    """The sessions and people of the report form's choice, inside the reader's scope;
    `own`: a teacher's report, over the sessions they run only."""
    user = request.user
    viewable = Session.objects.filter(owner=user) if own else sessions_viewable(user)
    viewable = viewable.filter(cancelled_at__isnull=True, kind=Session.Kind.CLASS)
    courses = Course.objects.filter(sessions__in=viewable).distinct()
    units = OrgUnit.objects.filter(kind=OrgUnit.Kind.CLASS).filter(
        Q(pk__in=viewable.values("unit")) | Q(pk__in=_units_under(user, Cap.VIEW_ATTENDANCE))
    )
    form = ReportForm(request.GET or None, courses=courses, units=units)
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    first = data.get("first") or today - timedelta(days=30)
    last = data.get("last") or today
    zone = timezone.get_current_timezone()
    chosen = viewable.filter(
        starts_at__gte=datetime.combine(first, time.min, zone),
        starts_at__lt=datetime.combine(last + timedelta(days=1), time.min, zone),
    )
    if data.get("course"):
        chosen = chosen.filter(course=data["course"])
    if data.get("unit"):
        unit = data["unit"]
        chosen = chosen.filter(Q(unit=unit) | Q(extra_units=unit)).distinct()
    chosen = list(chosen.select_related("unit").prefetch_related("extra_units"))
    owned = [s for s in chosen if s.owner_id == user.pk]
    q = Q(pk__in=[]) if own else scope_q(user, Cap.VIEW_ATTENDANCE)
    for session in owned:  # a teacher reads everyone on their own sessions' lists
        q |= Q(pk__in=engine.expected_people(session).values("pk"))
    people = Person.objects.filter(q, kind=Person.Kind.STUDENT)
    if data.get("unit"):
        people = people.filter(org_unit__path__startswith=data["unit"].path)
    in_sessions = Q(pk__in=[])
    for session in chosen:
        for u in engine.session_units(session):
            in_sessions |= Q(org_unit__path__startswith=u.path)
    people = people.filter(in_sessions).order_by("org_unit__path", "number")
    return form, chosen, people, first, last


@requires(Cap.VIEW_ATTENDANCE)
def reports(request):
    return _reports(request, own=False)


@requires(Cap.TAKE_ATTENDANCE)
def my_reports(request):
    """A teacher's report: the courses and classes of the sessions they run."""
    return _reports(request, own=True)


@requires(Cap.VIEW_ATTENDANCE)
def reports_export(request):
    return _export(request, own=False)


@requires(Cap.TAKE_ATTENDANCE)
def my_reports_export(request):
    return _export(request, own=True)


def _reports(request, *, own: bool):
    form, chosen, people, first, last = _report(request, own=own)
    rows = summaries(chosen, people)
    threshold = get_setting("attendance_warning_rate")
    log_action(
        request=request,
        action="attendance.report.viewed",
        data={
            "filters": {k: str(v) for k, v in request.GET.items() if k in form.fields},
            "people": [r.person.pk for r in rows],
            "rows": len(rows),
        },
    )
    return render(
        request,
        "attendance/reports.html",
        {
            "form": form,
            "rows": rows,
            "sessions": chosen,
            "first": first,
            "last": last,
            "threshold": threshold,
            "query": request.GET.urlencode(),
            "perms_view": has_capability(request.user, Cap.VIEW_ATTENDANCE),
            "export_url": reverse(
                "attendance:my_reports_export" if own else "attendance:reports_export"
            ),
            "own": own,
        },
    )


def _export(request, *, own: bool):
    """Every mark of the report with its times and how it was captured, and the summary."""
    _form, chosen, people, _first, _last = _report(request, own=own)
    rows = summaries(chosen, people)
    ids = {r.person.pk for r in rows}
    marks = {
        (m.session_id, m.person_id): m
        for m in Mark.objects.current()
        .filter(session__in=chosen, person_id__in=ids, direction="in")
        .select_related("recorded_by")
    }
    detail = []
    now = timezone.now()
    for session in sorted(chosen, key=lambda s: s.starts_at):
        expected = engine.expected_people(session).filter(pk__in=ids)
        for person in expected:
            mark = marks.get((session.pk, person.pk))
            status = (
                mark.status_label
                if mark
                else (_("Absent (unmarked)") if session.ends_at <= now else _("Not marked yet"))
            )
            detail.append(
                [
                    timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M"),
                    session.title,
                    session.place,
                    person.number,
                    person.name,
                    status,
                    timezone.localtime(mark.happened_at).strftime("%H:%M:%S") if mark else "",
                    mark.get_method_display() if mark else "",
                    timezone.localtime(mark.recorded_at).strftime("%Y-%m-%d %H:%M:%S")
                    if mark
                    else "",
                    (mark.recorded_by.get_username() if mark and mark.recorded_by else ""),
                    mark.reason if mark else "",
                ]
            )
    summary_rows = [
        [
            r.person.number,
            r.person.name,
            r.person.org_unit.name,
            r.sessions,
            r.counts["present"],
            r.counts["late"],
            r.counts["left_early"],
            r.absent,
            r.counts["excused"],
            "" if r.rate is None else f"{r.rate}%",
        ]
        for r in rows
    ]
    log_action(
        request=request,
        action="attendance.report.exported",
        data={"people": sorted(ids), "rows": len(detail)},
    )
    return xlsx_response(
        filename=f"考勤_{stamp()}.xlsx",
        ascii_filename=f"attendance_{stamp()}.xlsx",
        sheets=[
            Sheet(
                title=_("Summary"),
                headers=[
                    _("Number"),
                    _("Name"),
                    _("Class"),
                    _("Sessions"),
                    _("Present"),
                    _("Late"),
                    _("Left early"),
                    _("Absent (unmarked included)"),
                    _("Excused"),
                    _("Attendance rate"),
                ],
                rows=summary_rows,
                text_columns=[0],
            ),
            Sheet(
                title=_("Marks"),
                headers=[
                    _("Session time"),
                    _("Course"),
                    _("Room"),
                    _("Number"),
                    _("Name"),
                    _("Status"),
                    _("Signed in at"),
                    _("Captured by"),
                    _("Recorded at"),
                    _("Recorded by"),
                    _("Reason"),
                ],
                rows=detail,
                text_columns=[3],
            ),
        ],
    )


@requires(Cap.VIEW_ATTENDANCE)
def student(request, pk: int):
    person = get_visible_person(
        actor=request.user,
        pk=pk,
        capability=Cap.VIEW_ATTENDANCE,
        action="attendance.student.viewed",
        client_ip=client_ip(request),
    )
    rows = list(marks_of(person)[:200])
    sessions = Session.objects.filter(marks__person=person).distinct()
    summary = summaries(sessions, Person.objects.filter(pk=person.pk))[0]
    return render(
        request, "attendance/student.html", {"person": person, "rows": rows, "summary": summary}
    )
