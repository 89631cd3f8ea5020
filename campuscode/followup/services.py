"""Advance reports, make-up check-ins, manual registrations and their approval (R4.2, R4.6).

Every expected refusal is a `Refusal` code with a translated label, never an exception.
A decision is taken under a row lock, so two approvers clicking at once decide once.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscode.audit.services import log_action
from campuscode.checkins.health import evaluate
from campuscode.checkins.models import Checkin, CheckinPoint, Period, Via
from campuscode.checkins.services import Answers, health_fields
from campuscode.checkins.windows import Window, windows_on
from campuscode.core.rules import get_setting
from campuscode.followup.attachments import stored_file
from campuscode.followup.models import (
    AdvanceReport,
    Decision,
    MakeupRequest,
    ManualRegistration,
)
from campuscode.notify.models import Kind
from campuscode.notify.services import notify
from campuscode.people.access import Cap, covers, holders_over
from campuscode.people.models import Person


class Refusal(models.TextChoices):
    NO_PERSON = "no_person", _("This account is not linked to a person in the registry.")
    BAD_DATES = "bad_dates", _("The last day is before the first day.")
    TOO_LONG = (
        "too_long",
        _("An advance report may cover at most the number of days the school set."),
    )
    NO_PERIODS = "no_periods", _("Choose at least one window.")
    PAST = "past", _("That window has already closed: make the check-in up instead.")
    NO_WINDOW = "no_window", _("There is no check-in in that window on that day.")
    WINDOW_OPEN = "window_open", _("That window has not closed yet: check in at a point.")
    NOT_OPENED = "not_opened", _("That window has not opened yet.")
    TOO_LATE = "too_late", _("The time allowed for a make-up of that window has passed.")
    ALREADY_CHECKED_IN = "already_checked_in", _("There is already a check-in for that window.")
    DUPLICATE = "duplicate", _("A make-up for that window was already sent.")
    NOT_PENDING = "not_pending", _("This request has already been decided.")
    NOT_ALLOWED = "not_allowed", _("You may not decide this request.")
    ALREADY_BACK = "already_back", _("You have already reported back for this absence.")
    NOT_AWAY = "not_away", _("Only an approved absence that has not ended can be reported back.")
    NO_REASON = "no_reason", _("Give a reason for the rejection: the person will see it.")
    NOT_RESOLVED = (
        "not_resolved",
        _("This request still needs a decision: approve or reject it."),
    )
    INACTIVE = "inactive", _("This person's registration is not active.")
    REGISTERED_MEMBER = (
        "registered_member",
        _(
            "This ID number belongs to a student or staff member of the school, who uses "
            "their own campus code."
        ),
    )


@dataclass(frozen=True)
class Result:
    obj: object | None = None
    refusal: str | None = None
    created: bool = False

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def refusal_label(self) -> str:
        return str(Refusal(self.refusal).label) if self.refusal else ""


def window_of(person: Person, day: date, period: str) -> Window | None:
    for window in windows_on(day, kind=person.kind, school_id=person.school_id):
        if window.period == period:
            return window
    return None


def has_checkin(person: Person, day: date, period: str) -> bool:
    return Checkin.objects.effective().filter(person_id=person.pk, day=day, period=period).exists()


def window_checkin(person: Person, day: date, period: str) -> Checkin | None:
    return (
        Checkin.objects.effective()
        .filter(person_id=person.pk, day=day, period=period)
        .order_by("at")
        .first()
    )


# --- Advance reports (报备) -------------------------------------------------------------


def file_advance_report(
    *,
    person: Person | None,
    first_day: date,
    last_day: date,
    periods: list[str],
    reason: str,
    idempotency_key: str,
    kind: str = AdvanceReport.Kind.OTHER,
    destination: str = "",
    phone: str = "",
    attachment=None,
    now: datetime | None = None,
    client_ip: str | None = None,
) -> Result:
    """File a report for windows that have not closed yet; it waits for approval.

    `attachment` is an uploaded proof (a note from a doctor, an invitation), checked by
    `followup.attachments` and stored under a random name."""
    now = now or timezone.now()
    if person is None:
        return Result(refusal=Refusal.NO_PERSON)
    if first := AdvanceReport.objects.filter(
        person=person, idempotency_key=idempotency_key
    ).first():
        return Result(first)
    periods = [p for p in Period.values if p in periods]
    if not periods:
        return Result(refusal=Refusal.NO_PERIODS)
    if last_day < first_day:
        return Result(refusal=Refusal.BAD_DATES)
    if (last_day - first_day).days + 1 > get_setting("followup_report_max_days", person.school_id):
        return Result(refusal=Refusal.TOO_LONG)
    today = timezone.localdate(now)
    if first_day < today:
        return Result(refusal=Refusal.PAST)
    if first_day == today:
        # "In advance" (R4.2): a window of today that has already closed is made up instead.
        for window in windows_on(today, kind=person.kind, school_id=person.school_id):
            if window.period in periods and window.end <= now:
                return Result(refusal=Refusal.PAST)
    try:
        with transaction.atomic():
            report = AdvanceReport.objects.create(
                person=person,
                kind=kind if kind in AdvanceReport.Kind.values else AdvanceReport.Kind.OTHER,
                first_day=first_day,
                last_day=last_day,
                periods=periods,
                reason=reason.strip()[:300],
                destination=destination.strip()[:200],
                phone=phone.strip()[:20],
                attachment=stored_file(attachment) if attachment else "",
                created_at=now,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:  # the same form sent twice at once
        return Result(AdvanceReport.objects.get(person=person, idempotency_key=idempotency_key))
    log_action(
        actor=person.user,
        client_ip=client_ip,
        action="followup.report.filed",
        subject=person,
        data={
            "report": report.pk,
            "kind": report.kind,
            "first": str(first_day),
            "last": str(last_day),
            "periods": periods,
            "attachment": bool(report.attachment),
        },
    )
    return Result(report, created=True)


def report_back(
    *, report: AdvanceReport, user, now: datetime | None = None, client_ip: str | None = None
) -> Result:
    """销假: the absence ended early. From now on the report's windows are no longer
    excused (a window already closed stays excused); recorded once, by whom and when."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            AdvanceReport.objects.select_for_update(of=("self",))
            .select_related("person", "person__user")
            .filter(pk=report.pk)
            .first()
        )
        own = row is not None and row.person.user_id == user.pk
        if row is None or not (own or covers(user, Cap.APPROVE_REQUESTS, row.person)):
            return Result(refusal=Refusal.NOT_ALLOWED)
        if row.returned_at is not None:
            return Result(row, refusal=Refusal.ALREADY_BACK)
        if row.state != Decision.APPROVED or row.last_day < timezone.localdate(now):
            return Result(row, refusal=Refusal.NOT_AWAY)
        row.returned_at = now
        row.returned_by = user
        row.save(update_fields=["returned_at", "returned_by"])
    log_action(
        actor=user,
        client_ip=client_ip,
        action="followup.report.returned",
        subject=row.person,
        data={"report": row.pk},
    )
    return Result(row)


# --- Make-up check-ins (补卡) -----------------------------------------------------------


def check_makeup_window(*, person: Person, day: date, period: str, now: datetime) -> str | None:
    """The refusal for making up (day, period) now, or None if it may be made up."""
    window = window_of(person, day, period)
    if window is None:
        return Refusal.NO_WINDOW
    if window.end > now:
        return Refusal.WINDOW_OPEN
    if now - window.end > timedelta(hours=get_setting("followup_makeup_hours", person.school_id)):
        return Refusal.TOO_LATE
    if has_checkin(person, day, period):
        return Refusal.ALREADY_CHECKED_IN
    return None


def missed_windows(person: Person, *, now: datetime) -> list[Window]:
    """The person's windows that closed without a check-in and may still be made up."""
    hours = get_setting("followup_makeup_hours", person.school_id)
    first = timezone.localdate(now - timedelta(hours=hours))
    today = timezone.localdate(now)
    done = set(
        Checkin.objects.effective()
        .filter(person_id=person.pk, day__gte=first, day__lte=today)
        .values_list("day", "period")
    )
    sent = set(
        MakeupRequest.objects.filter(
            person=person, day__gte=first, state__in=[Decision.PENDING, Decision.APPROVED]
        ).values_list("day", "period")
    )
    result = []
    day = first
    while day <= today:
        for window in windows_on(day, kind=person.kind, school_id=person.school_id):
            if (
                window.end <= now
                and now - window.end <= timedelta(hours=hours)
                and (day, window.period) not in done | sent
            ):
                result.append(window)
        day += timedelta(days=1)
    return result


def request_makeup(
    *,
    person: Person | None,
    day: date,
    period: str,
    answers: Answers,
    reason: str,
    idempotency_key: str,
    now: datetime | None = None,
    client_ip: str | None = None,
) -> Result:
    now = now or timezone.now()
    if person is None:
        return Result(refusal=Refusal.NO_PERSON)
    if first := MakeupRequest.objects.filter(
        person=person, idempotency_key=idempotency_key
    ).first():
        return Result(first)
    if refusal := check_makeup_window(person=person, day=day, period=period, now=now):
        return Result(refusal=refusal)
    try:
        with transaction.atomic():
            list(
                Person.objects.select_for_update().filter(pk=person.pk).order_by().values_list("pk")
            )
            if MakeupRequest.objects.filter(
                person=person,
                day=day,
                period=period,
                state__in=[Decision.PENDING, Decision.APPROVED],
            ).exists():
                return Result(refusal=Refusal.DUPLICATE)
            makeup = MakeupRequest.objects.create(
                person=person,
                day=day,
                period=period,
                **health_fields(answers),
                reason=reason.strip()[:300],
                submitted_at=now,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        return Result(MakeupRequest.objects.get(person=person, idempotency_key=idempotency_key))
    log_action(
        actor=person.user,
        client_ip=client_ip,
        action="followup.makeup.requested",
        subject=person,
        data={"makeup": makeup.pk, "day": str(day), "period": period},
    )
    return Result(makeup, created=True)


# --- Decisions (approve / reject, one or many) ------------------------------------------

KINDS = {"report": AdvanceReport, "makeup": MakeupRequest}
# Spelled out, so the audit log's list of actions (audit/actions.py) can be checked.
DECISION_ACTIONS = {
    ("report", Decision.APPROVED): "followup.report.approved",
    ("report", Decision.REJECTED): "followup.report.rejected",
    ("report", Decision.WITHDRAWN): "followup.report.withdrawn",
    ("makeup", Decision.APPROVED): "followup.makeup.approved",
    ("makeup", Decision.REJECTED): "followup.makeup.rejected",
    ("makeup", Decision.WITHDRAWN): "followup.makeup.withdrawn",
}


def decide(
    *,
    kind: str,
    pk: int,
    user,
    approve: bool,
    note: str = "",
    now: datetime | None = None,
    client_ip: str | None = None,
) -> Result:
    """Approve or reject one advance report or make-up; the person is notified."""
    model = KINDS[kind]
    now = now or timezone.now()
    with transaction.atomic():
        # Two approvers deciding at once: the second finds it decided (NOT_PENDING).
        item = (
            # Lock only the request's row (the account join is an outer one, which
            # PostgreSQL will not lock).
            model.objects.select_for_update(of=("self",))
            .select_related("person", "person__org_unit", "person__user")
            .filter(pk=pk)
            .first()
        )
        if item is None or not covers(user, Cap.APPROVE_REQUESTS, item.person):
            return Result(refusal=Refusal.NOT_ALLOWED)
        if not item.pending:
            return Result(item, refusal=Refusal.NOT_PENDING)
        if approve and kind == "makeup" and has_checkin(item.person, item.day, item.period):
            return Result(item, refusal=Refusal.ALREADY_CHECKED_IN)
        if not approve and not note.strip():
            return Result(item, refusal=Refusal.NO_REASON)
        item.state = Decision.APPROVED if approve else Decision.REJECTED
        item.decided_by = user
        item.decided_at = now
        item.decision_note = note.strip()[:300]
        if approve and kind == "makeup":
            item.checkin = _store_makeup(item, user=user)
        item.save()
        notify(
            person=item.person,
            kind=Kind.REPORT_DECIDED if kind == "report" else Kind.MAKEUP_DECIDED,
            data={"state": item.state, "id": item.pk, "note": item.decision_note},
            url="/followup/",
            now=now,
        )
    log_action(
        actor=user,
        client_ip=client_ip,
        action=DECISION_ACTIONS[kind, item.state],
        subject=item.person,
        data={kind: item.pk, "note": item.decision_note},
    )
    return Result(item)


def _store_makeup(makeup: MakeupRequest, *, user) -> Checkin:
    colour, reason = evaluate(
        temperature=makeup.temperature, symptoms=makeup.symptoms, contact=makeup.contact
    )
    # The time is when the person sent it, after the window: never on time (R4.2).
    return Checkin.objects.create(
        person=makeup.person,
        point=None,
        at=makeup.submitted_at,
        day=makeup.day,
        period=makeup.period,
        **health_fields(makeup),
        colour=colour,
        reason=reason,
        via=Via.MAKEUP,
        idempotency_key=f"makeup-{makeup.pk}",
        recorded_by=user,
    )


@dataclass(frozen=True)
class Problem:
    """One request a bulk decision could not decide, with what explains it in words."""

    kind: str
    item: object | None
    refusal: str

    @property
    def label(self) -> str:
        return str(Refusal(self.refusal).label)


@dataclass
class BulkResult:
    decided: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def decide_many(
    *,
    items: list[tuple[str, int]],
    user,
    approve: bool,
    note: str = "",
    client_ip: str | None = None,
) -> BulkResult:
    result = BulkResult()
    for kind, pk in items:
        if kind not in KINDS:
            continue
        outcome = decide(
            kind=kind, pk=pk, user=user, approve=approve, note=note, client_ip=client_ip
        )
        if outcome.ok:
            result.decided += 1
        else:
            result.refused[outcome.refusal] = result.refused.get(outcome.refusal, 0) + 1
            result.problems.append(Problem(kind, outcome.obj, outcome.refusal))
    return result


def close_request(
    *,
    kind: str,
    pk: int,
    user,
    now: datetime | None = None,
    client_ip: str | None = None,
) -> Result:
    """Close a make-up that nothing is left to decide for: the window has a check-in after
    all (the person scanned late, or an adviser registered them). Not a rejection: the
    person is told it was not needed, and why."""
    if kind not in KINDS:
        return Result(refusal=Refusal.NOT_ALLOWED)
    model = KINDS[kind]
    now = now or timezone.now()
    with transaction.atomic():
        item = (
            model.objects.select_for_update(of=("self",))
            .select_related("person", "person__org_unit", "person__user")
            .filter(pk=pk)
            .first()
        )
        if item is None or not covers(user, Cap.APPROVE_REQUESTS, item.person):
            return Result(refusal=Refusal.NOT_ALLOWED)
        if not item.pending:
            return Result(item, refusal=Refusal.NOT_PENDING)
        checkin = window_checkin(item.person, item.day, item.period) if kind == "makeup" else None
        if checkin is None:
            return Result(item, refusal=Refusal.NOT_RESOLVED)
        item.state = Decision.CLOSED
        item.decided_by = user
        item.decided_at = now
        item.decision_note = str(
            _("Already checked in at %(time)s: a make-up is not needed.")
            % {"time": timezone.localtime(checkin.at).strftime("%H:%M")}
        )[:300]
        item.save()
        notify(
            person=item.person,
            kind=Kind.MAKEUP_DECIDED,
            data={"state": item.state, "id": item.pk, "note": item.decision_note},
            url="/followup/",
            now=now,
        )
    log_action(
        actor=user,
        client_ip=client_ip,
        action="followup.makeup.closed",  # only a make-up can be closed (NOT_RESOLVED above)
        subject=item.person,
        data={kind: item.pk, "checkin": checkin.pk},
    )
    return Result(item)


def withdraw(*, kind: str, pk: int, person: Person, client_ip: str | None = None) -> Result:
    model = KINDS[kind]
    with transaction.atomic():
        item = model.objects.select_for_update().filter(pk=pk, person=person).first()
        if item is None:
            return Result(refusal=Refusal.NOT_ALLOWED)
        if not item.pending:
            return Result(item, refusal=Refusal.NOT_PENDING)
        item.state = Decision.WITHDRAWN
        item.decided_at = timezone.now()
        item.save(update_fields=["state", "decided_at"])
    log_action(
        actor=person.user,
        client_ip=client_ip,
        action=DECISION_ACTIONS[kind, Decision.WITHDRAWN],
        subject=person,
    )
    return Result(item)


# --- Manual registration (人工登记, R4.6) ------------------------------------------------


def register_manually(
    *,
    person: Person,
    user,
    day: date,
    period: str,
    answers: Answers,
    point: CheckinPoint | None,
    place: str,
    reason: str,
    idempotency_key: str,
    ip: str | None = None,
    now: datetime | None = None,
    client_ip: str | None = None,
) -> Result:
    """An adviser records a check-in for someone in their scope without a usable phone."""
    now = now or timezone.now()
    if not covers(user, Cap.APPROVE_REQUESTS, person):
        return Result(refusal=Refusal.NOT_ALLOWED)
    if first := Checkin.objects.filter(person=person, idempotency_key=idempotency_key).first():
        return Result(first)
    if person.state != Person.State.ACTIVE or not person.is_valid_on(day):
        return Result(refusal=Refusal.INACTIVE)
    window = window_of(person, day, period)
    if window is None:
        return Result(refusal=Refusal.NO_WINDOW)
    if window.start > now:
        return Result(refusal=Refusal.NOT_OPENED)
    if now - window.end > timedelta(hours=get_setting("followup_makeup_hours", person.school_id)):
        return Result(refusal=Refusal.TOO_LATE)
    colour, health_reason = evaluate(
        temperature=answers.temperature, symptoms=answers.symptoms, contact=answers.contact
    )
    try:
        with transaction.atomic():
            list(
                Person.objects.select_for_update().filter(pk=person.pk).order_by().values_list("pk")
            )
            if has_checkin(person, day, period):
                return Result(refusal=Refusal.ALREADY_CHECKED_IN)
            checkin = Checkin.objects.create(
                person=person,
                point=point,
                at=now,
                day=day,
                period=period,
                **health_fields(answers),
                colour=colour,
                reason=health_reason,
                via=Via.MANUAL,
                ip=ip,
                idempotency_key=idempotency_key,
                recorded_by=user,
            )
            ManualRegistration.objects.create(
                checkin=checkin,
                person=person,
                point=point,
                place=place.strip()[:200],
                reason=reason.strip()[:300],
                recorded_by=user,
                created_at=now,
            )
            count = manual_count(person, now=now)
            if count == get_setting("followup_manual_limit", person.school_id) + 1:
                # The first registration over the limit alerts the department once.
                for admin in holders_over(person, Cap.APPROVE_REQUESTS, Cap.FOLLOW_CASES):
                    notify(
                        user=admin,
                        kind=Kind.MANUAL_LIMIT,
                        data={"person": person.pk, "name": person.name, "count": count},
                        url="/followup/dashboard/",
                        now=now,
                    )
    except IntegrityError:
        return Result(Checkin.objects.get(person=person, idempotency_key=idempotency_key))
    log_action(
        actor=user,
        client_ip=client_ip,
        action="followup.manual.registered",
        subject=person,
        data={"checkin": checkin.pk, "day": str(day), "period": period, "place": place},
    )
    return Result(checkin, created=True)


def manual_count(person: Person, *, now: datetime) -> int:
    since = now - timedelta(days=get_setting("followup_manual_period_days", person.school_id))
    return ManualRegistration.objects.filter(person=person, created_at__gt=since).count()
