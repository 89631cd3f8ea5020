"""The school's rules that the regulation leaves as placeholders, as typed settings.

`SPECS` declares every rule with its default and limits; `get_setting()` returns the
admin's value or the default. Nothing else in the code keeps these as constants.
"""

import re
import time as clock
import unicodedata
from dataclasses import dataclass
from datetime import time
from typing import Any

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

CACHE_KEY = "core.settings.v1"


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    label: str
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None

    @property
    def kind(self) -> type:
        return type(self.default)

    def clean(self, raw: Any) -> Any:
        """Turn a submitted value into the declared type, or raise ValidationError."""
        try:
            if self.kind is bool:
                value = raw is True or str(raw).strip().lower() in {"on", "true", "1", "yes"}
            else:
                value = (
                    self.kind(str(raw).strip().replace("，", ","))
                    if self.kind is not str
                    else str(raw).strip()
                )
        except (TypeError, ValueError):
            raise ValidationError(
                _("%(label)s: enter a valid value."), params={"label": self.label}
            ) from None
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(
                _("%(label)s must be at least %(min)s."),
                params={"label": self.label, "min": self.minimum},
            )
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(
                _("%(label)s must be at most %(max)s."),
                params={"label": self.label, "max": self.maximum},
            )
        return value

    def to_python(self, stored: Any) -> Any:
        """The stored (JSON) value as code uses it; plain values are already typed."""
        return stored

    def field_options(self) -> dict[str, Any]:
        return {"label": self.label, "help_text": self.help}

    def form_field(self) -> forms.Field:
        """The settings form's field for this rule; its cleaned value is what is stored."""
        if self.kind is bool:
            return forms.BooleanField(required=False, **self.field_options())
        if self.kind in (int, float):
            field = forms.IntegerField if self.kind is int else forms.FloatField
            return field(min_value=self.minimum, max_value=self.maximum, **self.field_options())
        return forms.CharField(max_length=200, **self.field_options())

    def to_text(self, stored: Any) -> str:
        """The stored value as the settings form shows it."""
        return "" if stored is None else str(stored)


# Times of day are stored as text ('07:00-10:00', '23:00', '08:00,16:00': what the admin
# reads on the settings page and in the audit log) and handed to code as datetime.time
# values by `to_python`; no other module parses them.

_TIME = re.compile(r"(\d{1,2}):(\d{2})")


def _normal_text(raw: Any) -> str:
    return (
        unicodedata.normalize("NFKC", str(raw or ""))
        .replace(" ", "")
        .replace("~", "-")
        .replace("、", ",")
        .replace("–", "-")
        .replace("—", "-")
    )


def _time_of(part: str, *, label: str) -> time:
    match = _TIME.fullmatch(part)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValidationError(
            _("%(label)s: %(value)s is not a time like 08:00."),
            params={"label": label, "value": part},
        )
    return time(int(match[1]), int(match[2]))


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


class SpecTextField(forms.CharField):
    """A rule kept as text (times of day): its spec turns what the admin typed (full-width
    digits and colons, '~' or '、' included) into the stored form, or says what is wrong."""

    def __init__(self, *, spec: SettingSpec, placeholder: str, **kwargs):
        self.spec = spec
        super().__init__(required=False, max_length=200, **kwargs)
        self.widget.attrs.update(placeholder=placeholder, autocomplete="off")

    def clean(self, value: Any) -> str:
        return self.spec.clean(value)


class TimeRangeField(SpecTextField):
    """A daily window 'HH:MM-HH:MM' (blank: none), stored normalised."""


class TimeListField(SpecTextField):
    """Times of day 'HH:MM,HH:MM', stored sorted and normalised."""


class TimeOfDayField(forms.TimeField):
    """A time of day, shown as the browser's time picker, stored as 'HH:MM'."""

    widget = forms.TimeInput(format="%H:%M", attrs={"type": "time"})

    def to_python(self, value: Any):
        return super().to_python(_normal_text(value) if isinstance(value, str) else value)

    def clean(self, value: Any) -> str:
        return _hhmm(super().clean(value))


class TimeRangeSpec(SettingSpec):
    """A daily window in the school's time zone, as (start, end) times; blank means none."""

    def clean(self, raw: Any) -> Any:
        text = _normal_text(raw)
        if not text:
            return ""
        parts = text.split("-")
        if len(parts) != 2:
            raise ValidationError(
                _("%(label)s: enter a window like 07:00-10:00, or leave it blank."),
                params={"label": self.label},
            )
        start, end = (_time_of(part, label=self.label) for part in parts)
        if end <= start:
            raise ValidationError(
                _(
                    "%(label)s: the window is reversed: it ends at %(end)s, before it starts "
                    "at %(start)s. Put the start first, like 07:00-10:00."
                ),
                params={"label": self.label, "start": _hhmm(start), "end": _hhmm(end)},
            )
        return f"{_hhmm(start)}-{_hhmm(end)}"

    def form_field(self) -> forms.Field:
        return TimeRangeField(spec=self, placeholder="07:00-10:00", **self.field_options())

    def to_python(self, stored: Any) -> tuple[time, time] | None:
        if not stored:
            return None
        start, end = str(stored).split("-")
        return time.fromisoformat(start), time.fromisoformat(end)


class TimeOfDaySpec(SettingSpec):
    """A time of day in the school's time zone, as a datetime.time."""

    def clean(self, raw: Any) -> Any:
        text = _normal_text(raw)
        if not text or "," in text:
            raise ValidationError(
                _("%(label)s: enter a time like 23:00."), params={"label": self.label}
            )
        return _hhmm(_time_of(text, label=self.label))

    def form_field(self) -> forms.Field:
        return TimeOfDayField(**self.field_options())

    def to_python(self, stored: Any) -> time:
        return time.fromisoformat(str(stored))


class TimeListSpec(SettingSpec):
    """Times of day, sorted, at least one; code gets a tuple of datetime.time."""

    def clean(self, raw: Any) -> Any:
        times = {_time_of(part, label=self.label) for part in _normal_text(raw).split(",") if part}
        if not times:
            raise ValidationError(
                _("%(label)s: enter times like 08:00,16:00."), params={"label": self.label}
            )
        return ",".join(_hhmm(t) for t in sorted(times))

    def form_field(self) -> forms.Field:
        return TimeListField(spec=self, placeholder="08:00,16:00", **self.field_options())

    def to_python(self, stored: Any) -> tuple[time, ...]:
        return tuple(time.fromisoformat(part) for part in str(stored).split(",") if part)


ATTENDANCE_STATUSES = ("present", "late", "left_early", "absent", "excused")


# The labels the settings page shows for them (the same words as attendance.models.Status).
ATTENDANCE_STATUS_LABELS = {
    "present": pgettext_lazy("attendance", "Present"),
    "late": pgettext_lazy("attendance", "Late"),
    "left_early": pgettext_lazy("attendance", "Left early"),
    "absent": pgettext_lazy("attendance", "Absent"),
    "excused": pgettext_lazy("attendance", "Excused"),
}


class StatusListField(forms.MultipleChoiceField):
    """Tick boxes with the statuses' names; stored as the spec's comma-separated text."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, spec: SettingSpec, **kwargs):
        self.spec = spec
        choices = [(s, ATTENDANCE_STATUS_LABELS[s]) for s in ATTENDANCE_STATUSES]
        super().__init__(required=False, choices=choices, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return str(value).split(",") if isinstance(value, str) else value

    def to_python(self, value: Any) -> list[str]:
        # Ticked boxes arrive one value each; a script may post the stored text at once.
        return [part for item in super().to_python(value) for part in item.split(",") if part]

    def clean(self, value: Any) -> str:
        return self.spec.clean(super().clean(value))


class StatusListSpec(SettingSpec):
    """Attendance statuses a school uses, from the fixed set; code gets a tuple."""

    def form_field(self) -> forms.Field:
        return StatusListField(spec=self, **self.field_options())

    def clean(self, raw: Any) -> Any:
        if isinstance(raw, list | tuple):
            raw = ",".join(raw)
        parts = [p for p in _normal_text(raw).replace("，", ",").split(",") if p]
        if bad := [p for p in parts if p not in ATTENDANCE_STATUSES]:
            raise ValidationError(
                _("%(label)s: unknown status %(value)s."),
                params={"label": self.label, "value": "、".join(bad)},
            )
        chosen = {*parts, "present", "absent"}
        return ",".join(s for s in ATTENDANCE_STATUSES if s in chosen)

    def to_python(self, stored: Any) -> tuple[str, ...]:
        return tuple(p for p in str(stored).split(",") if p)


class ChoiceSpec(SettingSpec):
    """One of a fixed list of values, shown as a drop-down. `choices` names, as a dotted
    path, a function returning (value, label) pairs: read when used, so the app that owns
    the values need not be imported while the rules load."""

    def __init__(self, key, default, label, help="", *, choices: str):
        super().__init__(key, default, label, help)
        object.__setattr__(self, "choices_path", choices)

    @property
    def choices(self) -> list[tuple[str, str]]:
        from django.utils.module_loading import import_string

        return list(import_string(self.choices_path)())

    def clean(self, raw: Any) -> Any:
        value = str(raw or "").strip()
        if value not in {choice for choice, _label in self.choices}:
            raise ValidationError(
                _("%(label)s: choose one of the listed values."), params={"label": self.label}
            )
        return value

    def form_field(self) -> forms.Field:
        return forms.ChoiceField(choices=self.choices, **self.field_options())


def check_together(values: dict[str, Any]) -> dict[str, str]:
    """Rules that are each valid but break the school together: {key: message}.

    `values` holds every rule as stored (text for times), e.g. the settings form's.
    """
    errors: dict[str, str] = {}
    refresh, lifetime = values["code_refresh_seconds"], values["code_lifetime_seconds"]
    if lifetime <= refresh:
        errors["code_lifetime_seconds"] = str(
            _(
                "The campus code validity (%(lifetime)s seconds) must be longer than its "
                "refresh interval (%(refresh)s seconds); otherwise codes expire while still "
                "on screen and the gates refuse them."
            )
            % {"lifetime": lifetime, "refresh": refresh}
        )
    for group in ("student", "staff", "other"):
        morning_key, afternoon_key = f"checkin_morning_{group}", f"checkin_afternoon_{group}"
        morning = SPECS[morning_key].to_python(values[morning_key])
        afternoon = SPECS[afternoon_key].to_python(values[afternoon_key])
        if morning and afternoon and afternoon[0] < morning[1]:
            errors[afternoon_key] = str(
                _(
                    "%(label)s: %(afternoon)s starts before the morning window "
                    "%(morning)s ends. The afternoon window must start after the morning one."
                )
                % {
                    "label": SPECS[afternoon_key].label,
                    "afternoon": values[afternoon_key],
                    "morning": values[morning_key],
                }
            )
    # Violations (R8.2): a type's range must run from the mildest step to the severest.
    from campuscode.violations.models import LADDER

    for kind in ("missed", "false", "borrowed", "device", "other"):
        low, high = f"violation_{kind}_lowest", f"violation_{kind}_highest"
        both = values[low] in LADDER and values[high] in LADDER
        if both and LADDER.index(values[low]) > LADDER.index(values[high]):
            errors[high] = str(
                _("%(label)s is milder than the mildest step of the same type.")
                % {"label": SPECS[high].label}
            )
    return errors


# The settings page shows the rules in these sections, by key prefix.
SECTIONS = [
    ("code_", _("Campus code")),
    ("session_", _("Sign-in")),
    ("claim_", _("Claiming accounts")),
    ("roster_", _("Roster import")),
    ("checkin_", _("Health check-in")),
    ("health_", _("Health status")),
    ("followup_", _("Exceptions and follow-up")),
    ("isolation_", _("Isolation and observation")),
    ("gate_", _("Gates")),
    ("privacy_", _("Personal data protection")),
    ("audit_", _("Audit log")),
    ("anomaly_", _("Anomaly cases")),
    ("notify_", _("Notifications")),
    ("backup_", _("Backups")),
    ("attendance_", _("Class attendance")),  # attendance (issue 11)
    ("analytics_", _("Analysis and reports")),  # analytics
    ("casework_", _("Deadlines and reminders")),
    ("supervision_", _("Supervision")),
    ("event_", _("Events")),  # events (R2.5)
    ("violation_", _("Violations")),
    ("", _("Regulation")),
]


def section_of(key: str) -> str:
    return next(str(label) for prefix, label in SECTIONS if key.startswith(prefix))


SPECS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in [
        SettingSpec(
            "code_refresh_seconds",
            30,
            _("Campus code refresh interval (seconds)"),
            _("How often the 'my code' page draws a new code."),
            10,
            600,
        ),
        SettingSpec(
            "code_lifetime_seconds",
            90,
            _("Campus code validity (seconds)"),
            _("A code older than this fails verification as expired, so screenshots stop working."),
            15,
            3600,
        ),
        SettingSpec(
            "session_idle_minutes",
            30,
            _("Idle sign-out for staff roles (minutes)"),
            _("Sessions of roles that can see other people's data end after this idle time."),
            5,
            720,
        ),
        SettingSpec(
            "session_require_second_factor",
            True,
            _("Two-factor sign-in required for staff roles"),
            _(
                "Accounts whose roles read other people's data must set up an authenticator "
                "app and enter its code at sign-in before any other page opens."
            ),
        ),
        SettingSpec(
            "claim_code_minutes",
            10,
            _("Claim one-time code validity (minutes)"),
            "",
            2,
            60,
        ),
        SettingSpec(
            "claim_max_failures",
            5,
            _("Claim attempts before lock"),
            _("Failed identity checks or wrong one-time codes per account before it locks."),
            3,
            20,
        ),
        SettingSpec("claim_lock_minutes", 30, _("Claim lock duration (minutes)"), "", 1, 1440),
        # accounts: claim limits (R3.4)
        SettingSpec(
            "claim_failure_window_minutes",
            60,
            _("Claim failure counting window (minutes)"),
            _("Failed claim attempts older than this no longer count towards the lock."),
            5,
            1440,
        ),
        SettingSpec(
            "claim_address_failures_per_hour",
            50,
            _("Claim failures per network address per hour"),
            _("Failed claims from one address beyond this are refused until the hour is over."),
            5,
            1000,
        ),
        SettingSpec(
            "claim_resend_seconds",
            60,
            _("Wait before a new one-time code can be sent (seconds)"),
            "",
            15,
            600,
        ),
        SettingSpec(
            "claim_codes_per_hour",
            5,
            _("One-time codes per account per hour"),
            "",
            1,
            20,
        ),
        SettingSpec(
            "interpreting_department",
            "学校办公室",
            _("Interpreting department"),
            _("The department named as interpreter of these rules."),
        ),
        # gates
        SettingSpec(
            "gate_heartbeat_silence_minutes",
            5,
            _("Gate silence before an alert (minutes)"),
            _("A gate device without a heartbeat for longer raises an alert to security staff."),
            1,
            1440,
        ),
        SettingSpec(
            "gate_snapshot_max_age_minutes",
            240,
            _("Offline gate data maximum age (minutes)"),
            _("An offline gate whose snapshot is older refuses with 'stale' (or degrades, below)."),
            5,
            10080,
        ),
        SettingSpec(
            "gate_degraded_mode",
            False,
            _("Offline gates may run degraded when their data is stale"),
            _("If on, a stale offline gate still admits codes with a valid signature, flagged."),
        ),
        SettingSpec(
            "gate_passback_minutes",
            240,
            _("Anti-passback: no second entry without an exit for (minutes)"),
            _(
                "After an entry through any gate of a campus, the same person cannot enter "
                "that campus again until an exit is recorded or this time has passed. "
                "0 turns anti-passback off."
            ),
            0,
            1440,
        ),
        SettingSpec(
            "gate_min_travel_minutes",
            2,
            _("Shortest walk between two campus gates (minutes)"),
            _(
                "A code scanned at a campus gate is refused, and security staff alerted, "
                "when the same person's code was scanned at another campus gate less than "
                "this long before. 0 turns the check off."
            ),
            0,
            60,
        ),
        TimeOfDaySpec(
            "gate_dorm_curfew_starts",
            "23:00",
            _("Default dormitory curfew start (HH:MM)"),
            _("Entry from then on is allowed but flagged, unless a dormitory sets its own."),
        ),
        TimeOfDaySpec(
            "gate_dorm_curfew_ends",
            "06:00",
            _("Default dormitory curfew end (HH:MM)"),
        ),
        # checkins (issue 3): windows per person kind (R4.1), the form (R5.1), points, flags
        TimeRangeSpec(
            "checkin_morning_student", "07:00-10:00", _("Morning check-in window, students")
        ),
        TimeRangeSpec(
            "checkin_afternoon_student", "12:00-15:00", _("Afternoon check-in window, students")
        ),
        TimeRangeSpec("checkin_morning_staff", "07:00-10:00", _("Morning check-in window, staff")),
        TimeRangeSpec(
            "checkin_afternoon_staff", "12:00-15:00", _("Afternoon check-in window, staff")
        ),
        TimeRangeSpec(
            "checkin_morning_other",
            "07:00-10:00",
            _("Morning check-in window, temporary workers and visitors"),
        ),
        TimeRangeSpec(
            "checkin_afternoon_other",
            "12:00-15:00",
            _("Afternoon check-in window, temporary workers and visitors"),
            _("Blank: no check-in in that window for these people."),
        ),
        SettingSpec(
            "checkin_temperature_min", 34.0, _("Lowest plausible temperature (°C)"), "", 30, 37
        ),
        SettingSpec(
            "checkin_temperature_max", 42.5, _("Highest plausible temperature (°C)"), "", 38, 45
        ),
        SettingSpec(
            "checkin_measure_minutes",
            5,
            _("Measure the temperature for at least (minutes)"),
            _("Shown on the check-in form."),
            1,
            30,
        ),
        SettingSpec(
            "checkin_point_step_seconds",
            20,
            _("Check-in point code rotation (seconds)"),
            _("A point's screen shows a new code this often; a code is accepted for two steps."),
            5,
            300,
        ),
        SettingSpec(
            "checkin_kiosk_silence_minutes",
            3,
            _("Check-in point screen silent after (minutes)"),
            _(
                "A registered screen not heard from for this long raises an alert on the check-in points page."
            ),
            1,
            120,
        ),
        SettingSpec(
            "checkin_form_minutes",
            10,
            _("Time to fill in the check-in form (minutes)"),
            _(
                "After scanning a point's code, the form must be sent from the same browser within this time."
            ),
            1,
            60,
        ),
        SettingSpec(
            "checkin_reminder_minutes",
            30,
            _("Remind those who have not checked in (minutes before the window closes)"),
            "",
            5,
            240,
        ),
        SettingSpec(
            "checkin_shared_minutes",
            30,
            _("One phone for several accounts: time span (minutes)"),
            _(
                "Check-ins of other accounts at the same point, from the same network address "
                "and the same browser and screen within this time, are flagged when the "
                "phone's cookies were just cleared or it used a private tab."
            ),
            1,
            240,
        ),
        SettingSpec(
            "checkin_burst_minutes",
            10,
            _("Accounts from one phone: sliding window (minutes)"),
            _(
                "Within any span of this length, check-ins at one point from one network "
                "address are counted per phone; many phones behind one address (a dormitory "
                "or the campus Wi-Fi) are not suspect."
            ),
            1,
            120,
        ),
        SettingSpec(
            "checkin_location_max_accuracy_m",
            100,
            _("Location evidence: worst accepted accuracy (m)"),
            _(
                "At points that take the phone's location as evidence, a location less "
                "precise than this counts as no location."
            ),
            10,
            5000,
        ),
        SettingSpec(
            "checkin_scan_grant_minutes",
            5,
            _("After the point's scanner reads a code, the form stays open for (minutes)"),
            "",
            1,
            30,
        ),
        SettingSpec(
            "checkin_burst_accounts",
            3,
            _("Accounts from one phone: number of accounts flagged"),
            _(
                "This many accounts or more sent from one phone within the window above are flagged."
            ),
            2,
            100,
        ),
        SettingSpec(
            "checkin_list_unit_rows",
            100,
            _("Check-in lists: most units listed one by one"),
            _(
                "When a list covers more units with people than this (a whole school), it "
                "shows the units one level down with their totals, each opening its own list."
            ),
            10,
            2000,
        ),
        SettingSpec(
            "checkin_isolated_refuse",
            True,
            _("Refuse check-ins at points from people under isolation or observation"),
            _(
                "If on, the check-in is refused; if off, it is stored and flagged. Either way "
                "the health office is alerted at once."
            ),
        ),
        SettingSpec(
            "health_yellow_temperature",
            37.3,
            _("Temperature from which the code turns yellow (°C)"),
            _("Also counts as fever for the red rule 'fever with breathing difficulty'."),
            36.0,
            40.0,
        ),
        # roster
        SettingSpec(
            "roster_max_upload_mb",
            20,
            _("Largest roster file to import (MB)"),
            _("An XLSX of 50,000 people is about 3 MB."),
            1,
            200,
        ),
        # followup (issue 4): exceptions and follow-up (R4.2, R4.6, R5.3, R5.5)
        SettingSpec(
            "followup_makeup_hours",
            48,
            _("Make-up check-in allowed for (hours after the window closed)"),
            _("Also the latest a manual registration may be recorded for a past window."),
            1,
            720,
        ),
        SettingSpec(
            "followup_attachment_max_mb",
            5,
            _("Largest photo of a medical note (MB)"),
            _("A phone photo is usually 2 to 5 MB."),
            1,
            20,
        ),
        # Pillow itself refuses above about 89 million pixels (a decompression bomb).
        SettingSpec(
            "followup_attachment_max_megapixels",
            40,
            _("Largest photo of a medical note (million pixels)"),
            _("Most phones save photos of about 12 million pixels."),
            1,
            80,
        ),
        SettingSpec(
            "followup_report_max_days",
            14,
            _("Longest advance report (days)"),
            "",
            1,
            90,
        ),
        # notify: text messages, e-mail and group robots, retried when a send fails
        SettingSpec(
            "notify_retry_minutes",
            1,
            _("First retry of a failed message after (minutes)"),
            _("Each further retry waits twice as long as the one before."),
            1,
            60,
        ),
        SettingSpec(
            "notify_max_attempts",
            6,
            _("Attempts to send a message before it is reported as failed"),
            _("Failed messages are listed for the system administrator."),
            1,
            20,
        ),
        SettingSpec(
            "followup_manual_limit",
            5,
            _("Manual registrations per person before the department is alerted"),
            _("More than this many in the period below flags the person to their department."),
            1,
            100,
        ),
        SettingSpec(
            "followup_manual_period_days",
            30,
            _("Period for counting manual registrations (days)"),
            "",
            1,
            365,
        ),
        SettingSpec(
            "followup_persistent_checkins",
            3,
            _("Persistent symptoms: same symptom on this many check-ins in a row"),
            _("Opens a follow-up case for the health office and the department."),
            2,
            20,
        ),
        TimeListSpec(
            "isolation_report_times",
            "08:00,16:00",
            _("Health report times during isolation (HH:MM, comma-separated)"),
            _("A person under isolation or observation sends one report for each time."),
        ),
        SettingSpec(
            "isolation_report_grace_minutes",
            120,
            _("A report counts as missing this long after its time (minutes)"),
            "",
            10,
            720,
        ),
        # privacy (issue 8): retention and the bulk-read alert (PIPL Art. 19, 51)
        SettingSpec(
            "privacy_retention_days",
            180,
            _("Keep health records for (days)"),
            _(
                "Check-ins, advance reports and make-ups, closed follow-up cases with their "
                "photos and ended isolations older than this are deleted every night. Open "
                "cases and current isolations are kept."
            ),
            30,
            3650,
        ),
        SettingSpec(
            "privacy_gate_retention_days",
            180,
            _("Keep the person on entry/exit records for (days)"),
            _(
                "Older entries and exits keep place, time and outcome for statistics, "
                "without the person."
            ),
            30,
            3650,
        ),
        SettingSpec(
            "privacy_alert_people",
            200,
            _("Bulk-read alert: number of people"),
            _(
                "An account that reads or exports the data of this many people within the "
                "time below raises an alert to the security admin."
            ),
            10,
            100000,
        ),
        SettingSpec(
            "privacy_alert_minutes",
            10,
            _("Bulk-read alert: time span (minutes)"),
            "",
            1,
            1440,
        ),
        SettingSpec(
            "audit_retention_months",
            6,
            _("Keep the audit log for (months)"),
            _("Older entries are removed by a daily job; the law asks for at least 6 months."),
            6,
            120,
        ),
        # R6.4: anomaly cases.
        SettingSpec(
            "anomaly_missed_days",
            3,
            _("Anomaly: school days in a row without a check-in"),
            _(
                "Holidays, approved advance reports, isolation and days before a person was "
                "registered do not count."
            ),
            1,
            30,
        ),
        SettingSpec(
            "anomaly_lookback_days",
            21,
            _("Anomaly: days the daily run looks back for missed check-ins"),
            "",
            7,
            90,
        ),
        SettingSpec(
            "anomaly_health_days",
            2,
            _("Anomaly: days the daily run looks back for abnormal health data"),
            _("A temperature from the yellow-code temperature up, a symptom, or a contact."),
            1,
            30,
        ),
        SettingSpec(
            "anomaly_contact_days",
            14,
            _("Anomaly: a contact with a case counts for (days)"),
            "",
            1,
            60,
        ),
        SettingSpec(
            "anomaly_deadline_days",
            3,
            _("Anomaly: days to verify and handle a case"),
            "",
            1,
            60,
        ),
        SettingSpec(
            "backup_every_hours",
            24,
            _("Make a backup every (hours)"),
            _("An encrypted backup of the database, uploads and keys is made this often."),
            1,
            168,
        ),
        SettingSpec("backup_keep_daily", 7, _("Backups kept: one a day, for (days)"), "", 1, 365),
        SettingSpec(
            "backup_keep_weekly", 4, _("Backups kept: one a week, for (weeks)"), "", 0, 104
        ),
        SettingSpec(
            "backup_keep_monthly", 6, _("Backups kept: one a month, for (months)"), "", 0, 120
        ),
        # backups: verified restores and the missed-backup alert
        SettingSpec(
            "backup_verify_every_days",
            7,
            _("Restore the latest backup into a scratch database and check it every (days)"),
            _("Proves the backups can bring the site back; a failure alerts the system admins."),
            1,
            90,
        ),
        SettingSpec(
            "backup_missed_grace_hours",
            2,
            _("Alert when no backup was made for the backup period plus (hours)"),
            _("Told to the system admins and the security admins, once per missed backup."),
            0,
            72,
        ),
        # analytics (R6.3): small groups, rankings, how far back corrections reach.
        SettingSpec(
            "analytics_min_group",
            5,
            _("Analysis: hide figures about fewer people than"),
            _(
                "A group smaller than this, and a count of fevers, symptoms, isolations or "
                "red codes below it, is shown as '<N' on dashboards, exports and reports."
            ),
            2,
            50,
        ),
        SettingSpec(
            "analytics_rank_units",
            False,
            _("Analysis: rank classes and departments by check-in rate"),
            _("Off by default: rankings push classes to chase numbers rather than health."),
        ),
        SettingSpec(
            "analytics_refresh_days",
            7,
            _("Analysis: days recounted each night"),
            _("Late make-ups and approvals change past days; these are counted again nightly."),
            1,
            62,
        ),
        # R7.5: reminders and escalation of deadlines (casework engine).
        SettingSpec(
            "casework_remind_before_days",
            3,
            _("Remind this many days before a deadline"),
            _("Besides the reminder when it is issued and on the deadline day."),
            1,
            30,
        ),
        SettingSpec(
            "casework_escalate_unit_head_days",
            1,
            _("Overdue: tell the unit head after (days)"),
            _("Counted from the deadline day; 0 tells them as soon as the deadline passes."),
            0,
            30,
        ),
        SettingSpec(
            "casework_escalate_group_lead_days",
            3,
            _("Overdue: tell the group lead after (days)"),
            _("Counted from the deadline day."),
            0,
            60,
        ),
        # R7.5: rectification notices.
        SettingSpec(
            "supervision_notice_prefix",
            "校督整",
            _("Rectification notice: number prefix"),
            _("Numbers read like 校督整〔2026〕3号."),
        ),
        SettingSpec(
            "supervision_deadline_minor_days",
            15,
            _("Rectification time, minor finding (days)"),
            "",
            1,
            180,
        ),
        SettingSpec(
            "supervision_deadline_major_days",
            7,
            _("Rectification time, major finding (days)"),
            "",
            1,
            180,
        ),
        SettingSpec(
            "supervision_deadline_critical_days",
            3,
            _("Rectification time, critical finding (days)"),
            "",
            1,
            180,
        ),
        SettingSpec(
            "supervision_min_inspectors", 2, _("Spot check: inspectors drawn, at least"), "", 2, 10
        ),
        # R7.2: when a data check counts an approval as overdue.
        SettingSpec(
            "supervision_overdue_report_days",
            0,
            _("Data checks: an advance report is overdue this many days after its first day"),
            _("0: overdue when still undecided on the day it starts."),
            0,
            30,
        ),
        SettingSpec(
            "supervision_overdue_makeup_days",
            1,
            _("Data checks: a make-up request is overdue when undecided for more than (days)"),
            _("Counted from when it was sent."),
            0,
            30,
        ),
        # anomalies2 (R6.4): more detectors of anomaly cases, and reminders.
        SettingSpec(
            "anomaly_rate_percent",
            60,
            _("Anomaly: check-in rate below (%)"),
            _(
                "A case opens for someone who did fewer of the check-ins due than this over "
                "the days below (holidays, approved advance reports and isolation left out)."
            ),
            1,
            100,
        ),
        SettingSpec(
            "anomaly_rate_days", 14, _("Anomaly: days the check-in rate is taken over"), "", 3, 90
        ),
        SettingSpec(
            "anomaly_rate_min_due",
            8,
            _("Anomaly: check-ins due before the rate counts"),
            _("Fewer check-ins due than this (a newcomer, a short term) opens no case."),
            1,
            500,
        ),
        SettingSpec(
            "anomaly_quality_days",
            28,
            _("Anomaly: days looked at for check-ins that seem automated"),
            "",
            7,
            90,
        ),
        SettingSpec(
            "anomaly_quality_min_checkins",
            10,
            _("Anomaly: check-ins needed before repeated answers or times count"),
            "",
            3,
            200,
        ),
        SettingSpec(
            "anomaly_same_share",
            95,
            _("Anomaly: the same answers in at least this share of check-ins (per cent)"),
            _(
                "The same temperature, symptoms and contact (or the same temperature alone) "
                "this often suggests values typed in without measuring."
            ),
            50,
            100,
        ),
        SettingSpec(
            "anomaly_uniform_min_checkins",
            40,
            _("Anomaly: check-ins needed to tell random temperatures"),
            _("Fewer readings cannot tell a random-number generator from a person."),
            20,
            500,
        ),
        SettingSpec(
            "anomaly_uniform_strength",
            10,
            _("Anomaly: how clearly temperatures must look random"),
            _(
                "How much better an even random spread explains the temperatures than a "
                "person's usual variation (hundredths per check-in). Higher opens fewer, "
                "surer cases."
            ),
            0,
            100,
        ),
        SettingSpec(
            "anomaly_same_time_days",
            5,
            _("Anomaly: check-ins at the same second of the day, at least"),
            "",
            3,
            60,
        ),
        SettingSpec(
            "anomaly_same_time_seconds",
            1,
            _("Anomaly: 'the same second' allows a difference of (seconds)"),
            "",
            0,
            60,
        ),
        SettingSpec(
            "anomaly_device_people",
            3,
            _("Anomaly: one phone checking in this many people"),
            _("Counted over the days looked at for automated check-ins."),
            2,
            100,
        ),
        SettingSpec(
            "anomaly_flagged_checkins",
            3,
            _("Anomaly: unexplained flags of another's phone or an unopened form, at least"),
            "",
            1,
            100,
        ),
        # attendance: consecutive class absences (R6.4)
        SettingSpec(
            "anomaly_class_absences",
            3,
            _("Anomaly: class sessions in a row absent without leave"),
            _("Sessions excused by an approved leave and cancelled sessions do not count."),
            2,
            30,
        ),
        SettingSpec(
            "anomaly_class_days",
            21,
            _("Anomaly: days the daily run looks back for class absences"),
            "",
            7,
            120,
        ),
        SettingSpec(
            "anomaly_remind_hours",
            24,
            _("Anomaly: remind those handling a case this many hours before its deadline"),
            _("Then once a day until the case is closed."),
            0,
            720,
        ),
        # attendance (issue 11): class attendance and the session engine (R2.4, R2.5)
        StatusListSpec(
            "attendance_statuses",
            "present,late,left_early,absent,excused",
            _("Attendance statuses in use"),
            _("Tick the ones the school uses. Present and absent are always used."),
        ),
        SettingSpec(
            "attendance_open_minutes",
            10,
            _("Attendance: signing in opens before the start (minutes)"),
            "",
            0,
            60,
        ),
        SettingSpec(
            "attendance_present_minutes",
            10,
            _("Attendance: present if signed in until the start plus (minutes)"),
            "",
            0,
            120,
        ),
        SettingSpec(
            "attendance_late_minutes",
            30,
            _("Attendance: late if signed in until the start plus (minutes)"),
            _("After this, students can no longer sign in themselves; the teacher marks them."),
            0,
            240,
        ),
        SettingSpec(
            "attendance_qr_step_seconds",
            10,
            _("Attendance: the session code on the screen changes every (seconds)"),
            "",
            5,
            120,
        ),
        SettingSpec(
            "attendance_qr_grace_steps",
            1,
            _("Attendance: a session code is still accepted this many changes later"),
            "",
            0,
            6,
        ),
        SettingSpec(
            "attendance_short_code_seconds",
            60,
            _("Attendance: the typed short code changes every (seconds)"),
            "",
            15,
            600,
        ),
        SettingSpec(
            "attendance_short_code_attempts",
            5,
            _("Attendance: typed codes per student per ten minutes"),
            "",
            2,
            50,
        ),
        SettingSpec(
            "attendance_retro_edit_days",
            7,
            _("Attendance: teachers may correct marks until (days after the session)"),
            _("Later corrections need the approval of the department admin."),
            0,
            365,
        ),
        SettingSpec(
            "attendance_makeup_days",
            7,
            _("Attendance: students may ask for a make-up sign-in until (days after)"),
            "",
            0,
            60,
        ),
        SettingSpec(
            "attendance_warning_rate",
            70,
            _("Attendance: warn below this attendance rate (%)"),
            _("Unmarked sessions count as absent."),
            0,
            100,
        ),
        SettingSpec(
            "attendance_warning_min_sessions",
            5,
            _("Attendance: warn about the rate only after this many sessions"),
            "",
            1,
            100,
        ),
        SettingSpec(
            "attendance_consecutive_absences",
            3,
            _("Attendance: warn after this many absences in a row"),
            "",
            1,
            30,
        ),
        # events (R2.5)
        SettingSpec(
            "event_offline_list_max_hours",
            12,
            _("Offline door scanner list maximum age (hours)"),
            _("A door scanner without network refuses everyone once its list is older than this."),
            1,
            168,
        ),
        SettingSpec(
            "event_review_days",
            7,
            _("Days an adviser has to review an absence from a mandatory event"),
            "",
            1,
            60,
        ),
        # R8: violations. Due-process deadlines, the ladder, terms, fines, retention.
        SettingSpec(
            "violation_statement_days",
            5,
            _("Violations: days to give a statement and defence after the notice"),
            _("The person is told the facts and their rights, then has this long to answer."),
            1,
            60,
        ),
        SettingSpec(
            "violation_appeal_days",
            10,
            _("Violations: days to appeal against a decision"),
            _("Counted from the decision; printed on the decision letter."),
            1,
            60,
        ),
        SettingSpec(
            "violation_review_working_days",
            15,
            _("Violations: working days for the committee to review an appeal"),
            "",
            1,
            90,
        ),
        SettingSpec(
            "violation_review_extension_working_days",
            15,
            _("Violations: working days a review may be extended by (once)"),
            "",
            1,
            90,
        ),
        SettingSpec(
            "violation_suspend_on_appeal",
            True,
            _("Violations: suspend a sanction while it is under appeal"),
            _("The default of the decision form; the decider may choose otherwise."),
        ),
        SettingSpec(
            "violation_lookback_months",
            12,
            _("Violations: months of history the ladder looks back"),
            _("Decisions older than this no longer count: a clean slate."),
            1,
            60,
        ),
        SettingSpec(
            "violation_retention_months",
            24,
            _("Violations: months a closed case stays in the active history"),
            _("After this the case leaves the person's active history and the lists."),
            1,
            240,
        ),
        SettingSpec(
            "violation_fines_students",
            False,
            _("Violations: fines may be decided for students"),
            _("Off by default: fines are not among the sanctions of the student rules."),
        ),
        SettingSpec(
            "violation_fines_staff",
            False,
            _("Violations: fines may be decided for staff and other people"),
        ),
        SettingSpec(
            "violation_term_warning", 6, _("Violations: term of a warning (months)"), "", 1, 36
        ),
        SettingSpec(
            "violation_term_serious_warning",
            9,
            _("Violations: term of a serious warning (months)"),
            "",
            1,
            36,
        ),
        SettingSpec(
            "violation_term_demerit", 12, _("Violations: term of a demerit (months)"), "", 1, 36
        ),
        SettingSpec(
            "violation_term_probation",
            12,
            _("Violations: term of probation (months)"),
            "",
            1,
            36,
        ),
        SettingSpec(
            "violation_gate_lookback_days",
            30,
            _("Violations: days of gate refusals shown as a pattern"),
            "",
            1,
            365,
        ),
        SettingSpec(
            "violation_decision_prefix",
            "校处字",
            _("Violations: prefix of decision letter numbers"),
            _("Numbers read like 校处字〔2026〕3号, counted per year."),
        ),
        SettingSpec(
            "violation_review_prefix",
            "校申复字",
            _("Violations: prefix of review decision numbers"),
        ),
        SettingSpec(
            "violation_deciding_office",
            "学生工作处",
            _("Violations: the office that signs decision letters"),
        ),
        SettingSpec(
            "violation_appeals_body",
            "学生申诉处理委员会",
            _("Violations: the committee that hears appeals"),
            _("Named on each decision letter as where to appeal."),
        ),
        *[
            ChoiceSpec(
                f"violation_{kind}_{end}",
                default,
                label,
                choices="campuscode.violations.models.ladder_choices",
            )
            for kind, end, default, label in [
                ("missed", "lowest", "criticism", _("Violations: missed check-in, mildest step")),
                ("missed", "highest", "warning", _("Violations: missed check-in, severest step")),
                ("false", "lowest", "criticism", _("Violations: false health data, mildest step")),
                ("false", "highest", "demerit", _("Violations: false health data, severest step")),
                (
                    "borrowed",
                    "lowest",
                    "warning",
                    _("Violations: using another's code, mildest step"),
                ),
                (
                    "borrowed",
                    "highest",
                    "probation",
                    _("Violations: using another's code, severest step"),
                ),
                (
                    "device",
                    "lowest",
                    "criticism",
                    _("Violations: interfering with devices, mildest step"),
                ),
                (
                    "device",
                    "highest",
                    "demerit",
                    _("Violations: interfering with devices, severest step"),
                ),
                ("other", "lowest", "criticism", _("Violations: other breaches, mildest step")),
                (
                    "other",
                    "highest",
                    "serious_warning",
                    _("Violations: other breaches, severest step"),
                ),
            ]
        ],
    ]
}


# Rules are per school (a Setting row has a school). A row without a school is the
# installation's default, used by every school that has not set the rule itself; above it
# all is the SPECS default. So a school's value is: its own row, else the installation's
# row, else the SPECS default.
#
# Code that knows the school passes it (`get_setting(key, school=person.school)`). Without
# a school, `get_setting` answers for the installation's only school when it has exactly
# one (the usual case: one school per installation); with several schools (or none) it
# answers the installation default, never one school's value for another.
#
# Hot paths (every gate scan, every code refresh) read rules; a few seconds of memo in
# the process spares them a cache round trip (with the database cache, a query). Another
# process sees an admin's change within LOCAL_SECONDS.
LOCAL_SECONDS = 5.0
_local: dict[Any, tuple[float, Any]] = {}
_ONLY_SCHOOL = "only-school"
INSTALLATION = 0  # the cache key part of the rows without a school


def clear_local_cache() -> None:
    _local.clear()


def _memo(name: Any, load):
    now = clock.monotonic()
    hit = _local.get(name)
    if hit is not None and now - hit[0] < LOCAL_SECONDS:
        return hit[1]
    value = load()
    _local[name] = (now, value)
    return value


def _cache_key(school_id: int) -> str:
    return f"{CACHE_KEY}.{school_id}"


def _only_school_id() -> int | None:
    def load():
        from campuscode.people.models import OrgUnit

        ids = list(
            OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL).values_list("pk", flat=True)[:2]
        )
        return ids[0] if len(ids) == 1 else None

    return _memo(_ONLY_SCHOOL, load)


def school_id_of(school) -> int:
    """The school id the rules of `school` (an OrgUnit of kind school, its id, or None)
    are kept under; None resolves as the module comment says (INSTALLATION when no single
    school)."""
    if school is None:
        return _only_school_id() or INSTALLATION
    return int(getattr(school, "pk", school))


def _stored(school_id: int) -> dict[str, Any]:
    def load():
        values = cache.get(_cache_key(school_id))
        if values is None:
            from django.db.models import F, Q

            from campuscode.core.models import Setting

            rows = Setting.objects.filter(
                Q(school__isnull=True) | Q(school_id=school_id or None)
            ).order_by(F("school").asc(nulls_first=True))
            values = dict(rows.values_list("key", "value"))  # the school's rows come last
            cache.set(_cache_key(school_id), values, 60)
        return values

    return _memo(school_id, load)


def _forget(school_id: int) -> None:
    """Drop the cached rules after a change (all schools' when the installation default
    changed, since every school falls back to it)."""
    from campuscode.people.models import OrgUnit

    if school_id == INSTALLATION:
        ids = [
            INSTALLATION,
            *OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL).values_list("pk", flat=True),
        ]
    else:
        ids = [school_id]
    cache.delete_many([_cache_key(i) for i in ids])
    clear_local_cache()


def stored_settings(school=None) -> dict[str, Any]:
    """Every rule of `school` as stored (times as text): what the settings form shows and
    compares."""
    stored = _stored(school_id_of(school))
    return {key: stored.get(key, spec.default) for key, spec in SPECS.items()}


def all_settings(school=None) -> dict[str, Any]:
    """Every rule of `school` at once, typed, for code that reads many per request."""
    return {key: SPECS[key].to_python(value) for key, value in stored_settings(school).items()}


def get_setting(key: str, school=None) -> Any:
    """One rule of `school` (an OrgUnit of kind school or its id), typed: numbers and
    flags as such, windows as (time, time) or None, times of day as datetime.time, lists
    of times as a tuple. Without a school: the only school's value when the installation
    has exactly one school, else the installation default (see the comment above)."""
    spec = SPECS[key]
    return spec.to_python(_stored(school_id_of(school)).get(key, spec.default))


def set_setting(*, key: str, value: Any, user=None, school=None) -> Any:
    """Validate and store one rule of `school` (resolved as in `get_setting`; with no
    single school, the installation default); raises ValidationError on a bad value, or
    on one that breaks the school together with its other rules (check_together)."""
    clean = SPECS[key].clean(value)
    clear_local_cache()  # a write resolves the school afresh
    school_id = school_id_of(school)
    current = stored_settings(school_id)
    before = check_together(current)
    after = check_together({**current, key: clean})
    if new := [message for other, message in after.items() if other not in before]:
        raise ValidationError(new[0])
    store_settings(values={key: clean}, user=user, school=school_id)
    return clean


def store_settings(*, values: dict[str, Any], user=None, school=None) -> None:
    """Store rules of `school` already cleaned and checked together (the settings form),
    at once."""
    from django.db import transaction

    from campuscode.core.models import Setting

    school_id = school_id_of(school)
    with transaction.atomic():
        for key, value in values.items():
            Setting.objects.update_or_create(
                school_id=school_id or None,
                key=key,
                defaults={"value": value, "updated_by": user},
            )
    _forget(school_id)
