"""Compile locale/*/LC_MESSAGES/django.po into .mo files with Babel.

Django's `compilemessages` needs GNU gettext, which a fresh machine lacks; Babel is a
Python package from the lock file, so `make` can build the catalogues anywhere.
Fails (exit 1) on a zh_Hans catalogue with untranslated or fuzzy entries.
"""

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
MUST_BE_COMPLETE = {"zh_Hans"}


def compile_all(check: bool = True) -> list[str]:
    problems = []
    for po_path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        locale = po_path.parts[-3]
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale.replace("_Hans", ""))
        if check and locale in MUST_BE_COMPLETE:
            for message in catalog:
                if not message.id:
                    continue
                strings = (
                    message.string if isinstance(message.string, tuple | list) else [message.string]
                )
                if message.fuzzy or not all(strings):
                    ident = message.id[0] if isinstance(message.id, tuple | list) else message.id
                    problems.append(
                        f"{po_path.relative_to(LOCALE_DIR)}: untranslated or fuzzy: {ident!r}"
                    )
        with po_path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
    return problems


def main() -> None:
    problems = compile_all()
    for problem in problems:
        print(problem, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
