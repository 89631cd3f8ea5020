"""The school's rules that the regulation leaves as placeholders, as typed settings.

`SPECS` declares every rule with its default and limits; `get_setting()` returns the
admin's value or the default. Nothing else in the code keeps these as constants.
"""

from dataclasses import dataclass
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
                value = raw in (True, "on", "true", "1", 1)
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
        SettingSpec(
            "interpreting_department",
            "学校办公室",
            _("Interpreting department"),
            _("The department named as interpreter of these rules (R9.1)."),
        ),
    ]
}


def _stored() -> dict[str, Any]:
    values = cache.get(CACHE_KEY)
    if values is None:
        from campuscode.core.models import Setting

        values = dict(Setting.objects.values_list("key", "value"))
        cache.set(CACHE_KEY, values, 60)
    return values


def get_setting(key: str) -> Any:
    spec = SPECS[key]
    return _stored().get(key, spec.default)


def set_setting(*, key: str, value: Any, user=None) -> Any:
    """Validate and store one rule; raises ValidationError on a bad value."""
    from campuscode.core.models import Setting

    clean = SPECS[key].clean(value)
    Setting.objects.update_or_create(key=key, defaults={"value": clean, "updated_by": user})
    cache.delete(CACHE_KEY)
    return clean
