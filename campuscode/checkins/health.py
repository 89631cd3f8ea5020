"""Health rules (R2.1, R2.3): the latest health data → green, yellow or red, with a reason
in plain words; and the status provider every new campus code token asks.

Defaults (thresholds are school settings): temperature at or above the yellow threshold,
any symptom, or contact with a suspected case → yellow; contact with a confirmed case, or
fever with breathing difficulty → red.
"""

from decimal import Decimal

from django.db import connection, models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campuscode.checkins.models import Checkin, Contact, ManualStatus, Symptom
from campuscode.checkins.rules import setting as get_setting
from campuscode.codes.status import SEVERITY, ColourSQL, Status
from campuscode.codes.tokens import Colour


class HealthReason(models.TextChoices):
    NORMAL = "normal", _("Your last check-in showed no health concern.")
    CONFIRMED_CONTACT = "confirmed_contact", _("Contact with a confirmed case was reported.")
    FEVER_BREATHING = "fever_breathing", _("Fever with breathing difficulty was reported.")
    TEMPERATURE = "temperature", _("Your temperature at the last check-in was raised.")
    SYMPTOMS = "symptoms", _("Symptoms were reported at the last check-in.")
    SUSPECTED_CONTACT = "suspected_contact", _("Contact with a suspected case was reported.")
    MANUAL = "manual", _("Set by the health office.")


def evaluate(*, temperature: Decimal, symptoms: list[str], contact: str) -> tuple[str, str]:
    """(colour, HealthReason) for one set of answers, by the school's current thresholds."""
    hot = temperature >= Decimal(str(get_setting("health_yellow_temperature")))
    fever = hot or Symptom.FEVER in symptoms
    if contact == Contact.CONFIRMED:
        return Colour.RED, HealthReason.CONFIRMED_CONTACT
    if fever and Symptom.BREATHING in symptoms:
        return Colour.RED, HealthReason.FEVER_BREATHING
    if hot:
        return Colour.YELLOW, HealthReason.TEMPERATURE
    if symptoms:
        return Colour.YELLOW, HealthReason.SYMPTOMS
    if contact == Contact.SUSPECTED:
        return Colour.YELLOW, HealthReason.SUSPECTED_CONTACT
    return Colour.GREEN, HealthReason.NORMAL


def describe(checkin: Checkin) -> str:
    """The reason of a check-in's colour as the person reads it."""
    text = str(HealthReason(checkin.reason).label)
    if checkin.reason == HealthReason.TEMPERATURE:
        text = gettext("Your temperature at the last check-in was %(t)s °C.") % {
            "t": checkin.temperature
        }
    elif checkin.reason == HealthReason.SYMPTOMS:
        text = gettext("Symptoms at the last check-in: %(list)s.") % {
            "list": "、".join(checkin.symptom_labels)
        }
    if checkin.colour != Colour.GREEN:
        text += " " + gettext(
            "Please see the campus clinic; the code turns green again after a normal check-in."
        )
    return text


def not_green_candidates(school_id: int) -> set[int]:
    """Everyone `health_status` could answer yellow or red for: an uncleared manual
    status, or any non-green effective check-in (a superset of the latest ones)."""
    manual = ManualStatus.objects.filter(person__school_id=school_id, cleared_at__isnull=True)
    checkins = (
        Checkin.objects.effective().filter(person__school_id=school_id).exclude(colour=Colour.GREEN)
    )
    return set(manual.values_list("person_id", flat=True)) | set(
        checkins.values_list("person_id", flat=True).distinct()
    )


def health_status(person) -> Status | None:
    """The status provider (two indexed queries: runs on every code refresh).

    A manual status from the health office holds until cleared, except that a later
    check-in that is worse wins (a fever after the office cleared someone).
    """
    manual = (
        ManualStatus.objects.filter(person_id=person.pk, cleared_at__isnull=True)
        .order_by("-set_at", "-id")
        .only("colour", "reason", "set_at")
        .first()
    )
    latest = (
        Checkin.objects.effective()
        .filter(person_id=person.pk)
        .order_by("-at")
        .only("colour", "reason", "temperature", "symptoms", "at")
        .first()
    )
    from_checkin = Status(latest.colour, describe(latest)) if latest else None
    if manual is None:
        return from_checkin
    from_manual = Status(
        manual.colour, gettext("Set by the health office: %(reason)s") % {"reason": manual.reason}
    )
    if (
        from_checkin is not None
        and latest.at > manual.set_at
        and SEVERITY[from_checkin.colour] > SEVERITY[from_manual.colour]
    ):
        return from_checkin
    return from_manual


def health_colour_sql(person: str) -> ColourSQL:
    """`health_status`'s colour as SQL (codes.status.ColourSQL): the open manual status,
    the latest effective check-in, and whether that check-in came after the status."""
    quote = connection.ops.quote_name
    manual = (
        f"FROM {quote(ManualStatus._meta.db_table)} WHERE person_id = {person}"
        " AND cleared_at IS NULL ORDER BY set_at DESC, id DESC LIMIT 1"
    )
    latest = (
        f"FROM {quote(Checkin._meta.db_table)} WHERE person_id = {person}"
        " AND superseded_at IS NULL ORDER BY at DESC LIMIT 1"
    )
    return ColourSQL(
        columns=[
            f"(SELECT colour {manual})",
            f"(SELECT colour {latest})",
            f"((SELECT at {latest}) > (SELECT set_at {manual}))",
        ],
        colour=_health_colour,
    )


def _health_colour(manual: str | None, latest: str | None, latest_is_later) -> str | None:
    if manual is None:
        return latest
    if latest is not None and latest_is_later and SEVERITY[latest] > SEVERITY[manual]:
        return latest
    return manual
