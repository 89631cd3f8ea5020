from django.core.management.base import BaseCommand, CommandError

from campuscode.attendance.models import Term
from campuscode.attendance.timetable import commit_timetable, generate_sessions, read_timetable


class Command(BaseCommand):
    help = "Import a term's timetable (XLSX/CSV with 教务系统 headers); --yes to store it."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--term", required=True, help="the term's name")
        parser.add_argument("--yes", action="store_true", help="store the good rows")
        parser.add_argument("--generate", action="store_true", help="then generate sessions")

    def handle(self, *args, **options):
        term = Term.objects.filter(name=options["term"]).first()
        if term is None:
            raise CommandError(f"no term called {options['term']}")
        reading = read_timetable(options["file"], term=term)
        if reading.unreadable:
            raise CommandError("the file cannot be read")
        if reading.missing_headers:
            raise CommandError("missing columns: " + "、".join(reading.missing_headers))
        for row in reading.bad:
            self.stdout.write(f"row {row.number}: " + " ".join(row.problems))
        self.stdout.write(f"{len(reading.good)} good rows, {len(reading.bad)} with problems")
        if not options["yes"]:
            self.stdout.write("nothing stored (add --yes)")
            return
        result = commit_timetable(reading=reading, term=term, actor=None, client_ip=None)
        self.stdout.write(self.style.SUCCESS(f"stored: {result}"))
        if options["generate"]:
            self.stdout.write(self.style.SUCCESS(f"sessions: {generate_sessions(term=term)}"))
