"""Reads of notifications."""

from collections.abc import Callable

from django.db.models import QuerySet

from campuscode.notify.models import Delivery, Notice

# Live banners (not stored notices): each provider is (request) → [(text, url)], e.g.
# the approvals waiting or an isolation report due (followup registers its own).
BannerProvider = Callable[[object], list[tuple[str, str]]]
banner_providers: list[BannerProvider] = []


def unseen_notices(user) -> list[Notice]:
    return list(Notice.objects.filter(user=user, seen_at__isnull=True).order_by("created_at", "id"))


def recent_notices(user, *, limit: int = 10) -> list[Notice]:
    return list(Notice.objects.filter(user=user)[:limit])


def deliveries_needing_attention() -> QuerySet[Delivery]:
    """Failed for good, or failing and waiting for the next try."""
    from django.db.models import Q

    return Delivery.objects.filter(
        Q(status=Delivery.Status.FAILED) | Q(status=Delivery.Status.QUEUED, attempts__gt=0)
    ).select_related("user")
