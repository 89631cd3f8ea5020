"""`campuscode` — the admin's command line, a thin wrapper over Django management.

`campuscode import-roster FILE` runs the `import_roster` management command, and so on:
dashes in the first word become underscores.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["campuscode", *argv[1:]])


if __name__ == "__main__":
    main()
