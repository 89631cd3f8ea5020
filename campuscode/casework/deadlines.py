"""Reminders and escalation for every registered kind of item with a deadline (R7.5).

One job (`send_deadline_reminders`, beat + `campuscode send-deadline-reminders`) asks each
registered kind for its open items and, per item, sends what is due and not yet sent:

- at issue (before the deadline day);
- N days before the deadline (setting; skipped when the item was issued later than that);
- on the deadline day;
- when overdue, to the escalation levels in turn (unit head, then group lead), each a
  number of days after the deadline (settings).

Each reminder is a `ReminderSent` row unique on (item, stage, day) written in the same
transaction as its notifications: a re-run, or a second worker, sends nothing twice.
`now` is the time machine: tests (and a dry look at next week) move it.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from campuscode.casework.models import ReminderSent, ReminderStage
from campuscode.casework.registry import DEADLINE_KINDS, DeadlineKind, OpenItem
from campuscode.core.rules import get_setting

ESCALATIONS = (ReminderStage.ESCALATED_1, ReminderStage.ESCALATED_2)


@dataclass
class RunResult:
    items: int = 0
    sent: Counter = field(default_factory=Counter)  # stage -> reminders sent

    @property
    def total(self) -> int:
        return sum(self.sent.values())


def due_stages(item: OpenItem, kind: DeadlineKind, now: datetime) -> list[tuple[str, object, list]]:
    """(stage, day, recipients) of every reminder of `item` due at `now`, sent or not."""
    today = timezone.localdate(now)
    issued_day = timezone.localdate(item.issued_at)
    deadline_day = timezone.localdate(item.deadline)
    responsible = list(item.responsible)
    stages = []
    if today < deadline_day:  # on the day itself the deadline reminder says it all
        stages.append((ReminderStage.ISSUED, issued_day, responsible))
    before = deadline_day - timedelta(days=get_setting(kind.before_days_setting, item.school))
    if issued_day < before <= today < deadline_day:
        stages.append((ReminderStage.BEFORE, before, responsible))
    if today >= deadline_day:
        stages.append((ReminderStage.DUE, deadline_day, responsible))
    if now > item.deadline:
        for stage, setting, level in zip(
            ESCALATIONS, kind.escalate_days_settings, item.escalation, strict=False
        ):
            day = deadline_day + timedelta(days=get_setting(setting, item.school))
            if today >= day:
                stages.append((stage, day, list(level)))
    return stages


def send_deadline_reminders(*, now: datetime | None = None) -> RunResult:
    """Send every reminder and escalation due at `now` that was not sent before."""
    now = now or timezone.now()
    result = RunResult()
    for kind in list(DEADLINE_KINDS.values()):
        for item in kind.open_items(now):
            result.items += 1
            for stage, day, recipients in due_stages(item, kind, now):
                if _send_once(item=item, stage=stage, day=day, recipients=recipients, now=now):
                    result.sent[stage] += 1
    return result


def _send_once(*, item: OpenItem, stage: str, day, recipients: list, now: datetime) -> bool:
    from campuscode.audit.services import log_action
    from campuscode.notify.models import Kind
    from campuscode.notify.services import notify

    users = list({user.pk: user for user in recipients if user is not None}.values())
    with transaction.atomic():
        _row, created = ReminderSent.objects.get_or_create(
            item=item.key[:80],
            stage=stage,
            day=day,
            defaults={"recipients": len(users), "sent_at": now},
        )
        if not created:
            return False
        data = {
            "stage": stage,
            "text": item.text,
            "deadline": timezone.localtime(item.deadline).strftime("%Y-%m-%d %H:%M"),
        }
        kind = Kind.DEADLINE_ESCALATED if stage in ESCALATIONS else Kind.DEADLINE_REMINDER
        for user in users:
            notify(user=user, kind=kind, data=data, url=item.url, now=now)
        if stage in ESCALATIONS:
            log_action(
                action="casework.deadline.escalated",
                data={"item": item.key, "stage": stage, "recipients": len(users)},
            )
    return True
