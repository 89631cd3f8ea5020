"""The bulk-read alert (PIPL Art. 51; R6.6): an account that reads or exports many
different people's data in a short time is reported to the security admin.

The audit log is the source: every read of another person's data writes one entry, naming
the person (`subject`), the people listed (`data["people"]`), or, for a list or export that
records only its size, the number of rows (`data["count"]`, `data["rows"]`). Counted per
account over the last `privacy_alert_minutes`; at `privacy_alert_people` or more, one alert.
Reads counted for an alert are not counted again: the next check starts where it ended.
"""

import json
from collections import defaultdict
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.audit.models import AuditEntry
from campuscode.audit.services import log_action
from campuscode.core.rules import get_setting
from campuscode.notify.models import Kind
from campuscode.notify.services import notify
from campuscode.people.access import ROLE_CAPABILITIES, Cap
from campuscode.people.models import Person
from campuscode.privacy.models import BulkReadAlert

READ_VERBS = frozenset({"viewed", "exported", "revealed", "downloaded"})
# A list page shows at most this many rows, whatever its total: the people list records
# the total matching (`count`) with the page number.
LIST_PAGE = 50


def people_touched(entries, *, own_person_id: int | None = None) -> int:
    """How many different people these audit entries (action, subject_id, data) read.

    Named people are counted once each; a list or export that records only its size adds
    that size once per distinct (action, filters, page), so reloading a page is not
    counted as reading new people."""
    ids: set[int] = set()
    sized: dict[tuple, int] = {}
    for action, subject_id, data in entries:
        data = data if isinstance(data, dict) else {}
        if subject_id:
            ids.add(subject_id)
        people = data.get("people")
        if isinstance(people, list):
            ids.update(p for p in people if isinstance(p, int))
            continue
        size = data.get("count", data.get("rows"))
        if subject_id or not isinstance(size, int) or size <= 0:
            continue
        if action.endswith(".viewed") and "page" in data:
            size = min(size, LIST_PAGE)
        signature = (
            action,
            json.dumps(data.get("filters"), sort_keys=True, default=str),
            data.get("page"),
        )
        sized[signature] = max(sized.get(signature, 0), size)
    ids.discard(own_person_id)
    return len(ids) + sum(sized.values())


def alert_recipients():
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Cap.SECURITY_ALERTS in caps]
    return (
        User.objects.filter(roles__role__in=roles, is_active=True)
        .distinct()
        .select_related("person")
    )


def check_bulk_reads(*, now=None) -> list[BulkReadAlert]:
    """Raise one alert for each account over the threshold in the window; idempotent."""
    now = now or timezone.now()
    minutes = get_setting("privacy_alert_minutes")
    threshold = get_setting("privacy_alert_people")
    since = now - timedelta(minutes=minutes)
    per_actor: dict[int, list[tuple]] = defaultdict(list)
    rows = AuditEntry.objects.filter(at__gte=since, at__lte=now, actor__isnull=False)
    for actor_id, at, action, subject_id, data in rows.values_list(
        "actor_id", "at", "action", "subject_id", "data"
    ).iterator(chunk_size=2000):
        if action.rsplit(".", 1)[-1] in READ_VERBS:
            per_actor[actor_id].append((at, action, subject_id, data))
    alerts = []
    for actor_id, entries in per_actor.items():
        # A cheap first look; the count is repeated under the lock below.
        if people_touched([e[1:] for e in entries]) < threshold:
            continue
        alert = _raise(
            actor_id=actor_id, entries=entries, since=since, now=now, threshold=threshold
        )
        if alert is not None:
            alerts.append(alert)
    return alerts


def _raise(*, actor_id, entries, since, now, threshold) -> BulkReadAlert | None:
    with transaction.atomic():
        # Two checks at once (beat and an admin's command) lock the account row in turn,
        # so the second sees the first one's alert and counts from its end.
        actor = User.objects.select_for_update().get(pk=actor_id)
        last = BulkReadAlert.objects.filter(actor=actor).order_by("-until").first()
        start = max(since, last.until) if last else since
        fresh = [e[1:] for e in entries if last is None or e[0] > last.until]
        own = Person.objects.filter(user=actor).values_list("pk", flat=True).first()
        count = people_touched(fresh, own_person_id=own)
        if count < threshold:
            return None
        alert = BulkReadAlert.objects.create(
            actor=actor, since=start, until=now, people=count, created_at=now
        )
        recipients = list(alert_recipients().exclude(pk=actor.pk))
        person = getattr(actor, "person", None)
        data = {
            "account": actor.get_username(),
            "name": person.name if person else "",
            "people": count,
            "minutes": round((now - start).total_seconds() / 60),
            "since": timezone.localtime(start).strftime("%Y-%m-%d %H:%M"),
            "until": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        }
        for user in recipients:  # in the app and on each one's own channel
            notify(
                user=user,
                kind=Kind.BULK_READ,
                data=data,
                url=f"/audit/?who={actor.get_username()}",
                now=now,
            )
        log_action(
            action="privacy.bulk_read.alerted",
            subject=person,
            data={**data, "alert": alert.pk, "recipients": [u.get_username() for u in recipients]},
        )
    return alert


def bulk_read_text(data: dict) -> str:
    values = {key: data.get(key, "") for key in ("account", "name", "people", "since", "until")}
    if values["name"]:
        return (
            _(
                "The account %(account)s (%(name)s) read or exported the data of %(people)s "
                "people between %(since)s and %(until)s."
            )
            % values
        )
    return (
        _(
            "The account %(account)s read or exported the data of %(people)s people between "
            "%(since)s and %(until)s."
        )
        % values
    )
