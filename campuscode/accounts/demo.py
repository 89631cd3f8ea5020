"""Demo hints for claiming, password reset and two-factor sign-in.

The core demo leaves some students without an account; this names a few of them so a
visitor can try the claim flow, reading the one-time code on the outbox page.
"""

from datetime import datetime

from campuscode.core.rules import set_setting
from campuscode.people.models import OrgUnit, Person


def claimable_examples(*, school: OrgUnit, limit: int = 2) -> list[Person]:
    unclaimed = (
        Person.objects.active()
        .filter(school=school, kind=Person.Kind.STUDENT, user__isnull=True)
        .exclude(email="")
        .exclude(id_last4="")
    )
    # People in the demo student's class first, so the hints match the adviser's view.
    first = list(unclaimed.filter(org_unit__name="计科2501班").order_by("number")[:limit])
    rest = unclaimed.exclude(pk__in=[p.pk for p in first]).order_by("number")
    return first + list(rest[: limit - len(first)])


def load_demo(*, school: OrgUnit, now: datetime) -> list[str]:
    # Demo visitors sign in as each role with one password; a school keeps the default
    # (staff roles must set up an authenticator app), switchable on /settings/.
    set_setting(key="session_require_second_factor", value=False)
    lines = [
        "Claim an account: /accounts/claim/ (one-time codes show on /accounts/outbox/, demo only)"
    ]
    for person in claimable_examples(school=school):
        lines.append(
            f"  unclaimed: number {person.number}, name {person.name}, "
            f"ID last 4 {person.id_last4} ({person.org_unit.name})"
        )
    lines.append(
        "Two-factor sign-in: off for the demo's staff roles (on by default for a school, "
        "see /settings/); staff such as T1001 can turn it on at /accounts/security/"
    )
    lines.append(
        "  10 one-time backup codes come with it; a lost phone is reset by itadmin at "
        "/accounts/second-factor/<account id>/reset/"
    )
    return lines
