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
