"""A case's evidence in plain words, for the case page."""

from datetime import date

from django.utils.translation import gettext as _

from campuscode.anomalies.models import AnomalyCase
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
    """The case's evidence as its detector words it (registry.py)."""
    from campuscode.anomalies.registry import get

    detector = get(case.kind)
    if detector is None:  # a kind whose app is no longer installed
        return []
    return detector.evidence(case)


def missed_lines(case: AnomalyCase) -> list[str]:
    days = (case.detail or {}).get("days", [])
    return [
        _("No check-in on %(n)s school days in a row: %(days)s.")
        % {"n": len(days), "days": _(", ").join(_day(d) for d in days)},
        _("Holidays, approved advance reports and isolation are already left out."),
    ]


def health_lines(case: AnomalyCase) -> list[str]:
    detail = case.detail or {}
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


def rate_lines(case: AnomalyCase) -> list[str]:
    detail = case.detail or {}
    missed = detail.get("missed", [])
    lines = [
        _(
            "Checked in %(done)s times of the %(due)s check-ins due from %(first)s to "
            "%(last)s: %(rate)s%%, below the school's %(threshold)s%%."
        )
        % {
            "done": detail.get("done"),
            "due": detail.get("due"),
            "first": _day(detail["from"]),
            "last": _day(detail["to"]),
            "rate": detail.get("rate"),
            "threshold": detail.get("threshold"),
        }
    ]
    if missed:
        shown = [f"{_day(day)} {_label(Period, period)}" for day, period in missed[:20]]
        more = len(missed) - len(shown)
        text = _(", ").join(shown)
        if more > 0:
            text += _(" and %(n)s more") % {"n": more}
        lines.append(_("Missed: %(windows)s.") % {"windows": text})
    lines.append(_("Holidays, approved advance reports and isolation are already left out."))
    return lines


def quality_lines(case: AnomalyCase) -> list[str]:
    detail = case.detail or {}
    signals = detail.get("signals", {})
    lines = []
    if s := signals.get("same_answers"):
        lines.append(
            _(
                "The same answers (%(t)s °C, no change in symptoms or contact) in %(same)s of "
                "%(n)s check-ins."
            )
            % {"t": s["temperature"], "same": s["same"], "n": s["n"]}
        )
    if s := signals.get("same_temperature"):
        lines.append(
            _("The same temperature, %(t)s °C, in %(same)s of %(n)s check-ins.")
            % {"t": s["temperature"], "same": s["same"], "n": s["n"]}
        )
    if s := signals.get("uniform_temperature"):
        lines.append(
            _(
                "Temperatures spread evenly between %(low)s and %(high)s °C over %(n)s "
                "check-ins, as random numbers are, not around a usual value."
            )
            % {"low": s["low"], "high": s["high"], "n": s["n"]}
        )
    if s := signals.get("same_second"):
        lines.append(
            _("%(days)s %(period)s check-ins were sent at the same second of the day, %(time)s.")
            % {"days": s["days"], "period": _label(Period, s["period"]), "time": s["time"]}
        )
    if s := signals.get("shared_phone"):
        lines.append(
            _("The phone used for these check-ins also checked in others: %(n)s people in all.")
            % {"n": s["people"]}
        )
    if s := signals.get("flagged"):
        lines.append(
            _(
                "%(n)s check-ins were flagged (another person's phone, or the form sent "
                "without opening the point's code) and not yet explained."
            )
            % {"n": s["checkins"]}
        )
    if detail.get("from"):
        lines.append(
            _("Looked at the check-ins from %(first)s to %(last)s.")
            % {"first": _day(detail["from"]), "last": _day(detail["to"])}
        )
    lines.append(_("A signal is a reason to ask, not proof: talk with the person before deciding."))
    return lines
