"""The audit log pages: read-only by construction (there is no route that writes an entry
other than the log's own "viewed"/"exported" lines), for Cap.VIEW_AUDIT holders.

A holder whose scope is a subtree sees entries about people in that subtree; entries about
no one (settings, imports) only someone whose scope is a whole school sees.
"""

import json
from datetime import datetime, time, timedelta

from django import forms
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from campuscode.audit.actions import (
    AuditAction,
    action_label,
    filters_text,
    grouped_choices,
    rows_count,
)
from campuscode.audit.models import AuditEntry
from campuscode.audit.services import anchor_statuses, log_action
from campuscode.core.paging import page_of
from campuscode.core.spreadsheets import Sheet, csv_response, xlsx_response
from campuscode.core.widgets import DateInput
from campuscode.people.access import Cap, is_school_wide, requires, scope_q
from campuscode.people.models import Person, RoleAssignment, mask_phone

PAGE_SIZE = 50
EXPORT_LIMIT = 1_000_000  # an XLSX sheet holds 1,048,576 rows


class AuditFilterForm(forms.Form):
    who = forms.CharField(label=gettext_lazy("Who"), required=False, max_length=150)
    whom = forms.CharField(
        label=gettext_lazy("Whom (name or number)"), required=False, max_length=150
    )
    # Readable names grouped by area; an area's prefix ("people.") lists all its actions.
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False, choices=())
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())
    ip = forms.CharField(label=gettext_lazy("Address"), required=False, max_length=45)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *grouped_choices()]

    def filters(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {key: value for key, value in data.items() if value}


def entries_visible_to(user) -> QuerySet[AuditEntry]:
    q = scope_q(user, Cap.VIEW_AUDIT, unit="subject__org_unit", kind="subject__kind")
    if is_school_wide(user, Cap.VIEW_AUDIT):
        q |= Q(subject__isnull=True)
    return AuditEntry.objects.filter(q)


def filtered_entries(user, filters: dict) -> QuerySet[AuditEntry]:
    entries = entries_visible_to(user)
    if who := filters.get("who"):
        entries = entries.filter(actor_label__icontains=who)
    if whom := filters.get("whom"):
        entries = entries.filter(subject_label__icontains=whom)
    if action := filters.get("action"):
        # "people." lists every people action; a full name matches just that one.
        entries = entries.filter(action__startswith=action)
    if start := filters.get("start"):
        entries = entries.filter(at__gte=timezone.make_aware(datetime.combine(start, time.min)))
    if end := filters.get("end"):
        next_day = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
        entries = entries.filter(at__lt=next_day)
    if ip := filters.get("ip"):
        entries = entries.filter(ip__startswith=ip)
    return entries.order_by("-pk")


def mask_number(number: str) -> str:
    """2025****01 for a student number, T1***5 for a short staff number."""
    if len(number) <= 3:
        return number[:1] + "*" * (len(number) - 1)
    keep = 4 if len(number) >= 8 else 2
    return number[:keep] + "*" * (len(number) - keep - 2) + number[-2:]


def make_readable(entries) -> list[AuditEntry]:
    """Give each entry the reader's columns: who (name, roles), what (the action's
    label), whom (name and masked number or phone), the filters and the rows shown.
    Two queries for the whole page, whatever its size."""
    entries = list(entries)
    actor_ids = {e.actor_id for e in entries if e.actor_id}
    names = dict(Person.objects.filter(user_id__in=actor_ids).values_list("user_id", "name"))
    roles: dict[int, list[str]] = {}
    for assignment in RoleAssignment.objects.filter(user_id__in=actor_ids).order_by("pk"):
        label = str(assignment.get_role_display())
        if label not in roles.setdefault(assignment.user_id, []):
            roles[assignment.user_id].append(label)
    for entry in entries:
        entry.action_label = action_label(entry.action)
        entry.actor_name = names.get(entry.actor_id) or entry.actor_label
        entry.actor_roles = "、".join(roles.get(entry.actor_id, []))
        entry.actor_text = (
            f"{entry.actor_name}（{entry.actor_roles}）" if entry.actor_roles else entry.actor_name
        )
        subject = entry.subject
        if subject is not None:
            entry.subject_text = f"{subject.name}，{mask_number(subject.number)}"
            if subject.phone:
                entry.subject_text += f"，{mask_phone(subject.phone)}"
        else:
            entry.subject_text = ""
        entry.filters_text = filters_text(entry.data)
        entry.rows = rows_count(entry.data)
    return entries


def _described(filters: dict) -> dict:
    return {key: str(value) for key, value in filters.items()}


@never_cache
@requires(Cap.VIEW_AUDIT)
@require_GET
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    entries = filtered_entries(request.user, filters)
    page = page_of(request, entries.select_related("subject"), per_page=PAGE_SIZE)
    # Read the page before logging the read, so the view's own entry isn't on it.
    page.object_list = make_readable(page.object_list)
    # Reading the log shows who was looked at: that is itself a read worth recording.
    log_action(
        request=request,
        action=AuditAction.AUDIT_LOG_VIEWED,
        data={"filters": _described(filters), "page": page.number, "rows": len(page)},
    )
    context = {"form": form, "page": page}
    if not request.htmx:
        # The newest signed anchors of the chain's head, each checked against its row.
        context["anchors"] = anchor_statuses()
    template = "audit/list_panel.html" if request.htmx else "audit/list.html"
    return render(request, template, context)


def _export_rows(batch):
    for entry in make_readable(batch):
        yield [
            timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
            entry.actor_name,
            entry.actor_roles,
            entry.action_label,
            entry.subject_text,
            entry.filters_text,
            "" if entry.rows is None else entry.rows,
            entry.ip or "",
            entry.pk,
            entry.action,
            json.dumps(entry.data, ensure_ascii=False) if entry.data else "",
        ]


@never_cache
@requires(Cap.VIEW_AUDIT)
@require_GET
def audit_entry(request, pk: int):
    """One entry in full, for the auditor: the readable line and the raw data it holds."""
    entry = get_object_or_404(entries_visible_to(request.user).select_related("subject"), pk=pk)
    (entry,) = make_readable([entry])
    log_action(
        request=request,
        action=AuditAction.AUDIT_ENTRY_VIEWED,
        subject=entry.subject,
        data={"entry": entry.pk},
    )
    raw = json.dumps(entry.data, ensure_ascii=False, indent=2, sort_keys=True)
    return render(request, "audit/entry.html", {"entry": entry, "raw": raw})


@requires(Cap.VIEW_AUDIT)
@require_GET
def audit_export(request, fmt: str):
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    entries = filtered_entries(request.user, filters)[:EXPORT_LIMIT]
    log_action(
        request=request,
        action=AuditAction.AUDIT_LOG_EXPORTED,
        data={"filters": _described(filters), "format": fmt},
    )
    headers = [
        _("Time"),
        _("Who"),
        _("Role"),
        _("Action"),
        _("Whom"),
        _("Filters"),
        _("Rows"),
        _("Address"),
        _("Entry number"),
        _("Action code"),
        _("Recorded data"),
    ]

    def rows():
        batch = []
        for entry in entries.select_related("subject").iterator(chunk_size=2000):
            batch.append(entry)
            if len(batch) == 2000:
                yield from _export_rows(batch)
                batch = []
        yield from _export_rows(batch)

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    title = _("Audit log")
    if fmt == "csv":
        return csv_response(
            filename=f"{title}-{stamp}.csv",
            ascii_filename=f"audit-{stamp}.csv",
            headers=headers,
            rows=rows(),
        )
    return xlsx_response(
        filename=f"{title}-{stamp}.xlsx",
        ascii_filename=f"audit-{stamp}.xlsx",
        sheets=[Sheet(title, headers, rows())],
    )
