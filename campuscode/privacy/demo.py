"""Demo: two personal-data requests (one answered), an audit anchor, and where to look."""

from datetime import datetime

from django.contrib.auth.models import User

from campuscode.audit.services import anchor_head
from campuscode.people.models import OrgUnit, Person
from campuscode.privacy.models import DataRequest
from campuscode.privacy.services import file_request, handle_request


def load_demo(*, school: OrgUnit, now: datetime) -> list[str]:
    students = list(
        Person.objects.filter(
            school=school, org_unit__name="计科2501班", user__isnull=False
        ).order_by("number")[1:3]
    )
    admin = User.objects.filter(username__startswith="T1002@").first()
    for n, person in enumerate(students):
        outcome = file_request(
            actor=person.user,
            kind=DataRequest.Kind.CORRECTION,
            text="登记的手机号已停用，新号码为 139****5678，请更正。",
            reason="换了手机号，收不到提醒短信。",
            idempotency_key=f"demo-{n}",
        )
        if n == 0 and admin is not None and outcome.ok:
            handle_request(
                actor=admin,
                pk=outcome.value.pk,
                state=DataRequest.State.DONE,
                response="已核实并更正手机号。",
            )
    anchor_head(now=now)  # the audit page shows a first anchor at once
    return [
        "My data (any login, e.g. 20250101): /privacy/my-data/ — download everything, file a "
        "correction or deletion request",
        "Personal-data requests (dept admin T1002): /privacy/requests/ — one waiting, one answered",
        "Processing register (security admin T1008, auditor T1009, itadmin): /privacy/register/",
        "Audit log with its signed anchors (auditor T1009 or security admin T1008): /audit/ ; "
        "the system admin does not read it (separation of duties)",
    ]
