from django.core.management.base import BaseCommand, CommandError

from campuscode.codes import keys as keystore


class Command(BaseCommand):
    help = "List, rotate or retire the campus code signing keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action")
        sub.add_parser("list")
        sub.add_parser("rotate")
        retire = sub.add_parser("retire")
        retire.add_argument("kid")

    def handle(self, *args, action=None, **options):
        if action == "rotate":
            self.stdout.write(self.style.SUCCESS(f"new active key: {keystore.rotate_key()}"))
        elif action == "retire":
            try:
                keystore.retire_key(options["kid"])
            except KeyError:
                raise CommandError(f"no key {options['kid']}") from None
            except ValueError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(self.style.SUCCESS(f"retired {options['kid']}"))
        ring = keystore.load_keyring()
        for kid, key in ring.keys.items():
            state = "active" if kid == ring.active else ("retired" if key.retired else "verifying")
            self.stdout.write(f"{kid}  {state:9}  created {key.created}")
