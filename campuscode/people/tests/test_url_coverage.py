"""Every URL of the site is accounted for: a page that shows someone else's personal or
health data is in the role x page matrix (which also checks its audit entry); every other
URL is listed here by hand with what it shows. A new URL that is in neither list fails,
so nobody adds a personal-data page outside the access layer without noticing.
"""

from django.urls import URLPattern, URLResolver, get_resolver, resolve

from campuscode.people.tests.test_access_matrix import LIST_PAGES, OWN_PAGES, PERSON_PAGES

# Pages that show other people's data and are checked outside the matrix's two shapes
# (with the test that checks scope and audit).
OTHERS_DATA_ELSEWHERE = {
    "followup:visitor": "test_access_matrix::test_it_shows_a_visitor_application_by_host_unit",
    "gates:live_panel": "polled every 5 s by the live view, masked names only; the page "
    "load (gates:live, in the matrix) is the audited read",
    "roster:job": "roster/tests: a job is seen only inside its starter's scope and duty",
    "roster:progress": "roster/tests: the same scope as the job",
    "api:snapshot": "gates/tests: a gate pulls only its place's admissions, audited",
    "followup:report_attachment": "followup/tests/test_staff_pages: the person, or an "
    "approver over them, audited",
    "notify:deliveries": "notify/tests: the system admin only; masked recipients, audited",
    "audit:entry": "audit/tests/test_readable.py: VIEW_AUDIT only, inside the reader's "
    "scope (404 otherwise), audited",
    # analytics: one unit's figures (no one's record), small groups hidden
    "analytics:report": "analytics/tests/test_reports.py: VIEW_HEALTH over the report's "
    "unit (404 otherwise), audited",
    "analytics:report_export": "analytics/tests/test_reports.py: the same scope, audited",
    "analytics:report_pdf": "analytics/tests/test_reports.py: the same scope, audited",
    # supervision (R7): notices by unit, roll-call names to the group only
    "supervision:home": "supervision/tests: a department sees only its notices, audited",
    "supervision:ledger_xlsx": "supervision/tests: the same scope as the lists, audited",
    "supervision:plan": "supervision/tests: INSPECT only; headcount names, audited",
    "supervision:notice": "supervision/tests: the unit's RECTIFY or the group (404 "
    "otherwise), evidence naming people to the group only, audited",
    "supervision:notice_pdf": "supervision/tests: the same scope as the notice, audited",
    "supervision:plan_new": "supervision/tests: INSPECT only; the form lists the inspectors",
    "supervision:finding_new": "supervision/tests: INSPECT only; a form of units",
    "supervision:finding_issue": "supervision/tests: POST, INSPECT in scope",
    # attendance (issue 11)
    "attendance:roll": "attendance/tests/test_scope.py: who runs the session, or a reader "
    "of VIEW_ATTENDANCE over its class (404 otherwise), audited",
    "attendance:roll_mark": "attendance/tests/test_scope.py: who runs the session only",
    "attendance:requests": "attendance/tests/test_scope.py: the teacher's own sessions' and "
    "the department admin's scope, audited",
    # events (R2.5): pages of one event, reached only inside the organiser's scope
    "events:detail": "events/tests/test_pages: the organiser's unit only (404 otherwise); "
    "names of pending registrants, audited",
    "events:attendance": "events/tests/test_pages: the organiser's unit only, audited",
    "events:export": "events/tests/test_pages: the organiser's unit only, audited",
    "events:door_list": "events/tests/test_door: masked names only, the organiser's unit, audited",
    "events:door_scan": "events/tests/test_door: one scanned code's masked name, to the "
    "organiser's door",
    "violations:report": "violations/tests/test_scope.py: only evidence the reporter may "
    "see, about a person in their reach; audited",
    # supervision2: in test_access_matrix::test_it_shows_a_supervision_page_only_to_...
    "supervision:checks": "test_access_matrix: INSPECT only; figures per unit, audited",
    "supervision:inspection": "test_access_matrix: INSPECT only, audited",
    "supervision:photo": "test_access_matrix: INSPECT only; served as an image, nosniff",
    "supervision:point_inspect": "supervision/tests: INSPECT only; the plan's checklist form",
}

# Pages about the signed-in user only (the matrix's OWN_PAGES check the code pages).
OWN_DATA = {
    "core:home",
    "checkins:mine",
    "checkins:point",
    "checkins:done",
    "gates:mine",
    "followup:mine",
    "followup:report_new",
    "followup:makeup_new",
    "followup:withdraw",
    "followup:isolation_report",
    "followup:report_back",
    "privacy:my_data",
    "privacy:my_data_xlsx",
    "privacy:my_data_json",
    "accounts:otp_verify",
    "accounts:security",
    "accounts:password_change",
    "accounts:totp_start",
    "accounts:totp_confirm",
    "accounts:totp_disable",
    "accounts:backup_codes",
    "accounts:backup_codes_regenerate",
    "accounts:claim",
    "accounts:claim_code",
    "accounts:claim_resend",
    "accounts:claim_password",
    "accounts:login",
    "accounts:logout",
    "notify:preferences",
    "checkins:scanned",  # a redirect to one's own form after the point scanned one's code
    # attendance (issue 11): one's own marks, one's own 补签, signing oneself in
    "attendance:mine",
    "attendance:makeup",
    "attendance:scan",
    "attendance:short_code",
    # events (R2.5): a person's own registrations and sign-ins
    "events:mine",
    "events:qr",
    "events:qr_sign",
    "events:register",
    "events:cancel",
    "violations:mine",
}

# Forms and actions that show nobody's record (a POST answers with a redirect), device
# and public endpoints, and pages about places, devices and rules.
NO_PERSONAL_DATA = {
    "core:settings",
    "set_language",
    "people:create",  # an empty form
    "people:create_account",  # POST: redirect
    "people:grant",  # POST: redirect
    "people:revoke",  # POST: redirect
    "people:set_active",  # POST: redirect
    "accounts:second_factor_reset",  # the account's name; the reset itself is audited
    "privacy:handle",  # POST: answers one request, audited
    "privacy:register",  # what is collected, why, who sees it, how long: no one's data
    "privacy:register_xlsx",
    "accounts:password_reset",  # the account's name and masked e-mail; viewing and the
    # reset are both audited (accounts/tests/test_password_reset.py)
    "accounts:outbox",  # demo only: off unless the outbox mail backend is configured
    "roster:upload",  # the upload form and the importer's own jobs
    "roster:template",
    "roster:commit",  # POST
    "roster:discard",  # POST
    "checkins:kiosk",
    "checkins:kiosk_panel",
    "checkins:kiosk_enrol",  # a screen presents its one-time credential: no one's data
    "checkins:display_new",  # POST: the screen's credential, shown once
    "checkins:display_rotate",  # POST
    "checkins:display_revoke",  # POST
    "checkins:display_alert_resolve",  # POST
    "checkins:points",
    "checkins:points_export",
    "checkins:points_import",
    "checkins:point_edit",
    "checkins:networks",  # the campuses' address ranges
    "checkins:poster",
    "checkins:notices",
    "checkins:flag_explain",  # POST
    "checkins:roll_remind",  # POST: redirect to the list
    "followup:case_state",  # POST
    "followup:case_close",  # POST
    "gates:devices",
    "gates:device_new",
    "gates:device_rotate",
    "gates:device_revoke",
    "gates:alert_resolve",
    "gates:places",
    "gates:place_new",
    "gates:place_edit",
    "gates:kiosk",
    "gates:kiosk_worker",
    "api:api-root",
    "api:openapi-json",
    "api:openapi-view",
    "api:public_keys",
    "api:verify",  # one scanned code's decision, to the gate that scanned it
    "api:heartbeat",
    "api:upload",
    "api:scan",  # one scanned code's masked name, to the point's scanner that read it
    "notify:send_again",  # POST: requeues one delivery, audited
    # backups: the running jobs' progress (system admin only), and starting a job (POST)
    "backups:progress",
    "backups:run",
    # attendance (issue 11): the teacher's own sessions, counts and forms; POSTs redirect
    "attendance:sessions",
    "attendance:session_new",
    "attendance:rest_present",
    "attendance:screen",  # the session code and counts
    "attendance:screen_panel",
    "attendance:scanner",  # counts only
    "attendance:scanner_scan",  # one scanned code's masked name, to who runs the session
    "attendance:scanner_upload",  # counts
    "attendance:decide",  # POST: redirect
    "attendance:timetable",
    "attendance:timetable_upload",  # the office's own file read back, with its problems
    "attendance:timetable_commit",
    "attendance:timetable_generate",
    # events (R2.5): the organiser's forms and POSTs, numbers-only panels, the door page
    "events:list",  # titles of the organiser's events: no one's data
    "events:new",
    "events:edit",
    "events:decide",  # POST: redirect
    "events:walk_in",  # POST: redirect
    "events:undo",  # POST: redirect, audited
    "events:counts",  # numbers only, polled
    "events:screen",  # the event's rotating code and counts
    "events:screen_panel",
    "events:door",  # the scanner page; its data comes from door_list / door_scan
    "events:door_upload",  # POST: counts of stored scans
    "events:review_decide",  # POST: redirect, audited
}


def _all_views(patterns=None, namespace="") -> set[str]:
    names = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.app_name == "admin":
                names.add("django-admin")
                continue
            names |= _all_views(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def _matrix_views() -> set[str]:
    paths = [p.path.format(pk=1) for p in PERSON_PAGES] + [p.path for p in LIST_PAGES + OWN_PAGES]
    return {resolve(path.split("?")[0]).view_name for path in paths}


def test_every_url_is_in_the_matrix_or_listed_with_what_it_shows():
    views = _all_views() - {"django-admin"}  # the break-glass admin has its own tests
    matrix = _matrix_views()
    listed = set(OTHERS_DATA_ELSEWHERE) | OWN_DATA | NO_PERSONAL_DATA
    assert sorted(views - matrix - listed) == [], "a new URL: add it to the matrix or a list"
    assert sorted((matrix | listed) - views) == [], "a listed URL no longer exists"
    assert not matrix & (OWN_DATA | NO_PERSONAL_DATA), "a matrix page is listed as harmless"
