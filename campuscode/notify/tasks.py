"""Background sending (also `campuscode send-notifications`); `notify.retry_due` runs
every minute from CELERY_BEAT_SCHEDULE. Both are idempotent (see services.deliver)."""

from celery import shared_task


@shared_task(name="notify.send_deliveries")
def send_deliveries(ids: list[int]) -> int:
    from campuscode.notify.models import Delivery
    from campuscode.notify.services import deliver

    return sum(deliver(delivery_id=pk) == Delivery.Status.SENT for pk in ids)


@shared_task(name="notify.retry_due")
def retry_due() -> int:
    from campuscode.notify.services import retry_due as retry

    return retry()
