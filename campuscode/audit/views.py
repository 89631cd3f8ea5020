"""The audit log pages: read-only by construction (there is no route that writes an entry
other than the log's own "viewed"/"exported" lines), for Cap.VIEW_AUDIT holders.

A holder whose scope is a subtree sees entries about people in that subtree; entries about
no one (settings, imports) only someone whose scope is a whole school sees.
"""

import json
from datetime import datetime, time, timedelta

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from campuscode.audit.models import AuditEntry
from campuscode.audit.services import anchor_statuses, log_action
from campuscode.core.spreadsheets import Sheet, csv_response, xlsx_response
from campuscode.core.widgets import DateInput
from campuscode.people.access import Cap, is_school_wide, requires, scope_q

PAGE_SIZE = 50
EXPORT_LIMIT = 1_000_000  # an XLSX sheet holds 1,048,576 rows


class AuditFilterForm(forms.Form):
    who = forms.CharField(label=gettext_lazy("Who"), required=False, max_length=150)
    whom = forms.CharField(
        label=gettext_lazy("Whom (name or number)"), required=False, max_length=150
    )
    action = forms.CharField(
        label=gettext_lazy("Action"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "audit-actions", "autocomplete": "off"}),
    )
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())
    ip = forms.CharField(label=gettext_lazy("Address"), required=False, max_length=45)

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


def _described(filters: dict) -> dict:
    return {key: str(value) for key, value in filters.items()}


@never_cache
@requires(Cap.VIEW_AUDIT)
@require_GET
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    entries = filtered_entries(request.user, filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    # Read the page before logging the read, so the view's own entry isn't on it.
    page.object_list = list(page.object_list)
    # Reading the log shows who was looked at: that is itself a read worth recording.
    log_action(
        request=request,
        action="audit.log.viewed",
        data={"filters": _described(filters), "page": page.number},
    )
    for entry in page:
        entry.details = json.dumps(entry.data, ensure_ascii=False) if entry.data else ""
    query = request.GET.copy()
    query.pop("page", None)
    actions = (
        AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()[:200]
    )
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "actions": actions,
    }
    if not request.htmx:
        # The newest signed anchors of the chain's head, each checked against its row.
        context["anchors"] = anchor_statuses()
    template = "audit/list_panel.html" if request.htmx else "audit/list.html"
    return render(request, template, context)


@requires(Cap.VIEW_AUDIT)
@require_GET
def audit_export(request, fmt: str):
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    entries = filtered_entries(request.user, filters)[:EXPORT_LIMIT]
    log_action(
        request=request,
        action="audit.log.exported",
        data={"filters": _described(filters), "format": fmt},
    )
    headers = [_("Time"), _("Who"), _("Action"), _("Whom"), _("Address"), _("Details"), _("ID")]

    def rows():
        for entry in entries.iterator(chunk_size=2000):
            yield [
                timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
                entry.actor_label,
                entry.action,
                entry.subject_label,
                entry.ip or "",
                json.dumps(entry.data, ensure_ascii=False) if entry.data else "",
                entry.pk,
            ]

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
