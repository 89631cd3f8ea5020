"""In-app notices of this app (decisions, waiting approvals, an isolation report due),
added to `request.notices`, which the navigation shows on the next full page."""

from django.utils import timezone
from django.utils.translation import ngettext


class FollowupNoticesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._wanted(request):
            notices = self._notices(request)
            if notices:
                request.notices = [*getattr(request, "notices", []), *notices]
        return self.get_response(request)

    @staticmethod
    def _wanted(request) -> bool:
        user = getattr(request, "user", None)
        return (
            user is not None
            and user.is_authenticated
            and request.method == "GET"
            and not request.headers.get("HX-Request")
            and not request.headers.get("X-Background-Poll")
            and not request.path.startswith(("/api/", "/static/", "/django-admin/"))
            and "kiosk" not in request.path
        )

    @staticmethod
    def _notices(request) -> list[str]:
        from campuscode.followup import selectors
        from campuscode.followup.isolation import reports_due_now
        from campuscode.followup.models import Notification
        from campuscode.followup.notices import notification_text
        from campuscode.people.access import Cap, has_capability
        from campuscode.people.models import Person

        user = request.user
        notices = []
        unseen = selectors.unseen_notifications(user)
        if unseen:
            notices += [notification_text(n) for n in unseen]
            Notification.objects.filter(pk__in=[n.pk for n in unseen]).update(
                seen_at=timezone.now()
            )
        if has_capability(user, Cap.APPROVE_REQUESTS) and not request.path.startswith(
            "/followup/queue"
        ):
            count = selectors.pending_count(user)
            if count:
                notices.append(
                    ngettext(
                        "%(n)s request is waiting for your approval (Menu → Approvals).",
                        "%(n)s requests are waiting for your approval (Menu → Approvals).",
                        count,
                    )
                    % {"n": count}
                )
        person = Person.objects.filter(user=user).only("pk").first()
        if person is not None and reports_due_now(person):
            from django.utils.translation import gettext

            notices.append(
                gettext("Send your isolation health report now (Menu → My reports and cases).")
            )
        return notices
