"""What has a deadline, and what kinds of numbered document exist: each app registers
its own in its AppConfig.ready(); the engine asks them and nothing else."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User


@dataclass(frozen=True)
class OpenItem:
    """One open item with a deadline, as the registering app describes it."""

    key: str  # stable and unique across kinds: "supervision.notice:12" (see `key_of`)
    deadline: datetime
    issued_at: datetime
    text: str  # what it is, in the school's language: "整改通知书 校督整〔2026〕3号"
    url: str = ""
    responsible: Sequence[User] = ()
    # Who hears of it when overdue: [unit heads], then [group lead] (R7.5).
    escalation: Sequence[Sequence[User]] = ()
    school: object = None  # the OrgUnit whose rules apply (None: the only school)


@dataclass(frozen=True)
class DeadlineKind:
    """A kind of item with a deadline. `open_items(now)` yields every item still open
    (done, closed or withdrawn items are simply not yielded). The settings name how many
    days before the deadline to remind and how many days after it to escalate, level by
    level; an app may point to its own settings."""

    name: str
    open_items: Callable[[datetime], Iterable[OpenItem]]
    before_days_setting: str = "casework_remind_before_days"
    escalate_days_settings: tuple[str, ...] = (
        "casework_escalate_unit_head_days",
        "casework_escalate_group_lead_days",
    )


@dataclass(frozen=True)
class DocumentKind:
    """A kind of numbered document; its prefix (校督整) is the school setting named."""

    name: str  # "supervision.notice"
    prefix_setting: str
    label: str = ""


DEADLINE_KINDS: dict[str, DeadlineKind] = {}
DOCUMENT_KINDS: dict[str, DocumentKind] = {}


def register_deadlines(kind: DeadlineKind) -> DeadlineKind:
    DEADLINE_KINDS[kind.name] = kind
    return kind


def unregister_deadlines(name: str) -> None:
    DEADLINE_KINDS.pop(name, None)


def register_document(kind: DocumentKind) -> DocumentKind:
    DOCUMENT_KINDS[kind.name] = kind
    return kind


def key_of(obj) -> str:
    """The item / owner key of a model instance: "supervision.notice:12"."""
    return f"{obj._meta.label_lower}:{obj.pk}"


def unit_heads(unit) -> list[User]:
    """The department leadership of `unit`: active department admins of the unit itself,
    else of the nearest unit above that has any (escalation level 1)."""
    from campuscode.people.models import Role

    ids = [int(part) for part in unit.path.strip("/").split("/")]
    for pk in reversed(ids):
        heads = list(
            User.objects.filter(
                roles__role=Role.DEPARTMENT_ADMIN, roles__org_unit_id=pk, is_active=True
            ).distinct()
        )
        if heads:
            return heads
    return []
