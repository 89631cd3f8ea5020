from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from campuscode.people.access import Cap, has_capability

# (url name, label, capability, a tuple of capabilities (any of them), or None for everyone
# signed in). An entry whose URL does not exist yet is skipped, so an app adds its pages by
# adding a line here.
NAV = [
    ("core:home", _("Home"), None),
    ("codes:my_code", _("My code"), None),
    ("people:list", _("People"), Cap.VIEW_PEOPLE),
    ("people:accounts", _("Accounts and roles"), Cap.MANAGE_ACCOUNTS),
    ("roster:upload", _("Roster import"), Cap.IMPORT_PEOPLE),
    ("audit:list", _("Audit log"), Cap.VIEW_AUDIT),
    ("core:settings", _("School rules"), Cap.MANAGE_SETTINGS),
    ("gates:live", _("Gates"), Cap.VIEW_GATES),
    ("gates:mine", _("My entries/exits"), None),
    ("checkins:mine", _("Check-in"), None),
    ("checkins:roll", _("Check-in lists"), Cap.VIEW_HEALTH),
    ("checkins:flags", _("Check-in flags"), Cap.VIEW_HEALTH),
    ("checkins:points", _("Check-in points"), Cap.MANAGE_SETTINGS),
    ("checkins:notices", _("Check-in notices"), None),
    ("checkins:campuses", _("Staff on several campuses"), Cap.EDIT_PEOPLE),
    ("followup:mine", _("My reports and cases"), None),
    ("followup:queue", _("Approvals"), Cap.VIEW_HEALTH),
    ("followup:manual", _("Manual registration"), Cap.APPROVE_REQUESTS),
    ("followup:dashboard", _("Health follow-up"), Cap.VIEW_HEALTH),
    ("anomalies:list", _("Anomaly cases"), Cap.VIEW_HEALTH),
    ("followup:visitors", _("Visitor codes"), Cap.DECIDE_VISITORS),
    ("accounts:security", _("Account security"), None),
    ("notify:preferences", _("Notification settings"), None),
    ("notify:deliveries", _("Messages not delivered"), Cap.MANAGE_SETTINGS),
    ("privacy:my_data", _("My data"), None),
    ("privacy:requests", _("Personal data requests"), Cap.EDIT_PEOPLE),
    ("privacy:register", _("Processing register"), (Cap.VIEW_AUDIT, Cap.MANAGE_SETTINGS)),
    ("backups:status", _("Backups"), Cap.MANAGE_BACKUPS),  # backups
    # analytics; the academic office (attendance only) sees its class attendance panels
    ("analytics:dashboard", _("Health analysis"), (Cap.VIEW_HEALTH, Cap.VIEW_ATTENDANCE)),
    ("analytics:reports", _("Periodic reports"), Cap.VIEW_HEALTH),  # analytics
    ("analytics:gates", _("Gate traffic"), Cap.VIEW_GATES),  # analytics
    ("supervision:home", _("Supervision"), (Cap.INSPECT, Cap.RECTIFY)),  # supervision (R7)
    # attendance (issue 11)
    ("attendance:sessions", _("Take attendance"), Cap.TAKE_ATTENDANCE),
    ("attendance:mine", _("My attendance"), None),
    (
        "attendance:requests",
        _("Attendance requests"),
        (Cap.TAKE_ATTENDANCE, Cap.APPROVE_ATTENDANCE),
    ),
    ("attendance:reports", _("Attendance reports"), Cap.VIEW_ATTENDANCE),
    ("attendance:my_reports", _("My courses' attendance"), Cap.TAKE_ATTENDANCE),
    ("attendance:timetable", _("Timetable"), Cap.MANAGE_TIMETABLE),
    # events (R2.5)
    ("events:list", _("Events"), Cap.RUN_EVENTS),
    ("events:mine", _("My events"), None),
    ("events:reviews", _("Event absences"), Cap.APPROVE_REQUESTS),
    # Violations (R8)
    ("violations:mine", _("My violation cases"), None),
    ("violations:list", _("Violation cases"), Cap.VIEW_VIOLATIONS),
    ("violations:appeals", _("Appeals"), Cap.REVIEW_APPEALS),
    ("violations:consistency", _("Decisions by type and unit"), Cap.VIOLATION_STATS),
]


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    items = []
    for name, label, capability in NAV:
        needed = capability if isinstance(capability, tuple) else (capability,)
        if capability and not any(has_capability(request.user, cap) for cap in needed):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": request.path == url})
    return {"nav_items": items}
