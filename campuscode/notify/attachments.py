"""Files an e-mail carries, made when it is sent (R6.3: a report "as a page and an
XLSX/PDF attachment").

A notification never stores the files, nor the figures in them: `notify(attach=...)` keeps
only the arguments of its kind's builder (say {"report": 12}) on the e-mail's `Delivery`,
and the builder makes the files at send time, for that delivery's reader, through the
access layer: a reader who lost the scope since gets the message without them. Each app
registers the builder of its own kinds here, as `texts.TEXTS` does for the words.

A builder is `builder(*, user, args, delivery_id) -> list[Attachment]`; it may return no
files, and a failure becomes the delivery's error (retried like any failed send)."""

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.module_loading import import_string

from campuscode.notify.channels import SendError
from campuscode.notify.models import Delivery, Kind


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


BUILDERS: dict[str, str] = {
    Kind.ANALYSIS_REPORT: "campuscode.analytics.reports.report_attachments",  # analytics
}


def attachments_for(delivery: Delivery) -> list[Attachment]:
    if not delivery.attach:
        return []
    path = BUILDERS.get(delivery.kind)
    if path is None:
        raise SendError(f"attachments: no builder for {delivery.kind}")
    builder = import_string(path)
    # The files are in the school's language, like the outside message they go with.
    with translation.override(settings.LANGUAGE_CODE):
        try:
            return builder(user=delivery.user, args=delivery.attach, delivery_id=delivery.pk)
        except SendError:
            raise
        except Exception as error:  # a builder's bug: recorded on the delivery, retried
            raise SendError(f"attachments: {type(error).__name__}: {error}"[:300]) from error
