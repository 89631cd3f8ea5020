"""Reads for the reviewers' flags page (R1.2): the flags in the user's health scope, each
with its evidence in plain words, and the check-ins not written by the application
(checkins.integrity), which carry no flag row but belong on the same page."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.checkins.integrity import Problem, problems_of
from campuscode.checkins.models import Checkin, Flag
from campuscode.checkins.selectors import scope_unit, unit_menu
from campuscode.people.access import Cap
from campuscode.people.models import OrgUnit, Person

TAMPERED = "tampered"  # the reason filter's value for "not written by the application"
MAX_DAYS = 92  # the longest period one page or export covers
DEFAULT_DAYS = 7


class Explained:
    ALL, YES, NO = "", "yes", "no"
    CHOICES = (ALL, YES, NO)


@dataclass
class FlagFilter:
    first: date
    last: date
    reason: str = ""
    unit: OrgUnit | None = None
    explained: str = Explained.ALL
    # The unit filter as a hierarchy (selectors.unit_menu): up, the current one, below.
    menu: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def audit_data(self) -> dict:
        return {
            "first": str(self.first),
            "last": str(self.last),
            "reason": self.reason,
            "unit": self.unit.pk if self.unit else None,
            "explained": self.explained,
        }


def reasons() -> list[tuple[str, str]]:
    return [*Flag.Reason.choices, (TAMPERED, _("Not written by the application"))]


def parse_filter(user, query) -> FlagFilter:
    """The page's filters from the query string; anything invalid is left out with a
    message, never an error page."""
    today = timezone.localdate()
    errors = []

    def day_of(name: str, default: date) -> date:
        raw = (query.get(name) or "").strip()
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append(_("%(value)s is not a date like 2026-03-02.") % {"value": raw[:20]})
            return default

    last = day_of("last", today)
    first = day_of("first", last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        first, last = last, first
    if (last - first).days >= MAX_DAYS:
        first = last - timedelta(days=MAX_DAYS - 1)
        errors.append(
            _("One page covers at most %(days)s days; the period was shortened.")
            % {"days": MAX_DAYS}
        )
    reason = query.get("reason", "")
    if reason and reason not in {value for value, _label in reasons()}:
        errors.append(_("Unknown reason; all reasons are shown."))
        reason = ""
    unit = None
    if unit_id := query.get("unit"):
        unit = scope_unit(user, unit_id)
        if unit is None:
            errors.append(_("That unit is not in your scope; all your units are shown."))
    explained = query.get("explained", "")
    if explained not in Explained.CHOICES:
        explained = Explained.ALL
    return FlagFilter(
        first=first,
        last=last,
        reason=reason,
        unit=unit,
        explained=explained,
        menu=unit_menu(user, unit),
        errors=errors,
    )


def flags_for(user, flt: FlagFilter):
    """The flags the user may read (Flag.objects.visible_to), filtered, newest first."""
    rows = (
        Flag.objects.visible_to(user, Cap.VIEW_HEALTH)
        .filter(checkin__day__gte=flt.first, checkin__day__lte=flt.last)
        .select_related("checkin", "checkin__person", "checkin__person__org_unit", "checkin__point")
        .order_by("-checkin__at", "-pk")
    )
    if flt.reason:
        rows = rows.filter(reason=flt.reason)
    if flt.unit is not None:
        rows = rows.filter(checkin__person__org_unit__path__startswith=flt.unit.path)
    if flt.explained == Explained.YES:
        rows = rows.filter(explained_at__isnull=False)
    elif flt.explained == Explained.NO:
        rows = rows.filter(explained_at__isnull=True)
    return rows


def tampered_for(user, flt: FlagFilter) -> list[Checkin]:
    """The check-ins in scope and period whose integrity code is missing or wrong. Each
    row's code is computed here, so only when this filter is asked for."""
    rows = (
        Checkin.objects.visible_to(user, Cap.VIEW_HEALTH)
        .filter(day__gte=flt.first, day__lte=flt.last)
        .select_related("person", "person__org_unit", "point")
        .order_by("-at", "-pk")
    )
    if flt.unit is not None:
        rows = rows.filter(person__org_unit__path__startswith=flt.unit.path)
    if flt.explained == Explained.YES:  # nobody explains an integrity failure away
        return []
    rows = list(rows)
    problems = problems_of(rows)
    for checkin in rows:
        checkin.problem = problems.get(checkin.pk)
    return [c for c in rows if c.problem]


@dataclass
class FlagRow:
    checkin: Checkin
    reason: str
    label: str
    evidence: list[str]
    flag: Flag | None = None

    @property
    def person(self) -> Person:
        return self.checkin.person


def rows_of(user, items) -> list[FlagRow]:
    """Flags (or tampered check-ins) of one page as rows with their evidence."""
    items = list(items)
    ids = {
        pk
        for item in items
        if isinstance(item, Flag)
        for pk in (item.detail or {}).get("people", [])
        if isinstance(pk, int)
    }
    names = dict(
        Person.objects.visible_to(user, Cap.VIEW_HEALTH)
        .filter(pk__in=ids)
        .values_list("pk", "name")
    )
    rows = []
    for item in items:
        if isinstance(item, Flag):
            rows.append(
                FlagRow(
                    item.checkin,
                    item.reason,
                    str(item.get_reason_display()),
                    evidence(item, names),
                    item,
                )
            )
        else:
            rows.append(
                FlagRow(
                    item,
                    TAMPERED,
                    _("Not written by the application"),
                    [*_common(item), _tampered_words(item)],
                )
            )
    return rows


def _tampered_words(checkin: Checkin) -> str:
    return str(Problem(getattr(checkin, "problem", None) or Problem.UNSIGNED).label)


def _local(moment) -> str:
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return ""
    return timezone.localtime(moment).strftime("%H:%M:%S")


def _common(checkin: Checkin) -> list[str]:
    lines = [
        _("Time: %(at)s") % {"at": timezone.localtime(checkin.at).strftime("%Y-%m-%d %H:%M:%S")}
    ]
    if checkin.point_id:
        lines.append(_("Point: %(point)s") % {"point": checkin.point.name})
    if checkin.ip:
        lines.append(_("Network address: %(ip)s") % {"ip": checkin.ip})
    return lines


def phone_words(label: dict) -> str:
    """A phone as its browser described it: model, system, browser, screen."""
    browsers = {"wechat": _("WeChat"), "dingtalk": _("DingTalk")}
    parts = [label.get("model", ""), label.get("os", "")]
    if browser := label.get("browser"):
        parts.append(browsers.get(browser, browser))
    if screen := label.get("screen"):
        parts.append(_("screen %(size)s") % {"size": screen})
    if label.get("agent") == "none":
        parts.append(_("no browser name sent (a script?)"))
    return " · ".join(p for p in parts if p) or _("not known")


def evidence(flag: Flag, names: dict[int, str]) -> list[str]:
    """The flag's evidence in plain words, for the page and the export."""
    detail = flag.detail or {}
    checkin = flag.checkin
    lines = _common(checkin)
    reason = flag.reason
    if reason in (Flag.Reason.SHARED_DEVICE, Flag.Reason.ADDRESS_BURST) and detail:
        if detail.get("phone") is not None:
            lines.append(_("Phone: %(phone)s") % {"phone": phone_words(detail["phone"])})
        values = {
            "n": detail.get("accounts", ""),
            "minutes": detail.get("minutes", ""),
            "first": _local(detail.get("first", "")),
            "last": _local(detail.get("last", "")),
        }
        if reason == Flag.Reason.ADDRESS_BURST:
            lines.append(
                _(
                    "%(n)s accounts were sent from one phone on this address within "
                    "%(minutes)s minutes (%(first)s to %(last)s). Many different phones "
                    "behind one address are not counted."
                )
                % values
            )
        elif detail.get("how") == "cookie":
            lines.append(
                _(
                    "The same browser (the same device cookie) checked in %(n)s accounts in this window."
                )
                % values
            )
        else:
            lines.append(
                _(
                    "The same address, browser and screen checked in %(n)s accounts within "
                    "%(minutes)s minutes (%(first)s to %(last)s)."
                )
                % values
            )
        if detail.get("new_device"):
            lines.append(_("The phone's cookies had just been cleared, or a private tab was used."))
        people = [pk for pk in detail.get("people", []) if pk != checkin.person_id]
        shown = [names[pk] for pk in people if pk in names]
        if shown or people:
            text = _("Other accounts: %(names)s") % {"names": "、".join(shown) or "—"}
            if hidden := len(people) - len(shown):
                text += _(" (and %(n)s outside your scope)") % {"n": hidden}
            lines.append(text)
    elif reason in (Flag.Reason.SHARED_DEVICE, Flag.Reason.ADDRESS_BURST):
        lines.append(_("Found before the evidence was recorded in detail."))
    elif reason == Flag.Reason.NOT_OPENED:
        lines.append(
            _(
                "The form was sent without this browser having opened the point's code "
                "first: a script, or a link passed on."
            )
        )
    elif reason == Flag.Reason.ISOLATED:
        lines.append(
            _("Under isolation or observation at %(place)s from %(since)s to %(until)s.")
            % {
                "place": detail.get("place", ""),
                "since": detail.get("since", ""),
                "until": detail.get("until", ""),
            }
        )
    if "distance_m" in detail:  # presence evidence (checkins.evidence), when recorded
        text = _("Distance from the point: %(m)s m") % {"m": detail["distance_m"]}
        if "accuracy_m" in detail:
            text += _(" (location accuracy %(m)s m)") % {"m": detail["accuracy_m"]}
        lines.append(text)
    if checkin.superseded_at:
        lines.append(
            _("Replaced by a correction at %(at)s; the flag stays with the window.")
            % {"at": timezone.localtime(checkin.superseded_at).strftime("%H:%M")}
        )
    return lines
