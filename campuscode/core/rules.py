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

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

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

    def to_python(self, stored: Any) -> tuple[time, ...]:
        return tuple(time.fromisoformat(part) for part in str(stored).split(",") if part)


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
    ("notify_", _("Notifications")),
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
    ]
}


# Hot paths (every gate scan, every code refresh) read rules; a few seconds of memo in
# the process spares them a cache round trip (with the database cache, a query). Another
# process sees an admin's change within LOCAL_SECONDS.
LOCAL_SECONDS = 5.0
_local: dict[str, Any] = {"values": None, "at": 0.0}


def clear_local_cache() -> None:
    _local.update(values=None, at=0.0)


def _stored() -> dict[str, Any]:
    now = clock.monotonic()
    if _local["values"] is not None and now - _local["at"] < LOCAL_SECONDS:
        return _local["values"]
    values = cache.get(CACHE_KEY)
    if values is None:
        from campuscode.core.models import Setting

        values = dict(Setting.objects.values_list("key", "value"))
        cache.set(CACHE_KEY, values, 60)
    _local.update(values=values, at=now)
    return values


def stored_settings() -> dict[str, Any]:
    """Every rule as stored (times as text): what the settings form shows and compares."""
    stored = _stored()
    return {key: stored.get(key, spec.default) for key, spec in SPECS.items()}


def all_settings() -> dict[str, Any]:
    """Every rule at once, typed, for code that reads many per request."""
    return {key: SPECS[key].to_python(value) for key, value in stored_settings().items()}


def get_setting(key: str) -> Any:
    """One rule, typed: numbers and flags as such, windows as (time, time) or None,
    times of day as datetime.time, lists of times as a tuple."""
    spec = SPECS[key]
    return spec.to_python(_stored().get(key, spec.default))


def set_setting(*, key: str, value: Any, user=None) -> Any:
    """Validate and store one rule; raises ValidationError on a bad value, or on one that
    breaks the school together with the other rules (check_together)."""
    from campuscode.core.models import Setting

    clean = SPECS[key].clean(value)
    current = stored_settings()
    before = check_together(current)
    after = check_together({**current, key: clean})
    if new := [message for other, message in after.items() if other not in before]:
        raise ValidationError(new[0])
    Setting.objects.update_or_create(key=key, defaults={"value": clean, "updated_by": user})
    cache.delete(CACHE_KEY)
    clear_local_cache()
    return clean


def store_settings(*, values: dict[str, Any], user=None) -> None:
    """Store rules already cleaned and checked together (the settings form), at once."""
    from django.db import transaction

    from campuscode.core.models import Setting

    with transaction.atomic():
        for key, value in values.items():
            Setting.objects.update_or_create(key=key, defaults={"value": value, "updated_by": user})
    cache.delete(CACHE_KEY)
    clear_local_cache()
