"""Every audit action, with a label a reader understands (R6.6, R7).

The log stores the action's code (`people.profile.viewed`); pages and exports show its
label, grouped by area. A test greps the source for every action written, so a new
action without a label here fails the build.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    ADMIN_CREATED = "accounts.admin.created", _("Created an administrator account")
    PERSON_CLAIMED = "accounts.person.claimed", _("Activated their campus code account")
    PASSWORD_CHANGED = "accounts.password.changed", _("Changed their password")
    PASSWORD_RESET_VIEWED = "accounts.password_reset.viewed", _("Opened a password reset")
    PASSWORD_RESET = "accounts.password.reset", _("Reset a password")
    TOTP_ENABLED = "accounts.totp.enabled", _("Turned on the authenticator app")
    TOTP_DISABLED = "accounts.totp.disabled", _("Turned off the authenticator app")
    TOTP_VERIFIED = "accounts.totp.verified", _("Confirmed sign-in with the authenticator app")
    BACKUP_CODE_USED = "accounts.backup_code.used", _("Signed in with a backup code")
    BACKUP_CODES_REGENERATED = "accounts.backup_codes.regenerated", _("Generated new backup codes")
    SECOND_FACTOR_VIEWED = "accounts.second_factor.viewed", _("Opened a second-step reset")
    SECOND_FACTOR_RESET = "accounts.second_factor.reset", _("Reset someone's second sign-in step")
    PEOPLE_LIST_VIEWED = "people.list.viewed", _("Viewed the people list")
    PEOPLE_LIST_EXPORTED = "people.list.exported", _("Exported the people list")
    PROFILE_VIEWED = "people.profile.viewed", _("Viewed a person's record")
    CONTACT_REVEALED = "people.contact.revealed", _("Showed full contact details")
    EDIT_VIEWED = "people.edit.viewed", _("Opened a person's record for editing")
    PERSON_CREATED = "people.person.created", _("Added a person")
    PERSON_CHANGED = "people.person.changed", _("Changed a person's record")
    ACCOUNTS_VIEWED = "people.accounts.viewed", _("Viewed the account list")
    ACCOUNT_VIEWED = "people.account.viewed", _("Viewed an account")
    ACCOUNT_CREATED = "people.account.created", _("Created an account")
    ACCOUNT_ACTIVATED = "people.account.activated", _("Enabled an account")
    ACCOUNT_DEACTIVATED = "people.account.deactivated", _("Disabled an account")
    ROLE_GRANTED = "people.role.granted", _("Granted a role")
    ROLE_REVOKED = "people.role.revoked", _("Removed a role")
    ROSTER_IMPORTED = "roster.import.committed", _("Imported a roster")
    CHECKIN_LIST_VIEWED = "checkins.list.viewed", _("Viewed the check-in list")
    REMINDERS_SENT = "checkins.reminders.sent", _("Reminded those not yet checked in")
    CHECKIN_LIST_EXPORTED = "checkins.list.exported", _("Exported the check-in list")
    CHECKIN_HISTORY_VIEWED = "checkins.history.viewed", _("Viewed a person's check-ins")
    FLAG_EXPLAINED = "checkins.flag.explained", _("Explained a check-in flag")
    FLAGS_VIEWED = "checkins.flags.viewed", _("Viewed the check-in flags")
    FLAGS_EXPORTED = "checkins.flags.exported", _("Exported the check-in flags")
    STATUS_SET = "checkins.status.set", _("Set a health status")
    STATUS_CLEARED = "checkins.status.cleared", _("Cleared a health status")
    NOTICE_PUBLISHED = "checkins.notice.published", _("Published a check-in notice")
    POINT_SAVED = "checkins.point.saved", _("Saved a check-in point")
    POINTS_IMPORTED = "checkins.points.imported", _("Imported check-in points")
    POSTERS_WITHDRAWN = "checkins.point.posters_withdrawn", _("Withdrew a point's printed posters")
    DISPLAY_REGISTERED = "checkins.display.registered", _("Registered a check-in point screen")
    DISPLAY_ROTATED = "checkins.display.rotated", _("Replaced a point screen's credential")
    DISPLAY_REVOKED = "checkins.display.revoked", _("Revoked a check-in point screen")
    DISPLAY_ENROLLED = "checkins.display.enrolled", _("A point screen was enrolled")
    DISPLAY_ALERT_RESOLVED = "checkins.display_alert.resolved", _("Resolved a point screen alert")
    NETWORKS_SAVED = "checkins.networks.saved", _("Saved a campus's networks")
    SCANNER_ISSUED = "checkins.scanner.issued", _("Issued a token to a point's scanner")
    SCANNER_REVOKED = "checkins.scanner.revoked", _("Removed a point's scanner")
    CAMPUSES_VIEWED = "checkins.campuses.viewed", _("Viewed campus assignments")
    CAMPUS_ASSIGNED = "checkins.campus.assigned", _("Assigned a check-in campus")
    CAMPUS_UNASSIGNED = "checkins.campus.unassigned", _("Removed a check-in campus")
    DASHBOARD_VIEWED = "followup.dashboard.viewed", _("Viewed the follow-up overview")
    QUEUE_VIEWED = "followup.queue.viewed", _("Viewed the approval queue")
    CASE_OPENED = "followup.case.opened", _("Opened a follow-up case")
    CASE_VIEWED = "followup.case.viewed", _("Viewed a follow-up case")
    CASE_NOTED = "followup.case.noted", _("Added a follow-up note")
    CASE_PROGRESS = "followup.case.progress", _("Reported their own progress")
    CASE_STATE = "followup.case.state", _("Changed a case's stage")
    CASE_CLOSED = "followup.case.closed", _("Closed a follow-up case")
    ATTACHMENT_VIEWED = "followup.attachment.viewed", _("Viewed an attachment")
    ISOLATION_PLACED = "followup.isolation.placed", _("Placed someone in isolation")
    ISOLATION_REPORTED = "followup.isolation.reported", _("Reported on an isolation")
    ISOLATION_ENDED = "followup.isolation.ended", _("Ended an isolation")
    ANOMALY_OPENED = "anomalies.case.opened", _("Opened an anomaly case")
    ANOMALY_LIST_VIEWED = "anomalies.list.viewed", _("Viewed the anomaly cases")
    ANOMALY_VIEWED = "anomalies.case.viewed", _("Viewed an anomaly case")
    ANOMALY_CHANGED = "anomalies.case.changed", _("Moved an anomaly case on")
    ISOLATION_VIEWED = "followup.isolation.viewed", _("Viewed isolation records")
    REPORT_FILED = "followup.report.filed", _("Filed an advance report")
    REPORT_APPROVED = "followup.report.approved", _("Approved an advance report")
    REPORT_REJECTED = "followup.report.rejected", _("Rejected an advance report")
    REPORT_WITHDRAWN = "followup.report.withdrawn", _("Withdrew an advance report")
    MAKEUP_REQUESTED = "followup.makeup.requested", _("Asked for a make-up check-in")
    MAKEUP_APPROVED = "followup.makeup.approved", _("Approved a make-up check-in")
    MAKEUP_REJECTED = "followup.makeup.rejected", _("Rejected a make-up check-in")
    MAKEUP_WITHDRAWN = "followup.makeup.withdrawn", _("Withdrew a make-up request")
    MAKEUP_CLOSED = "followup.makeup.closed", _("Closed a make-up request that was not needed")
    REPORT_RETURNED = "followup.report.returned", _("Reported back early from an absence")
    REPORT_PROOF_VIEWED = (
        "followup.report_attachment.viewed",
        _("Viewed proof attached to an advance report"),
    )
    MANUAL_REGISTERED = "followup.manual.registered", _("Registered a manual check")
    MANUAL_VIEWED = "followup.manual.viewed", _("Viewed manual checks")
    VISITOR_APPLIED = "followup.visitor.applied", _("Applied for a visitor")
    VISITORS_VIEWED = "followup.visitors.viewed", _("Viewed visitor applications")
    VISITOR_VIEWED = "followup.visitor.viewed", _("Viewed a visitor application")
    VISITOR_APPROVED = "followup.visitor.approved", _("Approved a visitor")
    VISITOR_REJECTED = "followup.visitor.rejected", _("Rejected a visitor")
    GATES_LIVE_VIEWED = "gates.live.viewed", _("Watched live gate passes")
    GATE_EVENTS_VIEWED = "gates.events.viewed", _("Searched gate passes")
    GATE_EVENTS_EXPORTED = "gates.events.exported", _("Exported gate passes")
    PLACE_SAVED = "gates.place.saved", _("Saved a place")
    DEVICE_REGISTERED = "gates.device.registered", _("Registered a gate device")
    DEVICE_ROTATED = "gates.device.rotated", _("Replaced a gate device's key")
    DEVICE_REVOKED = "gates.device.revoked", _("Withdrew a gate device")
    ALERT_RESOLVED = "gates.alert.resolved", _("Dealt with a gate alert")
    SNAPSHOT_PULLED = "gates.snapshot.pulled", _("A gate downloaded its offline list")
    MY_DATA_EXPORTED = "privacy.my_data.exported", _("Downloaded their own data")
    PRIVACY_REQUEST_FILED = "privacy.request.filed", _("Made a personal-information request")
    PRIVACY_REQUESTS_VIEWED = "privacy.requests.viewed", _("Viewed personal-information requests")
    PRIVACY_REQUEST_DONE = "privacy.request.done", _("Completed a personal-information request")
    PRIVACY_REQUEST_REFUSED = "privacy.request.refused", _("Refused a personal-information request")
    PRIVACY_REGISTER_EXPORTED = "privacy.register.exported", _("Exported the record of processing")
    BULK_READ_ALERTED = "privacy.bulk_read.alerted", _("Unusually many records read: alert sent")
    RETENTION_PURGED = "privacy.retention.purged", _("Deleted data past its retention period")
    DELIVERIES_VIEWED = "notify.deliveries.viewed", _("Viewed messages that could not be sent")
    DELIVERY_REQUEUED = "notify.delivery.requeued", _("Sent a failed message again")
    SETTINGS_CHANGED = "core.settings.changed", _("Changed the school rules")
    DEMO_LOADED = "core.demo.loaded", _("Loaded the demo school")
    ADMIN_PAGE_VIEWED = "admin.page.viewed", _("Opened a back-office page")
    ADMIN_PAGE_SUBMITTED = "admin.page.submitted", _("Submitted a back-office form")
    AUDIT_LOG_VIEWED = "audit.log.viewed", _("Read the audit log")
    AUDIT_ENTRY_VIEWED = "audit.entry.viewed", _("Opened an audit entry")
    AUDIT_LOG_EXPORTED = "audit.log.exported", _("Exported the audit log")
    AUDIT_LOG_PURGED = "audit.log.purged", _("Removed entries past the retention period")
    BACKUP_CREATED = "backups.backup.created", _("Made a backup")
    BACKUP_VERIFIED = "backups.backup.verified", _("Checked a backup")
    BACKUP_RESTORED = "backups.backup.restored", _("Restored a backup")
    BACKUPS_PRUNED = "backups.backups.pruned", _("Removed old backups past the retention counts")
    # backups: verified restores, off-site copies, alerts and the status page
    BACKUP_FAILED = "backups.backup.failed", _("A backup failed")
    BACKUP_COPIED_OFFSITE = "backups.backup.copied_offsite", _("Copied a backup off-site")
    BACKUP_RESTORE_VERIFIED = (
        "backups.restore.verified",
        _("Restored a backup into a scratch database and checked it"),
    )
    BACKUP_ALERTED = "backups.alert.sent", _("Alerted about a missed or failed backup")
    BACKUP_STATUS_VIEWED = "backups.status.viewed", _("Opened the backup status page")
    BACKUP_REQUESTED = "backups.run.requested", _("Asked for a backup or a verified restore now")
    # analytics
    ANALYTICS_VIEWED = "analytics.dashboard.viewed", _("Viewed the health analysis")
    ANALYTICS_EXPORTED = "analytics.dashboard.exported", _("Exported the health analysis")
    GATE_TRAFFIC_VIEWED = "analytics.gates.viewed", _("Viewed the gate traffic analysis")
    GATE_TRAFFIC_EXPORTED = "analytics.gates.exported", _("Exported the gate traffic analysis")
    REPORTS_VIEWED = "analytics.reports.viewed", _("Viewed the list of periodic reports")
    ANALYTICS_REPORT_VIEWED = "analytics.report.viewed", _("Viewed a periodic report")
    ANALYTICS_REPORT_EXPORTED = "analytics.report.exported", _("Downloaded a periodic report")
    REPORTS_SENT = "analytics.reports.sent", _("Sent the periodic reports")
    ANALYTICS_REPORT_EMAILED = (
        "analytics.report.emailed",
        _("Made a periodic report's files for its reader's e-mail"),
    )
    # casework engine
    EVIDENCE_FROZEN = "casework.evidence.frozen", _("Froze a record as evidence")
    DEADLINE_ESCALATED = "casework.deadline.escalated", _("Escalated an overdue item")
    # supervision (R7)
    SUP_PLAN_CREATED = "supervision.plan.created", _("Created an inspection plan")
    SUP_DRAW_MADE = "supervision.draw.made", _("Made the random draw of a spot check")
    SUP_HEADCOUNT = "supervision.headcount.recorded", _("Recorded an on-site headcount")
    SUP_FINDING = "supervision.finding.recorded", _("Recorded an inspection finding")
    SUP_NOTICE_ISSUED = "supervision.notice.issued", _("Issued a rectification notice")
    SUP_NOTICE_STEP = "supervision.notice.step", _("Took a step on a rectification notice")
    SUP_VIEWED = "supervision.lists.viewed", _("Viewed the supervision lists")
    SUP_EXPORTED = "supervision.ledger.exported", _("Exported the supervision ledger")
    SUP_NOTICE_VIEWED = "supervision.notice.viewed", _("Viewed a rectification notice")
    SUP_PLAN_VIEWED = "supervision.plan.viewed", _("Viewed an inspection plan")
    # attendance (issue 11)
    ATTENDANCE_MARK_RECORDED = "attendance.mark.recorded", _("Recorded an attendance mark")
    ATTENDANCE_MARK_CORRECTED = "attendance.mark.corrected", _("Corrected an attendance mark")
    ATTENDANCE_SESSION_VIEWED = "attendance.session.viewed", _("Viewed a session's attendance")
    ATTENDANCE_REPORT_VIEWED = "attendance.report.viewed", _("Viewed an attendance report")
    ATTENDANCE_REPORT_EXPORTED = "attendance.report.exported", _("Exported attendance")
    ATTENDANCE_STUDENT_VIEWED = "attendance.student.viewed", _("Viewed a student's attendance")
    ATTENDANCE_TIMETABLE_IMPORTED = "attendance.timetable.imported", _("Imported a timetable")
    ATTENDANCE_SESSIONS_GENERATED = "attendance.sessions.generated", _("Generated sessions")
    ATTENDANCE_SESSION_CREATED = "attendance.session.created", _("Added a session")
    ATTENDANCE_SESSIONS_CLOSED = "attendance.sessions.closed", _("Closed ended sessions")
    ATTENDANCE_REQUEST_FILED = "attendance.request.filed", _("Asked for a make-up sign-in")
    ATTENDANCE_REQUEST_DECIDED = "attendance.request.decided", _("Decided an attendance request")
    ATTENDANCE_SCANS_UPLOADED = "attendance.scans.uploaded", _("Uploaded offline scans")
    # events (R2.5)
    EVENT_SAVED = "events.event.saved", _("Saved an event")
    EVENT_VIEWED = "events.event.viewed", _("Opened an event's sign-in page")
    EVENT_ATTENDANCE_VIEWED = "events.attendance.viewed", _("Viewed an event's attendance")
    EVENT_ATTENDANCE_EXPORTED = "events.attendance.exported", _("Exported an event's attendance")
    EVENT_REGISTRATION_DECIDED = "events.registration.decided", _("Decided an event registration")
    EVENT_WALKIN = "events.walkin.recorded", _("Registered a walk-in at an event")
    EVENT_SIGNIN_UNDONE = "events.signin.undone", _("Undid a mistaken event sign-in")
    EVENT_DOOR_LIST = "events.door.list_pulled", _("A door scanner downloaded its offline list")
    EVENT_DOOR_UPLOAD = "events.door.uploaded", _("A door scanner uploaded offline sign-ins")
    EVENT_SESSION_CLOSED = "events.session.closed", _("Closed an event sitting")
    EVENT_REVIEWS_VIEWED = "events.reviews.viewed", _("Viewed event absences to review")
    EVENT_REVIEW_DECIDED = "events.review.decided", _("Decided an event absence")
    # Violations (R8)
    VIOLATION_OPENED = "violations.case.opened", _("Opened a violation case")
    VIOLATION_REPORT_VIEWED = "violations.report.viewed", _("Looked at evidence to report")
    VIOLATION_LIST_VIEWED = "violations.list.viewed", _("Viewed the violation cases")
    VIOLATION_VIEWED = "violations.case.viewed", _("Viewed a violation case")
    VIOLATION_NOTIFIED = "violations.case.notified", _("Sent the notice of facts and rights")
    VIOLATION_STATEMENT = "violations.statement.given", _("Gave a statement or self-review")
    VIOLATION_DECIDED = "violations.case.decided", _("Decided a violation case")
    VIOLATION_APPEALED = "violations.case.appealed", _("Appealed against a decision")
    VIOLATION_EXTENDED = "violations.review.extended", _("Extended the review of an appeal")
    VIOLATION_REVIEWED = "violations.case.reviewed", _("Reviewed an appeal")
    VIOLATION_FINAL = "violations.case.final", _("A decision became final")
    VIOLATION_LIFTED = "violations.sanction.lifted", _("Lifted a sanction at the end of its term")
    VIOLATION_ARCHIVED = "violations.case.archived", _("A case left the active history")
    VIOLATION_LETTER = "violations.letter.downloaded", _("Downloaded a decision letter")
    VIOLATION_STATS_VIEWED = "violations.consistency.viewed", _("Viewed decisions by type and unit")
    # supervision2: computed data checks, on-site point inspections
    SUP_CHECKS_VIEWED = "supervision.checks.viewed", _("Viewed the computed data checks")
    SUP_POINT_INSPECTED = "supervision.point.inspected", _("Recorded an on-site point inspection")
    SUP_INSPECTION_VIEWED = "supervision.inspection.viewed", _("Viewed an on-site point inspection")


AREAS = {
    "accounts": _("Accounts and sign-in"),
    "people": _("People and accounts"),
    "roster": _("Roster import"),
    "checkins": _("Health check-ins"),
    "followup": _("Follow-up and approvals"),
    "gates": _("Gates"),
    "privacy": _("Personal information"),
    "notify": _("Notifications"),
    "anomalies": _("Anomaly cases"),
    "core": _("System"),
    "admin": _("Back office"),
    "audit": _("Audit log"),
    "backups": _("Backups"),
    "analytics": _("Analysis and reports"),
    "casework": _("Casework: documents, deadlines and evidence"),
    "supervision": _("Supervision"),
    "attendance": _("Attendance"),  # attendance (issue 11)
    "events": _("Events"),  # events (R2.5)
    "violations": _("Violations"),
}

# The keys of `data["filters"]` written by the list pages, with the words a reader knows.
FILTER_LABELS = {
    "q": _("Search"),
    "query": _("Search"),
    "person_query": _("Person"),
    "person": _("Person"),
    "who": _("Who"),
    "whom": _("Whom (name or number)"),
    "action": _("Action"),
    "unit": _("Unit"),
    "place": _("Place"),
    "place_id": _("Place"),
    "kind": _("Kind"),
    "state": _("State"),
    "status": _("State"),
    "colour": _("Colour"),
    "day": _("Date"),
    "start": _("From"),
    "since": _("From"),
    "end": _("To"),
    "until": _("To"),
    "period": _("Period"),
    "refused_only": _("Refused only"),
    "ip": _("Address"),
}


def action_label(code: str) -> str:
    """The reader's words for an action code; the code itself if it has no label (an
    entry written by an older version)."""
    try:
        return str(AuditAction(code).label)
    except ValueError:
        return code


def area_of(code: str) -> str:
    return code.split(".", 1)[0]


def grouped_choices() -> list:
    """<select> choices: every action under its area, each area first as a whole
    (its prefix, e.g. "people.", matches all of its actions)."""
    groups: dict[str, list] = {area: [] for area in AREAS}
    for member in AuditAction:
        groups.setdefault(area_of(member.value), []).append((member.value, member.label))
    return [
        (
            AREAS.get(area, area),
            [(f"{area}.", _("All: %(area)s") % {"area": AREAS.get(area, area)}), *members],
        )
        for area, members in groups.items()
        if members
    ]


def filters_text(data: dict) -> str:
    """ "Place：南门；From：2026-03-01" for the filters an entry recorded, in the reader's
    language ("" when there were none)."""
    filters = data.get("filters") if isinstance(data, dict) else None
    if not isinstance(filters, dict):
        return ""
    parts = []
    for key, value in filters.items():
        if value in (None, "", [], False):
            continue
        label = FILTER_LABELS.get(key)
        shown = action_label(value) if key == "action" and isinstance(value, str) else value
        if value is True:
            shown = _("yes")
        parts.append(_("%(label)s: %(value)s") % {"label": label or key, "value": shown})
    return str(_("; ")).join(str(part) for part in parts)


def rows_count(data: dict) -> int | None:
    """How many rows the read showed or the export held, if the entry says."""
    if not isinstance(data, dict):
        return None
    for key in ("rows", "count"):
        value = data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None
