"""The reviewers' flags page (R1.2): every flag in the user's health scope with its
evidence in plain words, filterable, paged, exportable, each read audited."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from campuscode.audit.services import log_action
from campuscode.checkins import flag_list
from campuscode.core.paging import page_of
from campuscode.core.spreadsheets import Sheet, xlsx_response
from campuscode.people.access import Cap, requires


def _items(request, flt):
    if flt.reason == flag_list.TAMPERED:
        return flag_list.tampered_for(request.user, flt)
    return flag_list.flags_for(request.user, flt)


@requires(Cap.VIEW_HEALTH)
def flags(request):
    flt = flag_list.parse_filter(request.user, request.GET)
    page = page_of(request, _items(request, flt))
    rows = flag_list.rows_of(request.user, page.object_list)
    log_action(
        request=request,
        action="checkins.flags.viewed",
        data={
            **flt.audit_data(),
            "page": page.number,
            "count": page.paginator.count,
            "people": sorted({row.person.pk for row in rows}),
        },
    )
    return render(
        request,
        "checkins/flags.html",
        {
            "filter": flt,
            "page": page,
            "rows": rows,
            "reasons": flag_list.reasons(),
            "query": request.GET.urlencode(),
        },
        status=400 if flt.errors else 200,
    )


@requires(Cap.VIEW_HEALTH)
def flags_export(request):
    flt = flag_list.parse_filter(request.user, request.GET)
    rows = flag_list.rows_of(request.user, _items(request, flt))
    log_action(
        request=request,
        action="checkins.flags.exported",
        data={**flt.audit_data(), "people": sorted({row.person.pk for row in rows})},
    )
    headers = [
        _("Number"),
        _("Name"),
        _("Unit"),
        _("Date"),
        _("Reason"),
        _("Evidence"),
        _("Explained"),
        _("Explanation"),
    ]
    sheet = Sheet(
        _("Check-in flags"),
        headers,
        (
            [
                row.person.number,
                row.person.name,
                row.person.org_unit.label,
                str(row.checkin.day),
                row.label,
                "\n".join(row.evidence),
                _("Yes") if row.flag and row.flag.explained_at else _("No"),
                row.flag.explanation if row.flag else "",
            ]
            for row in rows
        ),
        text_columns=[0],
    )
    return xlsx_response(
        filename=_("Check-in flags %(first)s to %(last)s.xlsx")
        % {"first": flt.first, "last": flt.last},
        ascii_filename=f"checkin-flags-{flt.first}-{flt.last}.xlsx",
        sheets=[sheet],
    )
