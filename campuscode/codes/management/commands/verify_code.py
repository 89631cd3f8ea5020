from django.core.management.base import BaseCommand

from campuscode.codes.tokens import verify_token


class Command(BaseCommand):
    help = "Verify a campus code token and print the answer (exit 1 when refused)."

    def add_arguments(self, parser):
        parser.add_argument("token")

    def handle(self, *args, token, **options):
        verdict = verify_token(token.strip())
        if verdict.ok:
            person = verdict.person
            self.stdout.write(self.style.SUCCESS(f"VALID {verdict.colour}"))
            self.stdout.write(
                f"person: {person.masked_name} · {person.org_unit.label} · {person.number}"
            )
        else:
            self.stdout.write(self.style.ERROR(f"REFUSED {verdict.reason}: {verdict.reason_label}"))
        if verdict.kid:
            self.stdout.write(f"key: {verdict.kid}  issued: {verdict.issued_at}")
        if not verdict.ok:
            raise SystemExit(1)
