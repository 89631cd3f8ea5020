from celery import shared_task


@shared_task(name="gates.check_silent_gates")
def check_silent_gates() -> int:
    """Raise 'silent' alerts for gates without a recent heartbeat (R7.2); idempotent."""
    from campuscode.gates.services import check_silent_gates as check

    return check()
