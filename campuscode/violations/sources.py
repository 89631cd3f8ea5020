"""Where a case's evidence comes from (R8: a case starts from evidence, never by itself).

Each source finds, for the reporting user and within their scope, the person concerned,
the type of violation it suggests, and the records to freeze. A source the reporter may
not see is answered as missing (None), like any id out of scope."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.core.rules import get_setting
from campuscode.people.access import Cap, covers
from campuscode.people.models import Person
from campuscode.violations.models import Source, ViolationType


@dataclass
class Found:
    """What a source gives a new case."""

    source: str
    ref: str
    person: Person | None
    vtype: str
    summary: list[str]
    # (record, label, applies_on): frozen when the case opens.
    records: list[tuple[Model, str, date]] = field(default_factory=list)


def _in_reach(user, person) -> bool:
    return person is not None and covers(user, Cap.REPORT_VIOLATIONS, person)


def from_anomaly(user, pk) -> Found | None:
    from campuscode.anomalies.models import AnomalyCase, AnomalyKind

    case = (
        AnomalyCase.objects.visible_to(user, Cap.VIEW_HEALTH)
        .select_related("person__org_unit")
        .filter(pk=pk)
        .first()
    )
    if case is None or not _in_reach(user, case.person):
        return None
    missed = case.kind == AnomalyKind.MISSED_CHECKINS
    records = [(case, _("Anomaly case"), case.first_day)]
    records += [(e, _("Step of the anomaly case"), case.last_day) for e in case.events.all()]
    return Found(
        source=Source.ANOMALY,
        ref=f"anomalies.anomalycase:{case.pk}",
        person=case.person,
        vtype=ViolationType.MISSED if missed else ViolationType.FALSE,
        summary=[
            _("Anomaly case: %(kind)s, %(first)s – %(last)s.")
            % {"kind": case.kind_label, "first": case.first_day, "last": case.last_day}
        ],
        records=records,
    )


# Honesty flags that point at someone else's hand on the check-in (R8.1(3)); the rest at
# a check-in that was not what it claimed (R8.1(2)).
BORROWED_FLAGS = {"shared_device", "address_burst", "not_scanned"}


def from_flag(user, pk) -> Found | None:
    from campuscode.checkins.models import Flag

    flag = (
        Flag.objects.visible_to(user, Cap.VIEW_HEALTH)
        .select_related("checkin__person__org_unit", "checkin__point")
        .filter(pk=pk)
        .first()
    )
    if flag is None or not _in_reach(user, flag.checkin.person):
        return None
    checkin = flag.checkin
    return Found(
        source=Source.FLAG,
        ref=f"checkins.flag:{flag.pk}",
        person=checkin.person,
        vtype=ViolationType.BORROWED if flag.reason in BORROWED_FLAGS else ViolationType.FALSE,
        summary=[
            _("Check-in of %(day)s at %(point)s: %(reason)s.")
            % {"day": checkin.day, "point": checkin.point, "reason": flag.get_reason_display()}
        ],
        records=[
            (checkin, _("The check-in"), checkin.day),
            (flag, _("Its honesty flag"), checkin.day),
        ],
    )


# Refusals that say a code was shown where its holder could not be (R8.1(3)).
PATTERN_REASONS = ("passback", "impossible_travel", "duplicate", "bad_signature")


def from_gate(user, person_pk) -> Found | None:
    """The person's gate refusals of the last days (a setting) that suggest a copied or
    borrowed code."""
    from campuscode.gates.models import GateEvent

    person = Person.objects.select_related("org_unit").filter(pk=person_pk).first()
    if not _in_reach(user, person):
        return None
    days = get_setting("violation_gate_lookback_days", person.school_id)
    events = list(
        GateEvent.objects.visible_to(user, Cap.VIEW_GATES)
        .filter(
            person=person,
            allowed=False,
            reason__in=PATTERN_REASONS,
            at__gte=timezone.now() - timedelta(days=days),
        )
        .select_related("gate", "place")
        .order_by("at")
    )
    if not events:
        return None
    return Found(
        source=Source.GATE,
        ref=f"people.person:{person.pk}",
        person=person,
        vtype=ViolationType.BORROWED,
        summary=[
            _("%(time)s %(place)s: refused, %(reason)s.")
            % {
                "time": timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M"),
                "place": e.place.name,
                "reason": e.get_reason_display(),
            }
            for e in events
        ],
        records=[(e, _("Gate refusal"), timezone.localdate(e.at)) for e in events],
    )


def from_gate_alert(user, pk, person: Person | None) -> Found | None:
    """A gate alert: a copied code names its person; for tampering the reporter names who
    did it (`person`)."""
    from campuscode.gates.models import GateAlert, GateEvent
    from campuscode.people.access import has_capability

    if not has_capability(user, Cap.VIEW_GATES):
        return None
    alert = GateAlert.objects.select_related("gate__place").filter(pk=pk).first()
    if alert is None or alert.kind == GateAlert.Kind.SILENT:
        return None
    records = [(alert, _("Gate alert"), timezone.localdate(alert.raised_at))]
    if alert.kind == GateAlert.Kind.TRAVEL:
        event = GateEvent.objects.filter(pk=(alert.detail or {}).get("event")).first()
        person = event.person if event is not None else None
        if event is not None:
            records.append((event, _("Gate refusal"), timezone.localdate(event.at)))
    travel = alert.kind == GateAlert.Kind.TRAVEL
    return Found(
        source=Source.GATE_ALERT,
        ref=f"gates.gatealert:{alert.pk}",
        # Tampering names nobody by itself: the reporter gives the number (asked for on the
        # form while this is None).
        person=person if _in_reach(user, person) else None,
        vtype=ViolationType.BORROWED if travel else ViolationType.DEVICE,
        summary=[
            _("%(time)s %(gate)s: %(kind)s.")
            % {
                "time": timezone.localtime(alert.raised_at).strftime("%Y-%m-%d %H:%M"),
                "gate": alert.gate,
                "kind": alert.get_kind_display(),
            }
        ],
        records=records,
    )


def from_finding(user, pk, person: Person | None) -> Found | None:
    """A supervision finding (R7.5): the inspectors name the person responsible, or the
    reporter does; the finding and the evidence frozen with it are copied again."""
    from campuscode.casework.evidence import evidence_of
    from campuscode.supervision.models import Finding

    finding = Finding.objects.visible_to(user, Cap.INSPECT).filter(pk=pk).first()
    if finding is None:
        return None
    if person is None and finding.responsible_id:
        person = Person.objects.select_related("org_unit").filter(user=finding.responsible).first()
    records = [(finding, _("Supervision finding"), finding.applies_on)]
    records += [
        (item, item.label or _("Evidence"), item.applies_on) for item in evidence_of(finding)
    ]
    return Found(
        source=Source.FINDING,
        ref=f"supervision.finding:{finding.pk}",
        person=person if _in_reach(user, person) else None,
        vtype=ViolationType.OTHER,
        summary=[
            _("%(day)s %(criterion)s: %(what)s")
            % {
                "day": finding.applies_on,
                "criterion": finding.criterion,
                "what": finding.description,
            }
        ],
        records=records,
    )


def from_report(user, person: Person | None) -> Found | None:
    """A staff member's own account of what they saw; the account itself is the evidence."""
    if not _in_reach(user, person):
        return None
    return Found(
        source=Source.REPORT,
        ref="",
        person=person,
        vtype=ViolationType.OTHER,
        summary=[],
    )


def find(user, *, source: str, ref: str, person: Person | None = None) -> Found | None:
    """The evidence `source` gives for `ref` (an id), seen by `user`; None if there is
    none the user may use."""
    try:
        if source == Source.ANOMALY:
            return from_anomaly(user, int(ref))
        if source == Source.FLAG:
            return from_flag(user, int(ref))
        if source == Source.GATE:
            return from_gate(user, int(ref))
        if source == Source.GATE_ALERT:
            return from_gate_alert(user, int(ref), person)
        if source == Source.FINDING:
            return from_finding(user, int(ref), person)
    except (TypeError, ValueError):
        return None
    if source == Source.REPORT:
        return from_report(user, person)
    return None
