from django.core.management.base import BaseCommand

from campuscode.privacy.alerts import check_bulk_reads


class Command(BaseCommand):
    help = (
        "Alert the security admin about accounts that read or exported many people's data "
        "within the school's alert time span."
    )

    def handle(self, *args, **options):
        alerts = check_bulk_reads()
        for alert in alerts:
            self.stdout.write(
                f"alert: {alert.actor.get_username()} read {alert.people} people "
                f"between {alert.since:%Y-%m-%d %H:%M} and {alert.until:%H:%M}"
            )
        self.stdout.write(f"{len(alerts)} new bulk-read alerts")
