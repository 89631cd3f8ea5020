"""The words of the violation notifications (R8.2)."""

from django.utils.translation import gettext as _

from campuscode.violations.models import Outcome, Step, ViolationType, label_of


def opened_text(data: dict) -> str:
    return _("A violation case was opened about %(name)s (%(type)s). Please take it on.") % {
        "name": data.get("name", ""),
        "type": label_of(ViolationType, data.get("type", "")),
    }


def notice_text(data: dict) -> str:
    return _(
        "You are told the facts of a violation case and your rights. You may give your "
        "statement and a written self-review by %(due)s on your phone."
    ) % {"due": data.get("due", "")}


def decided_text(data: dict) -> str:
    return _("Your violation case was decided: %(step)s %(number)s. You may appeal.") % {
        "step": label_of(Step, data.get("step", "")),
        "number": data.get("number", ""),
    }


def appealed_text(data: dict) -> str:
    return _("%(name)s appealed against a decision. Please review it.") % {
        "name": data.get("name", "")
    }


def reviewed_text(data: dict) -> str:
    return _("Your appeal was reviewed: %(outcome)s %(number)s.") % {
        "outcome": label_of(Outcome, data.get("outcome", "")),
        "number": data.get("number", ""),
    }


def lifted_text(data: dict) -> str:
    return _("Your sanction (%(step)s) was lifted at the end of its term.") % {
        "step": label_of(Step, data.get("step", ""))
    }
