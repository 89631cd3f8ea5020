"""The words of the report notification (notify.texts points here)."""

from django.utils.translation import gettext as _

from campuscode.analytics.models import ReportPeriod


def report_text(data: dict) -> str:
    try:
        period = str(ReportPeriod(data.get("period")).label)
    except ValueError:
        period = ""
    when = data.get("first", "")
    if data.get("last") and data.get("last") != when:
        when = f"{when} – {data['last']}"
    text = _(
        "%(period)s health check-in report for %(unit)s, %(when)s: check-in rate "
        "%(rate)s, missed %(missed)s, excused %(excused)s, fever %(fever)s. The charts, "
        "tables and the spreadsheet are on the report page."
    ) % {
        "period": period,
        "unit": data.get("unit", ""),
        "when": when,
        "rate": data.get("rate", "—"),
        "missed": data.get("missed", "—"),
        "excused": data.get("excused", "—"),
        "fever": data.get("fever", "—"),
    }
    if data.get("link"):
        text += " " + _("Report page: %(link)s") % {"link": data["link"]}
    return text
