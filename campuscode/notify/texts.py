"""The words of each kind of notification, rendered from its data when shown or sent (an
in-app notice in the reader's language, an outside message in the school's).

Each app keeps the words of its own kinds; this table says where they are."""

from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from campuscode.notify.models import Kind

_FOLLOWUP = "campuscode.followup.notices.notification_text"
TEXTS: dict[str, str] = {
    Kind.CHECKIN_REMINDER: "campuscode.checkins.reminders.reminder_text",
    Kind.REPORT_DECIDED: _FOLLOWUP,
    Kind.MAKEUP_DECIDED: _FOLLOWUP,
    Kind.MANUAL_LIMIT: _FOLLOWUP,
    Kind.CASE_OPENED: _FOLLOWUP,
    Kind.ISOLATION: _FOLLOWUP,
    Kind.ISOLATED_AT_POINT: _FOLLOWUP,
    Kind.VISITOR_DECIDED: _FOLLOWUP,
    Kind.VISITOR_CLAIM: "campuscode.followup.visitors.claim_text",
    Kind.BULK_READ: "campuscode.privacy.alerts.bulk_read_text",
    Kind.CLAIM_CODE: "campuscode.accounts.notices.claim_code_text",
    Kind.CONTACT_CHANGED: "campuscode.accounts.notices.contact_change_text",
    Kind.PASSWORD_RESET: "campuscode.accounts.notices.password_reset_text",
    Kind.ANOMALY_OPENED: "campuscode.anomalies.notices.opened_text",
    Kind.BACKUP_ALERT: "campuscode.backups.alerts.backup_alert_text",
    Kind.ANALYSIS_REPORT: "campuscode.analytics.notices.report_text",  # analytics
    # casework engine
    Kind.DEADLINE_REMINDER: "campuscode.casework.notices.deadline_text",
    Kind.DEADLINE_ESCALATED: "campuscode.casework.notices.deadline_text",
    Kind.ANOMALY_REMINDER: "campuscode.anomalies.notices.reminder_text",  # anomalies2
    # attendance (issue 11)
    Kind.ATTENDANCE_WARNING: "campuscode.attendance.notices.warning_text",
    Kind.ATTENDANCE_REQUEST: "campuscode.attendance.notices.request_text",
    # events (R2.5)
    Kind.EVENT_ABSENCE: "campuscode.events.notices.absence_text",
    Kind.EVENT_REGISTRATION: "campuscode.events.notices.registration_text",
    Kind.VIOLATION_OPENED: "campuscode.violations.notices.opened_text",
    Kind.VIOLATION_NOTICE: "campuscode.violations.notices.notice_text",
    Kind.VIOLATION_DECIDED: "campuscode.violations.notices.decided_text",
    Kind.VIOLATION_APPEALED: "campuscode.violations.notices.appealed_text",
    Kind.VIOLATION_REVIEWED: "campuscode.violations.notices.reviewed_text",
    Kind.VIOLATION_LIFTED: "campuscode.violations.notices.lifted_text",
}


def text_for(kind: str, data: dict) -> str:
    path = TEXTS.get(kind)
    if path is None:
        return label_of(kind)
    function = import_string(path)
    return function(kind, data) if path == _FOLLOWUP else function(data)


def label_of(kind: str) -> str:
    try:
        return str(Kind(kind).label)
    except ValueError:
        return kind


def subject_for(kind: str) -> str:
    """The subject line of an e-mail: "Campus Code: <what it is about>"."""
    return _("Campus Code: %(what)s") % {"what": label_of(kind)}
