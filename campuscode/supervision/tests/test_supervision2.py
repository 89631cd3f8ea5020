"""Supervision follow-up through HTTP: computed data checks (R7.2), on-site point
inspections with photos (R7.4), and the spot check's reveal at its start time (R7.3)."""

import io
from datetime import date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from campuscode.audit.models import AuditEntry
from campuscode.casework.evidence import evidence_of
from campuscode.checkins.models import Checkin, CheckinPoint, Flag, KioskAlert, KioskDisplay
from campuscode.followup.models import AdvanceReport
from campuscode.supervision.models import (
    Finding,
    InspectionPhoto,
    InspectionPlan,
    PlanKind,
    PointInspection,
    SpotDraw,
)
from campuscode.supervision.tests import test_supervision as base
from conftest import sign_in

pytestmark = pytest.mark.django_db
group, cs_dean, make_plan = base.group, base.cs_dean, base.make_plan  # fixtures and helper

DAY = date(2026, 3, 2)


def at(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))


def checkin(person, point, key, **extra):
    return Checkin.objects.create(
        person=person,
        point=point,
        at=at("2026-03-02 08:00"),
        day=DAY,
        period="morning",
        temperature="36.5",
        colour="green",
        reason="normal",
        via=extra.pop("via", "screen"),
        idempotency_key=key,
        **extra,
    )


@pytest.fixture
def records(tree):
    """In 计科2501班 on 2026-03-02: a check-in sent twice (one superseded), one flagged,
    one registered manually, and an advance report nobody decided; a silent screen."""
    point = CheckinPoint.objects.create(campus=tree.main_campus, building="一教", name="东门")
    a, b, c = (tree.person(f"学生{i}", tree.cs_2501) for i in range(3))
    checkin(a, point, "a0", superseded_at=at("2026-03-02 08:05"))
    checkin(a, point, "a1")
    flagged = checkin(b, point, "b1")
    Flag.objects.create(checkin=flagged, reason=Flag.Reason.SHARED_DEVICE)
    checkin(c, point, "c1", via="manual")
    AdvanceReport.objects.create(
        person=c,
        first_day=DAY,
        last_day=DAY,
        periods=["morning"],
        reason="回家",
        created_at=at("2026-03-01 20:00"),
        idempotency_key="r1",
    )
    screen = KioskDisplay.objects.create(point=point, name="屏一", token_hash="x" * 64)
    KioskAlert.objects.create(
        display=screen, kind=KioskAlert.Kind.SILENT, raised_at=at("2026-03-02 09:00")
    )
    return point, screen


def test_the_group_sees_computed_checks_per_unit_and_turns_one_into_a_finding(
    client, tree, group, records
):
    lead, _members = group
    pk = make_plan(client, tree, group, kind=PlanKind.PERIODIC, scope=[tree.cs_2501, tree.cs_2502])
    url = f"/supervision/checks/?plan={pk}&first=2026-03-02&last=2026-03-02"
    response = sign_in(client, lead).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    row = page.split(f'data-unit="{tree.cs_2501.pk}"')[1].split("</tr>")[0]
    assert '<td class="duplicates">1</td>' in row
    assert "33%" in row.split('class="flag-rate"')[1]  # 1 of 3 check-ins flagged
    assert "33%" in row.split('class="manual-rate"')[1]
    assert '<td class="overdue">1</td>' in row
    device = page.split('data-device="screen:')[1].split("</tr>")[0]
    assert '<td class="silent">1</td>' in device
    assert AuditEntry.objects.filter(action="supervision.checks.viewed", actor=lead).count() == 1

    response = client.post(
        url,
        {
            "row": tree.cs_2501.pk,
            "metric": "duplicates",
            "first": "2026-03-02",
            "last": "2026-03-02",
        },
    )
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.unit == tree.cs_2501 and finding.plan_id == pk
    assert finding.applies_on == DAY
    (evidence,) = evidence_of(finding)
    assert evidence.snapshot["duplicates"] == 1 and evidence.intact
    # A device row: the finding goes to the device's campus.
    client.post(
        url,
        {
            "row": f"screen:{records[1].pk}",
            "metric": "silent",
            "first": "2026-03-02",
            "last": "2026-03-02",
        },
    )
    assert Finding.objects.filter(unit=tree.main_campus).count() == 1
    # A row or figure the page does not show changes nothing.
    assert client.post(url, {"row": tree.lang.pk, "metric": "rate"}).status_code == 404
    assert client.post(url, {"row": tree.cs_2501.pk, "metric": "x"}).status_code == 404
    assert Finding.objects.count() == 2


def test_the_checks_refuse_a_bad_period_and_other_roles(client, tree, group, cs_dean):
    lead, _members = group
    response = sign_in(client, lead).get("/supervision/checks/?first=2026-03-05&last=2026-03-01")
    assert response.status_code == 400
    assert "不早于开始日期" in response.content.decode()
    assert client.get("/supervision/checks/?plan=999").status_code == 404
    assert sign_in(client, cs_dean).get("/supervision/checks/").status_code == 403


def png(extra: bytes = b"") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return SimpleUploadedFile("poster.html", buffer.getvalue() + extra, content_type="text/html")


def test_an_on_site_checklist_with_photos_and_a_failed_item_becomes_a_finding(
    client, tree, group, cs_dean
):
    lead, _members = group
    point = CheckinPoint.objects.create(campus=tree.main_campus, building="一教", name="东门")
    pk = make_plan(client, tree, group, kind=PlanKind.ONSITE, scope=[tree.cs])
    plan_page = sign_in(client, lead).get(f"/supervision/plans/{pk}/").content.decode()
    url = f"/supervision/plans/{pk}/point/{point.pk}/inspect/"
    assert url in plan_page
    form = client.get(url)
    assert form.status_code == 200 and "海报张贴" in form.content.decode()
    # Not a photo: refused, nothing saved.
    bad = SimpleUploadedFile("x.png", b"<html>hi</html>", content_type="image/png")
    answers = {"ok_0": "1", "note_0": "", "ok_1": "0", "note_1": "海报被撕掉"}
    assert client.post(url, {**answers, "photos": [bad]}).status_code == 400
    assert not PointInspection.objects.exists()
    response = client.post(url, {**answers, "photos": [png(b"<script>x</script>")]})
    assert response.status_code == 302
    inspection = PointInspection.objects.get()
    assert inspection.answers[1] == {"item": "海报张贴", "ok": False, "note": "海报被撕掉"}
    photo = InspectionPhoto.objects.get()
    assert photo.file.name.endswith(".png")
    served = client.get(f"/supervision/photos/{photo.pk}/")
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")  # read: closes it
    # A passed item does not become a finding; the failed one does, with its evidence.
    detail = f"/supervision/inspections/{inspection.pk}/"
    assert client.post(detail, {"item": "0"}).status_code == 400
    assert client.post(detail, {"item": "1"}).status_code == 302
    finding = Finding.objects.get()
    assert finding.criterion == "海报张贴" and finding.unit == tree.main_campus
    assert evidence_of(finding).get().snapshot["answers"][1]["note"] == "海报被撕掉"
    page = client.get(detail).content.decode()
    assert "已记录问题" in page and 'name="item" value="1"' not in page
    # A department sees neither the inspection nor its photos.
    sign_in(client, cs_dean)
    assert client.get(detail).status_code == 403
    assert client.get(f"/supervision/photos/{photo.pk}/").status_code == 403
    assert client.get(f"/supervision/plans/{pk}/gate/1/inspect/").status_code == 403


def test_a_spot_check_is_revealed_to_its_targets_only_at_the_start(client, tree, group, cs_dean):
    lead, members = group
    pk = make_plan(client, tree, group)  # scope: 计科2501班, 计科2502班
    plan = InspectionPlan.objects.get(pk=pk)
    start = timezone.now() + timedelta(days=1)
    InspectionPlan.objects.filter(pk=pk).update(starts_at=start)
    client.post(f"/supervision/plans/{pk}/", {"draw": "1", "units_count": 1, "inspectors_count": 2})
    draw = SpotDraw.objects.get(plan=plan)
    # Before the start: the department sees nothing; the recused member not the units.
    home = sign_in(client, cs_dean).get("/supervision/").content.decode()
    assert "三月抽查" not in home and draw.seed not in home
    recused_page = sign_in(client, members[0]).get(f"/supervision/plans/{pk}/").content.decode()
    assert draw.seed not in recused_page and "draw-hidden" in recused_page
    lead_page = sign_in(client, lead).get(f"/supervision/plans/{pk}/").content.decode()
    assert draw.seed in lead_page
    # After the start: the department sees it is being checked, but not the seed.
    InspectionPlan.objects.filter(pk=pk).update(starts_at=timezone.now() - timedelta(hours=1))
    home = sign_in(client, cs_dean).get("/supervision/").content.decode()
    assert "三月抽查" in home and "under-way" in home and draw.seed not in home
    assert (
        draw.seed in sign_in(client, members[0]).get(f"/supervision/plans/{pk}/").content.decode()
    )


def test_it_counts_overdue_approvals_by_the_school_settings(client, tree, group, time_machine):
    """R7.2: when an undecided advance report or make-up request counts as overdue is a
    school setting, not a constant."""
    from campuscode.core.rules import set_setting
    from campuscode.followup.models import MakeupRequest

    time_machine.move_to("2026-03-03 12:00 +0800", tick=False)
    lead, _members = group
    pk = make_plan(client, tree, group, kind=PlanKind.PERIODIC, scope=[tree.cs_2501])
    student = tree.person("学生甲", tree.cs_2501)
    AdvanceReport.objects.create(
        person=student,
        first_day=DAY,
        last_day=DAY,
        periods=["morning"],
        reason="回家",
        created_at=at("2026-03-01 20:00"),
        idempotency_key="r1",
    )
    MakeupRequest.objects.create(
        person=student,
        day=DAY,
        period="morning",
        temperature="36.5",
        reason="手机没电",
        submitted_at=at("2026-03-02 09:00"),
        idempotency_key="m1",
    )
    url = f"/supervision/checks/?plan={pk}&first=2026-03-02&last=2026-03-02"

    def overdue() -> str:
        response = sign_in(client, lead).get(url)
        page = response.content.decode()
        assert f'data-unit="{tree.cs_2501.pk}"' in page, (
            response.status_code,
            response.get("Location"),
        )
        row = page.split(f'data-unit="{tree.cs_2501.pk}"')[1].split("</tr>")[0]
        return row.split('<td class="overdue">')[1].split("</td>")[0]

    # Defaults: the report is undecided on (after) its first day, the make-up for 27 hours.
    assert overdue() == "2"
    set_setting(key="supervision_overdue_makeup_days", value=2)
    assert overdue() == "1"  # the make-up has two days before it counts
    set_setting(key="supervision_overdue_report_days", value=2)
    assert overdue() == "0"  # the report counts from 03-04 on
    time_machine.move_to("2026-03-05 12:00 +0800", tick=False)
    client.logout()  # two days idle would sign a staff account out
    assert overdue() == "2"
