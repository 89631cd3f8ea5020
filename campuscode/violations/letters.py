"""The printable decision letter (处分决定书) and review decision (复查决定书): facts,
the person's statement heard, the decision and its reasons, the basis, and the appeal
path with its deadline (R8.2)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from campuscode.casework.letters import Letter, render_letter
from campuscode.core.rules import get_setting
from campuscode.violations.models import TERM_SETTING, Decision, EventKind, Outcome, Step


def _date(value) -> str:
    day = timezone.localdate(value) if hasattr(value, "hour") else value
    return f"{day.year}年{day.month}月{day.day}日"


def letter_for(decision: Decision) -> Letter:
    case = decision.case
    person = case.person
    school = case.school_id
    heard = case.events.filter(
        kind__in=[EventKind.STATEMENT, EventKind.SELF_REVIEW], at__lte=decision.decided_at
    ).exists()
    with override("zh-hans"):
        paragraphs = [
            _("%(name)s, %(number)s, %(unit)s:")
            % {"name": person.name, "number": person.number, "unit": person.org_unit.label},
            _("Facts: %(facts)s") % {"facts": case.facts},
            _("You were told of these facts and of your rights on %(date)s.")
            % {"date": _date(case.notified_at)}
            + " "
            + (
                _("Your statement and self-review were heard.")
                if heard
                else _("You gave no statement within the time allowed.")
            ),
        ]
        if decision.kind == Decision.Kind.REVIEW:
            paragraphs.append(
                _("On your appeal, the %(body)s decided: %(outcome)s.")
                % {
                    "body": get_setting("violation_appeals_body", school),
                    "outcome": Outcome(decision.outcome).label,
                }
            )
        paragraphs.append(_("Decision: %(step)s.") % {"step": Step(decision.step).label})
        if decision.step in TERM_SETTING and decision.term_months:
            paragraphs.append(
                _(
                    "The sanction runs for %(months)s months and is lifted when the term ends "
                    "unless another violation is decided in it."
                )
                % {"months": decision.term_months}
            )
        if decision.fine_yuan:
            paragraphs.append(_("Fine: %(yuan)s yuan.") % {"yuan": decision.fine_yuan})
        if decision.epidemic_referral:
            paragraphs.append(
                _("The case is referred to the competent authority for epidemic-control risk.")
            )
        paragraphs.append(_("Reasons: %(reasons)s") % {"reasons": decision.reasons})
        if decision.kind == Decision.Kind.FIRST and case.appeal_due:
            paragraphs.append(
                _(
                    "If you disagree, you may appeal in writing to the %(body)s by %(date)s "
                    "(within %(days)s days), on the campus code site under “My violation "
                    "cases”. %(suspend)s"
                )
                % {
                    "body": get_setting("violation_appeals_body", school),
                    "date": _date(case.appeal_due),
                    "days": get_setting("violation_appeal_days", school),
                    "suspend": _("The sanction is suspended while the appeal is reviewed.")
                    if decision.suspend_on_appeal
                    else "",
                }
            )
        else:
            paragraphs.append(_("This review decision is final within the school."))
        return Letter(
            title=_("Decision on a disciplinary sanction")
            if decision.kind == Decision.Kind.FIRST
            else _("Decision on an appeal"),
            number=decision.number,
            addressee="",
            paragraphs=paragraphs,
            basis=_("Basis: %(basis)s") % {"basis": decision.basis},
            signature=get_setting("violation_deciding_office", school)
            if decision.kind == Decision.Kind.FIRST
            else get_setting("violation_appeals_body", school),
            date=timezone.localdate(decision.decided_at),
            heading=case.school.name,
        )


def pdf_for(decision: Decision) -> bytes:
    return render_letter(letter_for(decision))
