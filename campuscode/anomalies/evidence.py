"""A case's evidence in plain words, for the case page."""

from datetime import date

from django.utils.translation import gettext as _

from campuscode.anomalies.models import AnomalyCase, AnomalyKind
from campuscode.checkins.models import Contact, Period, Symptom


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _day(text: str) -> str:
    day = date.fromisoformat(text)
    return _("%(month)s/%(day)s") % {"month": day.month, "day": day.day}


def evidence_lines(case: AnomalyCase) -> list[str]:
    detail = case.detail or {}
    if case.kind == AnomalyKind.MISSED_CHECKINS:
        days = detail.get("days", [])
        return [
            _("No check-in on %(n)s school days in a row: %(days)s.")
            % {"n": len(days), "days": _(", ").join(_day(d) for d in days)},
            _("Holidays, approved advance reports and isolation are already left out."),
        ]
    lines = []
    for entry in detail.get("checkins", []):
        parts = []
        if "fever" in entry.get("reasons", []):
            parts.append(_("temperature %(t)s °C") % {"t": entry.get("temperature")})
        if entry.get("symptoms"):
            parts.append(
                _("symptoms: %(s)s")
                % {"s": _(", ").join(_label(Symptom, s) for s in entry["symptoms"])}
            )
        if entry.get("contact"):
            parts.append(_label(Contact, entry["contact"]))
        lines.append(
            _("%(day)s %(period)s check-in: %(what)s.")
            % {
                "day": _day(entry["day"]),
                "period": _label(Period, entry.get("period", "")),
                "what": _(", ").join(parts),
            }
        )
    return lines
