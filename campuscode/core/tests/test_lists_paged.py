"""Every list is paged (R6.3): more rows than a page shows one page, the totals are over
the whole scope, and the next page keeps the filters of the query string."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from campuscode.checkins.models import CampusAssignment, WindowNotice
from campuscode.core.paging import PAGE_SIZE
from campuscode.followup.models import (
    AdvanceReport,
    Decision,
    FollowupCase,
    Isolation,
    MakeupRequest,
    VisitorApplication,
)
from campuscode.notify.models import Delivery
from campuscode.people.models import Role
from campuscode.privacy.models import DataRequest
from campuscode.roster.models import ImportJob, ImportRowError, RowProblem
from conftest import sign_in

pytestmark = pytest.mark.django_db

N = PAGE_SIZE + 1  # one row more than a page


def _people(tree, n, unit=None):
    return [tree.person(f"学生{i}", unit or tree.cs_2501, account=False) for i in range(n)]


def _queue(tree, adviser):
    """40 advance reports and 11 make-ups: page 1 shows 50 items, page 2 the last one."""
    student = tree.person("排队同学", tree.cs_2501)
    now = timezone.now()
    for i in range(40):
        AdvanceReport.objects.create(
            person=student,
            first_day=date(2026, 4, 1) + timedelta(days=i),
            last_day=date(2026, 4, 1) + timedelta(days=i),
            periods=["morning"],
            reason="事假",
            created_at=now,
            idempotency_key=f"r{i}",
        )
    for i in range(11):
        MakeupRequest.objects.create(
            person=student,
            day=date(2026, 3, 1) + timedelta(days=i),
            period="morning",
            temperature="36.5",
            contact="none",
            reason="忘了",
            submitted_at=now,
            idempotency_key=f"m{i}",
        )
    return adviser, "/followup/queue/", r'data-item="(?:report|makeup):\d+"', {"count": "51"}


def _cases(tree, adviser):
    health = tree.account("health", (Role.HEALTH_OFFICE, tree.school))
    for person in _people(tree, N):
        FollowupCase.objects.create(person=person, trigger="fever", opened_at=timezone.now())
    return health, "/followup/dashboard/", r'data-case="\d+"', {"cases": str(N)}


def _isolations(tree, adviser):
    health = tree.account("health", (Role.HEALTH_OFFICE, tree.school))
    for person in _people(tree, N):
        Isolation.objects.create(
            person=person,
            kind=Isolation.Kind.OBSERVATION,
            place="宿舍",
            reason="发热",
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() + timedelta(days=7),
            created_at=timezone.now(),
        )
    return health, "/followup/dashboard/", r'<tr data-isolation="\d+"', {"isolations": str(N)}


def _visitors(tree, adviser):
    hr = tree.account("hr", (Role.HR, tree.school))
    for i in range(N):
        VisitorApplication.objects.create(
            school=tree.school,
            host_unit=tree.cs,
            kind="visitor",
            name=f"访客{i}",
            phone="13912345678",
            purpose="讲座",
            valid_from=timezone.localdate(),
            valid_until=timezone.localdate(),
            applied_at=timezone.now(),
            idempotency_key=f"v{i}",
        )
    return hr, "/followup/visitors/", r'<tr data-application="\d+"', {"pending": str(N)}


def _privacy(tree, adviser):
    admin = tree.account("deptadmin", (Role.DEPARTMENT_ADMIN, tree.cs))
    for i, person in enumerate(_people(tree, N)):
        DataRequest.objects.create(
            person=person,
            kind=DataRequest.Kind.CORRECTION,
            text="手机号有误",
            created_at=timezone.now(),
            idempotency_key=f"d{i}",
        )
    return (
        admin,
        "/privacy/requests/",
        r'<div class="card queue-item" data-request',
        {"pending": str(N)},
    )


def _campuses(tree, adviser):
    admin = tree.account("deptadmin", (Role.DEPARTMENT_ADMIN, tree.cs))
    for person in _people(tree, N):
        CampusAssignment.objects.create(person=person, campus=tree.east_campus)
    return admin, "/checkins/campuses/", r'name="remove" value="\d+"', {"assignments": str(N)}


def _notices(tree, adviser):
    admin = tree.account("itadmin", (Role.SYSTEM_ADMIN, tree.school))
    for i in range(N):
        WindowNotice.objects.create(
            school=tree.school,
            title=f"通知{i}",
            first_day=date(2026, 1, 1) + timedelta(days=i),
            last_day=date(2026, 1, 1) + timedelta(days=i),
            kind=WindowNotice.Kind.NO_CHECKIN,
        )
    return admin, "/checkins/notices/", r"<td>通知\d+</td>", {}


def _roster_errors(tree, adviser):
    admin = tree.account("itadmin", (Role.SYSTEM_ADMIN, tree.school))
    job = ImportJob.objects.create(
        school=tree.school, created_by=admin, file_name="名单.xlsx", state="validated"
    )
    for i in range(N):
        ImportRowError.objects.create(job=job, row=i + 2, field="name", code=RowProblem.MISSING)
    return admin, f"/roster/{job.pk}/", r'<td data-label="[^"]*" class="mono">\d+</td>', {}


def _deliveries(tree, adviser):
    admin = tree.account("itadmin", (Role.SYSTEM_ADMIN, tree.school))
    for i in range(N):
        Delivery.objects.create(
            channel="sms",
            kind="reminder",
            recipient=f"139****{i:04d}",
            status=Delivery.Status.FAILED,
            attempts=5,
            created_at=timezone.now(),
        )
    return admin, "/notify/deliveries/", r'<tr data-delivery="\d+"', {"deliveries": str(N)}


LISTS = {
    "approval queue": _queue,
    "dashboard cases": _cases,
    "dashboard isolations": _isolations,
    "visitors": _visitors,
    "privacy requests": _privacy,
    "staff on several campuses": _campuses,
    "check-in notices": _notices,
    "roster import errors": _roster_errors,
    "failed deliveries": _deliveries,
}


def _total(html: str, key: str) -> str:
    """The number in the element marked data-total="key" (or the data-key attribute)."""
    found = re.search(rf'data-total="{key}"[^>]*>[^<\d]*(\d+)', html) or re.search(
        rf'data-{key}="(\d+)"', html
    )
    return found and found.group(1)


def _next_link(html: str) -> str:
    """The href of the pager's "next" link that belongs to the list being tested."""
    links = re.findall(r'<a href="([^"]*)" rel="next">', html)
    assert links, "no next link"
    return links[-1].replace("&amp;", "&")


@pytest.mark.parametrize("name", LISTS)
def test_it_shows_one_page_with_totals_for_the_whole_scope(client, tree, adviser, name):
    user, url, row, totals = LISTS[name](tree, adviser)
    sign_in(client, user)
    first = client.get(url, {"keep": "这个"})
    assert first.status_code == 200
    html = first.content.decode()
    assert len(re.findall(row, html)) == PAGE_SIZE
    assert f"Page 1 of 2 ({N} in all)" in html or f"第 1 页，共 2 页（共 {N} 条）" in html, name
    for key, value in totals.items():
        assert _total(html, key) == value, key
    link = _next_link(html)
    assert "keep=%E8%BF%99%E4%B8%AA" in link  # the filter stays on the next page
    second = client.get(url + link)
    assert second.status_code == 200
    html = second.content.decode()
    assert len(re.findall(row, html)) == 1
    for key, value in totals.items():  # the totals do not depend on the page
        assert _total(html, key) == value, key


def test_an_item_on_page_2_of_the_queue_can_be_rejected_after_confirmation(client, tree, adviser):
    _queue(tree, adviser)
    last = MakeupRequest.objects.order_by("-day").first()
    sign_in(client, adviser)
    key = f"makeup:{last.pk}"
    page2 = client.get("/followup/queue/?page=2").content.decode()
    assert f'value="{key}"' in page2
    asked = client.post(
        "/followup/queue/?page=2", {"items": [key], "action": "reject", "note": "不符合要求"}
    )
    html = asked.content.decode()
    assert asked.status_code == 200 and 'data-confirm="reject"' in html
    assert f'name="items" value="{key}"' in html
    assert 'action="/followup/queue/?page=2"' in html  # the confirmation stays on the page
    done = client.post(
        "/followup/queue/?page=2",
        {"items": [key], "action": "reject", "note": "不符合要求", "confirm": "1"},
    )
    assert done.status_code == 200 and 'data-decided="1"' in done.content.decode()
    last.refresh_from_db()
    assert (last.state, last.decision_note) == (Decision.REJECTED, "不符合要求")
    assert MakeupRequest.objects.filter(state=Decision.PENDING).count() == 10
