"""The analytics app on the big school (bench/bigschool.py): filling its summary tables,
today's dashboards for a department admin and the whole school, gate traffic, and a
college's daily report. Imported only when campuscode.analytics exists."""

import time
from datetime import timedelta

from campuscode.analytics.selectors import dashboard_for, figures_for, gate_traffic_for
from campuscode.analytics.summaries import refresh_summaries


def measure_analytics(
    school, dept, whole, *, today, repeats, results, timed, line, summary_days=30
) -> None:
    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from campuscode.people.models import OrgUnit, Role, RoleAssignment

    print("\n-- analytics (summary tables) --", flush=True)
    # The dashboards read 14 days; filling the whole year once is a longer run
    # (`--summary-days 400`).
    first = today - timedelta(days=summary_days - 1)
    tic = time.monotonic()
    rows = refresh_summaries(since=first, until=today)
    results["summaries first s"] = time.monotonic() - tic
    print(f"refresh_summaries over the last {summary_days} days (once):"
          f" {results['summaries first s']:,.1f} s, {rows:,} rows", flush=True)  # fmt: skip
    from django.db import connection

    with connection.cursor() as cursor:  # autovacuum's part in production
        cursor.execute("ANALYZE analytics_dailyunitsummary")
        cursor.execute("ANALYZE analytics_gatehoursummary")
    again = timed(lambda: refresh_summaries(since=today - timedelta(days=1)), min(repeats, 3))
    print(line("refresh_summaries since yesterday (the beat job's run)", again), flush=True)
    results["summaries today"] = again
    for label, user in (("department admin (one college)", dept), ("whole school", whole)):
        board = timed(lambda user=user: dashboard_for(user, day=today), repeats)
        print(line(f"dashboard_for, {label}", board, 300), flush=True)
        results[f"dashboard {label}"] = board
        client = Client()
        client.force_login(user)

        def page(client=client):
            response = client.get("/analytics/")
            assert response.status_code == 200, response.status_code
            return len(response.content)

        http = timed(page, repeats)
        print(line(f"GET /analytics/, {label}", http, 300), flush=True)
        results[f"http analytics {label}"] = http
    gate, _ = User.objects.get_or_create(username="bench-gates")
    RoleAssignment.objects.get_or_create(
        user=gate, role=Role.GATE_STAFF, org_unit_id=school.school_id
    )
    traffic = timed(lambda: gate_traffic_for(gate, day=today), repeats)
    print(line("gate_traffic_for (today, every place), gate staff", traffic, 300), flush=True)
    results["gate traffic"] = traffic
    college = OrgUnit.objects.get(pk=school.college_ids[0])
    yesterday = timezone.localdate() - timedelta(days=1)
    report = timed(lambda: figures_for(college, yesterday, yesterday), repeats)
    print(line(f"daily report figures for one college ({college.name})", report, 300))
    results["daily report"] = report
