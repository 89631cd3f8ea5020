"""Run inside a restored copy: do campus codes still verify, does the audit chain?

`verification.py` starts this as a child process whose settings point at the scratch
database and at the keys, audit-chain key and anchors unpacked from the archive, so the
checks are the site's own code (`issue_token`/`verify_token`, `verify_chain`) running
against the restored installation, never against the live one. Prints one JSON object.
"""

import json
import sys


def main() -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils.translation import gettext as _

    from campuscode.audit.services import verify_chain
    from campuscode.codes.tokens import Colour, issue_token, verify_token
    from campuscode.people.models import Person

    result: dict = {}
    if "--migrate" in sys.argv:
        call_command("migrate", verbosity=0, interactive=False)
        result["migrated"] = True
    # The probe runs without Redis, so on the database cache; a copy of a site whose cache
    # is Redis has no cache table, and rate limits and settings reads need one.
    call_command("createcachetable", verbosity=0)
    if not (settings.CODE_KEYS_DIR / "keyring.json").exists():
        result["codes"] = {
            "ok": False,
            "checked": 0,
            "problem": _("The backup holds no signing keys."),
        }
    else:
        people = Person.objects.filter(state=Person.State.ACTIVE).order_by("pk")
        sample = list(people[:5]) + list(people.order_by("-pk")[:5])
        checked, bad = 0, []
        for person in {p.pk: p for p in sample}.values():
            if not person.is_valid_now():
                continue
            verdict = verify_token(issue_token(person=person, colour=Colour.GREEN))
            checked += 1
            if not verdict.ok:
                bad.append([person.pk, str(verdict.reason)])
        result["codes"] = {"ok": not bad, "checked": checked, "bad": bad[:5]}
    report = verify_chain()
    result["audit"] = {
        "ok": report.ok,
        "checked": report.checked,
        "anchors": report.anchors_checked,
        "broken_at": report.broken_at,
        "problem": report.problem,
    }
    sys.stdout.write("PROBE " + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
