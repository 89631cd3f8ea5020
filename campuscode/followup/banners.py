"""Live banners of this app on the one in-app channel (notify's context processor): the
approvals waiting for this account and an isolation report due now, each a link."""

from django.urls import reverse
from django.utils.translation import gettext, ngettext


def banners(request) -> list[tuple[str, str]]:
    from campuscode.followup import selectors
    from campuscode.followup.isolation import reports_due_now
    from campuscode.people.access import Cap, has_capability
    from campuscode.people.models import Person

    user = request.user
    items = []
    queue = reverse("followup:queue")
    if has_capability(user, Cap.APPROVE_REQUESTS) and not request.path.startswith(queue):
        count = selectors.pending_count(user)
        if count:
            items.append(
                (
                    ngettext(
                        "%(n)s request is waiting for your approval (Menu → Approvals).",
                        "%(n)s requests are waiting for your approval (Menu → Approvals).",
                        count,
                    )
                    % {"n": count},
                    queue,
                )
            )
    person = Person.objects.filter(user=user).only("pk").first()
    if person is not None and reports_due_now(person):
        items.append(
            (
                gettext("Send your isolation health report now (Menu → My reports and cases)."),
                reverse("followup:mine"),
            )
        )
    return items
