"""The three lists and the ledger (问题清单, 责任清单, 整改清单, 台账) as XLSX, and the
printable notice."""

from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.casework.letters import Letter
from campuscode.core.spreadsheets import Sheet
from campuscode.supervision.selectors import responsibility


def _day(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def sheets(*, notices, findings=None) -> list[Sheet]:
    result = []
    if findings is not None:
        result.append(
            Sheet(
                _("Problems"),
                [
                    _("Recorded"),
                    _("Unit"),
                    _("Severity"),
                    _("Criterion"),
                    _("What was found"),
                    _("Applies to"),
                    _("Notice"),
                ],
                (
                    [
                        _day(f.created_at),
                        f.unit.name,
                        f.get_severity_display(),
                        f.criterion,
                        f.description,
                        f.applies_on.isoformat(),
                        getattr(getattr(f, "notice", None), "number", ""),
                    ]
                    for f in findings
                ),
            )
        )
    result.append(
        Sheet(
            _("Responsibility"),
            [_("Unit"), _("Notices"), _("Open"), _("Overdue"), _("Closed")],
            (
                [r["unit__name"], r["total"], r["open"], r["overdue"], r["closed"]]
                for r in responsibility(notices)
            ),
        )
    )
    result.append(
        Sheet(
            _("Rectification"),
            [
                _("Number"),
                _("Unit"),
                _("Criterion"),
                _("Issued"),
                _("Deadline"),
                _("State"),
                _("Closed"),
            ],
            (
                [
                    n.number,
                    n.unit.name,
                    n.finding.criterion,
                    _day(n.issued_at),
                    _day(n.deadline),
                    n.get_state_display(),
                    _day(n.closed_at),
                ]
                for n in notices.order_by("issued_at")
            ),
        )
    )
    result.append(
        Sheet(
            _("Ledger"),
            [_("Number"), _("Unit"), _("When"), _("Step"), _("By"), _("Details")],
            (
                [
                    n.number,
                    n.unit.name,
                    _day(e.at),
                    e.get_kind_display(),
                    e.actor.get_username() if e.actor else "",
                    e.text,
                ]
                for n in notices.order_by("issued_at").prefetch_related("events__actor")
                for e in n.events.all()
            ),
        )
    )
    return result


def letter_of(notice) -> Letter:
    finding = notice.finding
    deadline = timezone.localtime(notice.deadline)
    return Letter(
        heading=finding.school.name,
        title=_("Rectification notice"),
        number=notice.number,
        addressee=_("%(unit)s:") % {"unit": notice.unit.name},
        paragraphs=[
            _("On %(day)s the supervision group found the following (%(severity)s):")
            % {
                "day": finding.applies_on.strftime("%Y-%m-%d"),
                "severity": finding.get_severity_display(),
            },
            finding.description,
            _(
                "Please acknowledge this notice, rectify by %(deadline)s and report your plan, "
                "the actions taken and their evidence. If you cannot finish in time, ask for an "
                "extension with your reasons before the deadline."
            )
            % {"deadline": deadline.strftime("%Y-%m-%d %H:%M")},
        ],
        basis=_("Criterion: %(criterion)s") % {"criterion": finding.criterion},
        signature=_("Epidemic prevention supervision group"),
        date=timezone.localdate(notice.issued_at),
    )
