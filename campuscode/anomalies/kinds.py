"""This app's own detectors, registered at start-up (AnomaliesConfig.ready)."""

from campuscode.anomalies import evidence, quality, rate
from campuscode.anomalies.detectors import Hit, detect_health, detect_missed_checkins
from campuscode.anomalies.models import AnomalyCase, AnomalyKind
from campuscode.anomalies.registry import Detector, register, trim_after_closed
from campuscode.core.rules import get_setting
from campuscode.people.access import Cap


def missed_after_closed(hit: Hit, closed: AnomalyCase, school_id: int) -> Hit | None:
    """Only missed days after the closed case count, and they must again be a run."""
    rest = trim_after_closed(hit, closed, school_id)
    if rest is None or len(rest.days) < get_setting("anomaly_missed_days", school_id):
        return None
    return rest


def register_all() -> None:
    register(
        Detector(
            kind=AnomalyKind.MISSED_CHECKINS,
            label=AnomalyKind.MISSED_CHECKINS.label,
            detect=detect_missed_checkins,
            # The class adviser (and the department above, who approve the person's
            # advance reports and make-ups).
            duty=Cap.APPROVE_REQUESTS,
            evidence=evidence.missed_lines,
            one_open=False,
            after_closed=missed_after_closed,
            merge=None,
        )
    )
    register(
        Detector(
            kind=AnomalyKind.HEALTH,
            label=AnomalyKind.HEALTH.label,
            detect=detect_health,
            duty=Cap.MANAGE_HEALTH,  # the health office
            evidence=evidence.health_lines,
            after_closed=trim_after_closed,
            merge=None,
        )
    )
    register(
        Detector(
            kind=AnomalyKind.LOW_RATE,
            label=AnomalyKind.LOW_RATE.label,
            detect=rate.detect_low_rate,
            duty=Cap.APPROVE_REQUESTS,
            evidence=evidence.rate_lines,
        )
    )
    register(
        Detector(
            kind=AnomalyKind.DATA_QUALITY,
            label=AnomalyKind.DATA_QUALITY.label,
            detect=quality.detect_quality,
            duty=Cap.APPROVE_REQUESTS,
            evidence=evidence.quality_lines,
            merge=quality.merge_signals,
        )
    )
