"""Reads of the privacy app: everything held about one person (the "my data" page and its
downloads), and the requests an office may answer.

`my_data()` is the one description of a person's data: the page shows each section's
count and newest rows, the XLSX and JSON downloads write every row of the same sections.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from campuscode.audit.models import AuditEntry
from campuscode.checkins.models import Checkin, ManualStatus, Period, Symptom, Via
from campuscode.codes.tokens import Colour
from campuscode.followup.models import (
    AdvanceReport,
    CaseEvent,
    Decision,
    FollowupCase,
    Isolation,
    IsolationReport,
    MakeupRequest,
)
from campuscode.gates.models import Direction, GateEvent
from campuscode.gates.models import Reason as GateReason
from campuscode.people.access import Cap
from campuscode.people.models import Person, Role, RoleAssignment
from campuscode.privacy.models import DataRequest

RECENT = 5


@dataclass
class Section:
    key: str
    title: str
    columns: list[tuple[str, str]]  # (key, label)
    rows: list[dict] = field(default_factory=list)
    count: int = 0
    note: str = ""

    @property
    def labels(self) -> list[str]:
        return [label for _key, label in self.columns]

    @property
    def table(self) -> list[list[tuple[str, str]]]:
        """Rows as (label, value) pairs, for a table whose cells are labelled on a phone."""
        return [[(label, row.get(key, "")) for key, label in self.columns] for row in self.rows]

    def values(self) -> list[list]:
        return [[row.get(key, "") for key, _label in self.columns] for row in self.rows]


def _when(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def _symptoms(codes) -> str:
    return "、".join(_label(Symptom, code) for code in codes or [])


def _yes(value) -> str:
    return _("Yes") if value else _("No")


def _section(key, title, columns, qs: QuerySet, row: Callable, limit: int | None, note=""):
    items = qs if limit is None else qs[:limit]
    return Section(
        key=key,
        title=title,
        columns=columns,
        rows=[row(item) for item in items],
        count=qs.count(),
        note=note,
    )


def my_data(user, *, limit: int | None = RECENT) -> list[Section]:
    """Every kind of record held about the signed-in account and its person; each section
    with its total and its rows (the newest `limit`, or all when `limit` is None)."""
    person = Person.objects.filter(user=user).select_related("org_unit", "school").first()
    sections = [_account(user), _roles(user)]
    if person is None:
        return sections
    sections.insert(0, _registry(person))
    sections += [
        _section(
            "checkins",
            _("Health check-ins"),
            [
                ("at", _("Time")),
                ("day", _("Date")),
                ("period", _("Window")),
                ("temperature", _("Temperature (°C)")),
                ("symptoms", _("Symptoms")),
                ("symptom_detail", _("Symptom details")),
                ("contact", _("Contact history")),
                ("contact_at", _("Contact time")),
                ("contact_place", _("Contact place")),
                ("contact_manner", _("Manner of contact")),
                ("colour", _("Status")),
                ("via", _("Reached by")),
                ("point", _("Check-in point")),
                ("device", _("Device")),
                ("ip", _("Address")),
                ("flags", _("Doubts noted")),
                ("superseded", _("Corrected later")),
            ],
            Checkin.objects.filter(person=person)
            .select_related("point__campus")
            .prefetch_related("flags")
            .order_by("-at", "-pk"),
            lambda c: {
                "at": _when(c.at),
                "day": _when(c.day),
                "period": _label(Period, c.period),
                "temperature": str(c.temperature),
                "symptoms": _symptoms(c.symptoms),
                "symptom_detail": c.symptom_detail,
                "contact": c.get_contact_display(),
                "contact_at": _when(c.contact_at),
                "contact_place": c.contact_place,
                "contact_manner": c.contact_manner,
                "colour": _label(Colour, c.colour),
                "via": _label(Via, c.via),
                "point": str(c.point) if c.point else "",
                "device": c.device,
                "ip": c.ip or "",
                "flags": "；".join(f.get_reason_display() for f in c.flags.all()),
                "superseded": _yes(c.superseded_at),
            },
            limit,
        ),
        _section(
            "manual_statuses",
            _("Health status set by the health office"),
            [
                ("set_at", _("Set at")),
                ("colour", _("Status")),
                ("reason", _("Reason")),
                ("cleared_at", _("Cleared at")),
            ],
            ManualStatus.objects.filter(person=person).order_by("-set_at"),
            lambda m: {
                "set_at": _when(m.set_at),
                "colour": _label(Colour, m.colour),
                "reason": m.reason,
                "cleared_at": _when(m.cleared_at),
            },
            limit,
        ),
        _section(
            "advance_reports",
            _("Advance reports"),
            [
                ("created_at", _("Filed at")),
                ("first_day", _("First day")),
                ("last_day", _("Last day")),
                ("periods", _("Windows")),
                ("reason", _("Reason")),
                ("state", _("State")),
                ("decided_at", _("Decided at")),
                ("note", _("Note")),
            ],
            AdvanceReport.objects.filter(person=person).order_by("-created_at"),
            lambda r: {
                "created_at": _when(r.created_at),
                "first_day": _when(r.first_day),
                "last_day": _when(r.last_day),
                "periods": "、".join(r.period_labels),
                "reason": r.reason,
                "state": _label(Decision, r.state),
                "decided_at": _when(r.decided_at),
                "note": r.decision_note,
            },
            limit,
        ),
        _section(
            "makeups",
            _("Make-up check-ins"),
            [
                ("submitted_at", _("Sent at")),
                ("day", _("Date")),
                ("period", _("Window")),
                ("temperature", _("Temperature (°C)")),
                ("symptoms", _("Symptoms")),
                ("contact", _("Contact history")),
                ("reason", _("Reason")),
                ("state", _("State")),
                ("decided_at", _("Decided at")),
                ("note", _("Note")),
            ],
            MakeupRequest.objects.filter(person=person).order_by("-submitted_at"),
            lambda m: {
                "submitted_at": _when(m.submitted_at),
                "day": _when(m.day),
                "period": _label(Period, m.period),
                "temperature": str(m.temperature),
                "symptoms": _symptoms(m.symptoms),
                "contact": m.get_contact_display(),
                "reason": m.reason,
                "state": _label(Decision, m.state),
                "decided_at": _when(m.decided_at),
                "note": m.decision_note,
            },
            limit,
        ),
        _section(
            "cases",
            _("Follow-up cases"),
            [
                ("opened_at", _("Opened at")),
                ("trigger", _("Opened because of")),
                ("state", _("State")),
                ("closed_at", _("Closed at")),
                ("close_note", _("Closing note")),
            ],
            FollowupCase.objects.filter(person=person).order_by("-opened_at"),
            lambda c: {
                "opened_at": _when(c.opened_at),
                "trigger": c.get_trigger_display(),
                "state": c.get_state_display(),
                "closed_at": _when(c.closed_at),
                "close_note": c.close_note,
            },
            limit,
        ),
        _section(
            "case_events",
            _("Follow-up case steps"),
            [
                ("at", _("Time")),
                ("case", _("Case opened at")),
                ("kind", _("Step")),
                ("text", _("Text")),
                ("attachment", _("Photo attached")),
            ],
            CaseEvent.objects.filter(case__person=person)
            .select_related("case")
            .order_by("-at", "-pk"),
            lambda e: {
                "at": _when(e.at),
                "case": _when(e.case.opened_at),
                "kind": e.get_kind_display(),
                "text": e.text,
                "attachment": _yes(e.attachment),
            },
            limit,
        ),
        _section(
            "isolations",
            _("Isolation and observation"),
            [
                ("kind", _("Kind")),
                ("place", _("Place")),
                ("reason", _("Reason")),
                ("starts_on", _("First day")),
                ("ends_on", _("Planned last day")),
                ("ended_at", _("Ended at")),
                ("end_note", _("Note at the end")),
            ],
            Isolation.objects.filter(person=person).order_by("-starts_on", "-pk"),
            lambda i: {
                "kind": i.get_kind_display(),
                "place": i.place,
                "reason": i.reason,
                "starts_on": _when(i.starts_on),
                "ends_on": _when(i.ends_on),
                "ended_at": _when(i.ended_at),
                "end_note": i.end_note,
            },
            limit,
        ),
        _section(
            "isolation_reports",
            _("Health reports during isolation"),
            [
                ("at", _("Sent at")),
                ("day", _("Date")),
                ("temperature", _("Temperature (°C)")),
                ("symptoms", _("Symptoms")),
                ("note", _("How you were feeling")),
            ],
            IsolationReport.objects.filter(isolation__person=person).order_by("-at", "-pk"),
            lambda r: {
                "at": _when(r.at),
                "day": _when(r.day),
                "temperature": str(r.temperature),
                "symptoms": _symptoms(r.symptoms),
                "note": r.note,
            },
            limit,
        ),
        _section(
            "gate_events",
            _("Entries and exits"),
            [
                ("at", _("Time")),
                ("place", _("Place")),
                ("direction", _("Direction")),
                ("allowed", _("Allowed")),
                ("reason", _("Reason")),
            ],
            GateEvent.objects.filter(person=person)
            .select_related("place__campus")
            .order_by("-at", "-pk"),
            lambda e: {
                "at": _when(e.at),
                "place": str(e.place),
                "direction": _label(Direction, e.direction),
                "allowed": _yes(e.allowed),
                "reason": _label(GateReason, e.reason),
            },
            limit,
        ),
        _section(
            "requests",
            _("Your requests about your data"),
            [
                ("created_at", _("Filed at")),
                ("kind", _("Request")),
                ("text", _("What should change")),
                ("reason", _("Why")),
                ("state", _("State")),
                ("handled_at", _("Answered at")),
                ("response", _("Answer")),
            ],
            DataRequest.objects.filter(person=person).order_by("-created_at", "-pk"),
            lambda r: {
                "created_at": _when(r.created_at),
                "kind": r.get_kind_display(),
                "text": r.text,
                "reason": r.reason,
                "state": r.get_state_display(),
                "handled_at": _when(r.handled_at),
                "response": r.response,
            },
            limit,
        ),
        _readers(person, user, limit),
    ]
    return sections


def _registry(person: Person) -> Section:
    row = {
        "number": person.number,
        "name": person.name,
        "kind": person.get_kind_display(),
        "unit": person.org_unit.label,
        "phone": person.phone,
        "email": person.email,
        "id": person.masked_id,
        "state": person.get_state_display(),
        "valid_from": _when(person.valid_from),
        "valid_until": _when(person.valid_until),
        "claimed_at": _when(person.claimed_at),
        "created_at": _when(person.created_at),
    }
    return Section(
        key="registry",
        title=_("Registry record"),
        columns=[
            ("number", _("School/staff number")),
            ("name", pgettext("person", "Name")),
            ("kind", _("Person kind")),
            ("unit", _("Org unit")),
            ("phone", _("Mobile phone")),
            ("email", _("E-mail")),
            ("id", _("ID number (last 4)")),
            ("state", _("State")),
            ("valid_from", _("Valid from")),
            ("valid_until", _("Valid until")),
            ("claimed_at", _("Claimed at")),
            ("created_at", _("Registered at")),
        ],
        rows=[row],
        count=1,
        note=_("Only a keyed hash and the last 4 characters of your ID number are stored."),
    )


def _account(user) -> Section:
    from campuscode.accounts.selectors import confirmed_totp

    return Section(
        key="account",
        title=_("Account"),
        columns=[
            ("username", _("Account name")),
            ("date_joined", _("Created at")),
            ("last_login", _("Last sign-in")),
            ("second_factor", _("Two-factor sign-in")),
        ],
        rows=[
            {
                "username": user.get_username(),
                "date_joined": _when(user.date_joined),
                "last_login": _when(user.last_login),
                "second_factor": _yes(confirmed_totp(user)),
            }
        ],
        count=1,
        note=_("Your password is stored only as a one-way hash."),
    )


def _roles(user) -> Section:
    qs = RoleAssignment.objects.filter(user=user).select_related("org_unit").order_by("pk")
    return Section(
        key="roles",
        title=_("Roles"),
        columns=[("role", _("Role")), ("scope", _("Scope")), ("granted_at", _("Granted at"))],
        rows=[
            {
                "role": a.get_role_display(),
                "scope": a.org_unit.name,
                "granted_at": _when(a.granted_at),
            }
            for a in qs
        ],
        count=qs.count(),
    )


# What an audit entry was about, from its namespace; the verb from its last word.
AREAS = {
    "people": gettext_lazy("Registry record"),
    "checkins": gettext_lazy("Health check-ins"),
    "health": gettext_lazy("Health check-ins"),
    "followup": gettext_lazy("Reports, cases and isolation"),
    "gates": gettext_lazy("Entries and exits"),
    "accounts": gettext_lazy("Account"),
    "privacy": gettext_lazy("Your requests about your data"),
    "audit": gettext_lazy("Audit log"),
}


def area_label(action: str) -> str:
    return str(AREAS.get(action.split(".", 1)[0], gettext_lazy("Other")))


def verb_label(action: str) -> str:
    verb = action.rsplit(".", 1)[-1]
    if verb == "viewed":
        return _("Viewed")
    if verb == "exported":
        return _("Exported")
    if verb == "revealed":
        return _("Contact details shown")
    return _("Recorded or changed")


def roles_by_account(ids) -> dict[int, list[str]]:
    held: dict[int, set[str]] = defaultdict(set)
    for user_id, role in RoleAssignment.objects.filter(user_id__in=ids).values_list(
        "user_id", "role"
    ):
        held[user_id].add(role)
    return {
        user_id: sorted(str(Role(role).label) for role in roles) for user_id, roles in held.items()
    }


def _readers(person: Person, user, limit: int | None) -> Section:
    """Who processed the person's data (PIPL Art. 44–45), from the audit log: when, what,
    and the reader's role. Staff are named by role, not by name: the school is the
    processor, and naming each staff member would expose them to pressure over duties
    they were given; a person who needs the name asks through a request, which the
    office answers."""
    qs = (
        AuditEntry.objects.filter(subject=person)
        .exclude(actor=user)
        .only("at", "action", "actor_id")
        .order_by("-pk")
    )
    entries = list(qs if limit is None else qs[:limit])
    roles = roles_by_account({e.actor_id for e in entries if e.actor_id})
    system, no_role = _("The system (scheduled job)"), _("Account without a role")
    return Section(
        key="processing",
        title=_("Who processed your data"),
        columns=[
            ("at", _("Time")),
            ("area", _("Data")),
            ("what", _("What was done")),
            ("by", _("By")),
        ],
        rows=[
            {
                "at": _when(e.at),
                "area": area_label(e.action),
                "what": verb_label(e.action),
                "by": "、".join(roles.get(e.actor_id, [no_role])) if e.actor_id else system,
            }
            for e in entries
        ],
        count=qs.count(),
        note=_(
            "Staff are shown by their role (as held now), not by name. If you need to know "
            "who exactly, file a request below."
        ),
    )


def requests_for(user) -> QuerySet[DataRequest]:
    """The requests of people whose record the user may edit (their office's duty)."""
    return (
        DataRequest.objects.visible_to(user, Cap.EDIT_PEOPLE)
        .select_related("person__org_unit__parent", "handled_by")
        .order_by("-created_at", "-pk")
    )
