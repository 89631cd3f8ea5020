"""The point scanner's API: the point reads a person's own campus code (checkins.evidence).

Every call carries the scanner token of one check-in point (`Authorization: Bearer pt_...`);
the point is taken from the token, never from the request. The answer shows what a gate
shows (masked name and unit), nothing more.
"""

from datetime import datetime

from ninja import Field, Router, Schema
from ninja.security import HttpBearer

from campuscode.checkins import evidence
from campuscode.checkins.models import CheckinPoint
from campuscode.codes.tokens import Reason
from campuscode.gates.services import display_label


class ScannerToken(HttpBearer):
    def authenticate(self, request, token: str) -> CheckinPoint | None:
        point = evidence.point_for_scanner_token(token)
        if point is not None:
            request.point = point
        return point


router = Router(tags=["check-in points"], auth=ScannerToken())


class ScanIn(Schema):
    code: str = Field(..., max_length=400, description="The person's campus code, as read.")


class ScanOut(Schema):
    ok: bool
    reason: str = Field(description="`ok`, a campus-code reason, or `wrong_campus`.")
    reason_label: str
    display: str = Field(description="Masked name and unit, e.g. 张*伟 · 计科2501班")
    expires_at: datetime | None = Field(
        None, description="Until when the person's form at this point counts as on site."
    )


@router.post("/scan", response=ScanOut)
def scan(request, payload: ScanIn):
    """The point's scanner read `code`: the person's form at this point opens on their
    phone for a few minutes (the strongest evidence of presence)."""
    outcome = evidence.grant_presence(point=request.point, code=payload.code)
    grant = outcome.grant
    label = (
        str(Reason(outcome.reason).label)
        if outcome.reason in Reason.values
        else str(evidence.wrong_campus_label())
    )
    return {
        "ok": outcome.ok,
        "reason": outcome.reason,
        "reason_label": label,
        "display": display_label(grant.person) if grant else "",
        "expires_at": grant.expires_at if grant else None,
    }
