import getpass

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from campuscode.audit.services import log_action
from campuscode.people.models import OrgUnit, Role, RoleAssignment


class Command(BaseCommand):
    help = (
        "Create a system admin account for a school (and the school itself if it is new). "
        "The account holds the system admin role; it is not a Django superuser."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--school", required=True, help="school name, e.g. 示范大学")
        parser.add_argument(
            "--school-code", default="", help="short code for a new school, e.g. DEMO"
        )
        parser.add_argument("--password", help="omit to be asked (safer than the command line)")
        parser.add_argument("--email", default="")

    @transaction.atomic
    def handle(self, *args, username, school, school_code, password, email, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"account {username!r} exists already")
        root = OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL, name=school).first()
        if root is None:
            if not school_code:
                raise CommandError("a new school needs --school-code")
            root = OrgUnit.objects.create(
                kind=OrgUnit.Kind.SCHOOL, name=school, code=school_code.upper()
            )
            self.stdout.write(f"created school {root.name} ({root.code})")
        if password is None:
            password = getpass.getpass("password: ")
            if getpass.getpass("again: ") != password:
                raise CommandError("the passwords differ")
        # A system admin by role, not a Django superuser: duties come from roles, granted
        # through the audited service (MLPS 2.0 separation of duties).
        user = User(username=username, email=email)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        user.set_password(password)
        user.save()
        RoleAssignment.objects.create(user=user, role=Role.SYSTEM_ADMIN, org_unit=root)
        log_action(
            action="accounts.admin.created", data={"username": username, "school": root.name}
        )
        self.stdout.write(self.style.SUCCESS(f"system admin {username} created for {root.name}"))
