from django.utils import timezone


def notices(request):
    """The one in-app channel on every full page: the account's unseen notices (shown once)
    and the live banners of the apps (approvals waiting, a report due), as text and link."""
    user = getattr(request, "user", None)
    if (
        user is None
        or not user.is_authenticated
        or request.method != "GET"
        or request.headers.get("HX-Request")
        or request.headers.get("X-Background-Poll")
        or "kiosk" in request.path
    ):
        return {}
    from campuscode.notify.models import Notice
    from campuscode.notify.selectors import banner_providers, unseen_notices

    unseen = unseen_notices(user)
    items = [{"text": notice.text, "url": notice.url} for notice in unseen]
    if unseen:
        Notice.objects.filter(pk__in=[n.pk for n in unseen]).update(seen_at=timezone.now())
    for provider in banner_providers:
        items += [{"text": text, "url": url} for text, url in provider(request)]
    return {"notices": items} if items else {}
