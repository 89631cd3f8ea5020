"""The processing register (PIPL Art. 55–56, the impact assessment): for each category of
personal data, what is collected, why, who may see it and how long it is kept.

Generated, not written: "what" are the labels of the model fields that hold it, "who" the
roles that `people.access.ROLE_CAPABILITIES` gives the capability, "how long" the school's
retention settings. Change a field, a role or a setting and the register follows.
"""

from dataclasses import dataclass

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campuscode.core.rules import SPECS, get_setting
from campuscode.people.access import ROLE_CAPABILITIES, Cap
from campuscode.people.models import Role
from campuscode.privacy.retention import gate_retention_days, health_retention_days


@dataclass(frozen=True)
class Category:
    key: str
    title: str
    fields: tuple[tuple[str, tuple[str, ...]], ...]  # (app_label.Model, field names)
    purpose: str
    capabilities: tuple[str, ...]
    retention: str  # a key of RETENTION
    extra: str = ""  # what the fields do not say by themselves


CATEGORIES = (
    Category(
        "identity",
        gettext_lazy("Identity and registry record"),
        (
            (
                "people.Person",
                ("name", "number", "kind", "org_unit", "state", "valid_from", "valid_until"),
            ),
        ),
        gettext_lazy(
            "To issue the campus code and check it at gates and check-in points (Check-in "
            "Rules, section 2: the campus code; section 3: issuing codes)."
        ),
        (Cap.VIEW_PEOPLE,),
        "registry",
    ),
    Category(
        "contact",
        gettext_lazy("Contact details"),
        (("people.Person", ("phone", "email")),),
        gettext_lazy(
            "To send the one-time code for claiming an account and notices (Check-in Rules, "
            "section 3: issuing codes). Lists show them masked."
        ),
        (Cap.REVEAL,),
        "registry",
    ),
    Category(
        "id_number",
        gettext_lazy("ID number"),
        (("people.Person", ("id_last4",)),),
        gettext_lazy(
            "To check identity when a code is claimed and to recognise one person across "
            "roster imports (Check-in Rules, section 3: issuing codes)."
        ),
        (Cap.VIEW_PEOPLE,),
        "registry",
        gettext_lazy("a keyed hash of the number; the number itself is never stored"),
    ),
    Category(
        "checkins",
        gettext_lazy("Health check-ins"),
        (("checkins.Checkin", ("at", "point", "temperature", "colour", "via", "recorded_by")),),
        gettext_lazy(
            "The daily health check-in at a check-in point and its review by the class or "
            "department (Check-in Rules, section 4: check-in rules; section 6: data "
            "management)."
        ),
        (Cap.VIEW_HEALTH,),
        "health",
        gettext_lazy("device and network address, to detect borrowed check-ins"),
    ),
    Category(
        "symptoms",
        gettext_lazy("Symptoms and contact history"),
        (
            (
                "checkins.Checkin",
                (
                    "symptoms",
                    "symptom_detail",
                    "contact",
                    "contact_at",
                    "contact_place",
                    "contact_manner",
                ),
            ),
        ),
        gettext_lazy(
            "To find and follow up health concerns (Check-in Rules, section 5: health "
            "information). Sensitive personal information (PIPL Article 28)."
        ),
        (Cap.VIEW_HEALTH,),
        "health",
    ),
    Category(
        "reports",
        gettext_lazy("Advance reports and make-up check-ins"),
        (
            ("followup.AdvanceReport", ("first_day", "last_day", "reason", "state")),
            ("followup.MakeupRequest", ("day", "temperature", "symptoms", "reason", "state")),
        ),
        gettext_lazy(
            "For those who cannot check in on time: the report beforehand and the make-up "
            "afterwards, approved by the class or department (Check-in Rules, section 4)."
        ),
        (Cap.APPROVE_REQUESTS,),
        "reports",
    ),
    Category(
        "cases",
        gettext_lazy("Follow-up cases and attachments"),
        (
            ("followup.FollowupCase", ("trigger", "state", "opened_at", "closed_at", "close_note")),
            ("followup.CaseEvent", ("text", "attachment")),
        ),
        gettext_lazy(
            "Severe or persistent symptoms are followed until the case is closed (Check-in "
            "Rules, section 5: health information)."
        ),
        (Cap.FOLLOW_CASES,),
        "cases",
    ),
    Category(
        "isolation",
        gettext_lazy("Isolation and observation"),
        (
            ("followup.Isolation", ("kind", "place", "reason", "starts_on", "ends_on")),
            ("followup.IsolationReport", ("temperature", "symptoms", "note")),
        ),
        gettext_lazy(
            "People under isolation or observation report their health to the school "
            "(Check-in Rules, section 5: health information)."
        ),
        (Cap.MANAGE_HEALTH,),
        "isolation",
    ),
    Category(
        "gates",
        gettext_lazy("Entries and exits"),
        (("gates.GateEvent", ("at", "direction", "allowed", "reason", "colour")),),
        gettext_lazy(
            "The campus code is the pass for gates, libraries and dormitories, and each "
            "entry and exit is recorded (Check-in Rules, section 2: the campus code)."
        ),
        (Cap.VIEW_GATES,),
        "gates",
    ),
    Category(
        "audit",
        gettext_lazy("Audit log"),
        (("audit.AuditEntry", ("at", "actor", "action", "subject", "data", "ip")),),
        gettext_lazy(
            "Every use of personal data is recorded, so that nobody reads it without "
            "authorisation (Check-in Rules, section 6: data management; PIPL Article 51)."
        ),
        (Cap.VIEW_AUDIT,),
        "audit",
    ),
    Category(
        "account",
        gettext_lazy("Account and second factor"),
        (("auth.User", ("username", "password", "last_login")),),
        gettext_lazy(
            "To sign in, and a second factor for staff who read other people's data (Check-in "
            "Rules, section 6: security measures)."
        ),
        (Cap.MANAGE_ACCOUNTS,),
        "account",
        gettext_lazy("the authenticator app's secret and one-time backup codes, stored hashed"),
    ),
    Category(
        "requests",
        gettext_lazy("Requests about personal data"),
        (("privacy.DataRequest", ("kind", "text", "reason", "state", "response")),),
        gettext_lazy(
            "A person's request to correct or delete their data and the office's answer "
            "(PIPL Articles 44 to 47)."
        ),
        (Cap.EDIT_PEOPLE,),
        "requests",
    ),
)

# The settings the audit log's retention may be kept under (issue 8: audit retention).
AUDIT_RETENTION_KEYS = ("audit_retention_days", "audit_retention_months")


def roles_holding(*capabilities: str) -> list[str]:
    """The translated names of the roles holding any of the capabilities, in Role order."""
    return [
        str(Role(role).label)
        for role in Role.values
        if ROLE_CAPABILITIES.get(role, frozenset()) & set(capabilities)
    ]


def _retention(key: str) -> str:
    health, gates = health_retention_days(), gate_retention_days()
    if key == "health":
        return _("%(days)s days, then deleted every night") % {"days": health}
    if key == "reports":
        return _("%(days)s days after the last day, once decided; then deleted") % {"days": health}
    if key == "cases":
        return _(
            "%(days)s days after the case is closed, then deleted with its photos; never while open"
        ) % {"days": health}
    if key == "isolation":
        return _("%(days)s days after it ends, then deleted; never while it lasts") % {
            "days": health
        }
    if key == "gates":
        return _("%(days)s days, then kept without the person (place, time and outcome only)") % {
            "days": gates
        }
    if key == "audit":
        for setting in AUDIT_RETENTION_KEYS:
            if setting in SPECS:
                unit = _("days") if setting.endswith("days") else _("months")
                return _("%(n)s %(unit)s, then deleted") % {"n": get_setting(setting), "unit": unit}
        return _("Kept; not deleted automatically")
    if key == "account":
        return _("As long as the account exists")
    if key == "requests":
        return _("Kept as the record of how each request was handled")
    return _(
        "As long as the person belongs to the school; people who leave are marked, not deleted"
    )


def field_labels(model_label: str, names: tuple[str, ...]) -> list[str]:
    model = apps.get_model(model_label)
    return [str(model._meta.get_field(name).verbose_name) for name in names]


def register_rows() -> list[dict]:
    rows = []
    for category in CATEGORIES:
        collected = [
            label for model, names in category.fields for label in field_labels(model, names)
        ]
        if category.extra:
            collected.append(str(category.extra))
        rows.append(
            {
                "key": category.key,
                "category": str(category.title),
                "collected": "、".join(dict.fromkeys(collected)),
                "purpose": str(category.purpose),
                "who": "、".join(
                    [*roles_holding(*category.capabilities), _("the person themself")]
                ),
                "kept": _retention(category.retention),
            }
        )
    return rows


def register_columns() -> list[tuple[str, str]]:
    return [
        ("category", _("Personal data")),
        ("collected", _("What is collected")),
        ("purpose", _("Why")),
        ("who", _("Who may see it")),
        ("kept", _("How long it is kept")),
    ]
