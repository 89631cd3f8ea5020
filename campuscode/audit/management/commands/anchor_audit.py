from django.core.management.base import BaseCommand

from campuscode.audit.services import anchor_head


class Command(BaseCommand):
    help = "Write a signed anchor of the audit log's newest entry to the anchor folder."

    def handle(self, *args, **options):
        document = anchor_head()
        if document is None:
            self.stdout.write("audit log is empty: nothing to anchor")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"anchored entry #{document.payload['last_id']} "
                f"({document.payload['count']} entries) in {document.name}"
            )
        )
