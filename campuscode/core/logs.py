"""Logging filters."""

import logging


class OneLineRefusals(logging.Filter):
    """Django logs every 403 (a PermissionDenied) with its traceback. A refusal is an
    expected answer, not a fault: keep the one line ("Forbidden (Permission denied): /path")
    and drop the traceback. Server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
