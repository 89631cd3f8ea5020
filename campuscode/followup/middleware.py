"""In-app notices of this app (decisions, waiting approvals, an isolation report due),
added to `request.notices`, which the navigation shows on the next full page."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext


class Notice(str):
    """A notice's text, and where it leads (the banner is a link when `url` is set).

    A str, so every reader of `request.notices` that expects text keeps working."""

    url = ""

    def __new__(cls, text: str, url: str = ""):
        notice = super().__new__(cls, text)
        notice.url = url
        return notice


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
            notices += [Notice(notification_text(n), n.url) for n in unseen]
            Notification.objects.filter(pk__in=[n.pk for n in unseen]).update(
                seen_at=timezone.now()
            )
        if has_capability(user, Cap.APPROVE_REQUESTS) and not request.path.startswith(
            "/followup/queue"
        ):
            count = selectors.pending_count(user)
            if count:
                text = ngettext(
                    "%(n)s request is waiting for your approval: open the approvals.",
                    "%(n)s requests are waiting for your approval: open the approvals.",
                    count,
                ) % {"n": count}
                notices.append(Notice(text, reverse("followup:queue")))
        person = Person.objects.filter(user=user).only("pk").first()
        if person is not None and reports_due_now(person):
            from django.utils.translation import gettext

            notices.append(
                Notice(
                    gettext("Send your isolation health report now: open the report form."),
                    reverse("followup:mine") + "#isolation",
                )
            )
        return notices
