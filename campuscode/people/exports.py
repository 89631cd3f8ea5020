"""The people list as a spreadsheet, with masked values (written by core.spreadsheets)."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from campuscode.core.spreadsheets import Sheet, stamp, xlsx_response
from campuscode.people.models import Person


def people_xlsx(people):
    """The filtered people list; phone and ID number masked as on the page."""
    headers = [
        _("Number"),
        pgettext("person", "Name"),
        _("Kind"),
        _("Org unit"),
        _("Mobile phone"),
        _("ID number"),
        _("State"),
        _("Account claimed"),
    ]
    yes, no = _("Yes"), _("No")
    kinds, states = dict(Person.Kind.choices), dict(Person.State.choices)

    def rows():
        for person in people.iterator(chunk_size=2000):
            yield [
                person.number,
                person.name,
                str(kinds.get(person.kind, person.kind)),
                person.org_unit.label,
                person.masked_phone,
                person.masked_id,
                str(states.get(person.state, person.state)),
                yes if person.claimed_at else no,
            ]

    when = stamp()
    title = _("People list")
    return xlsx_response(
        filename=f"{title}-{when}.xlsx",
        ascii_filename=f"people-{when}.xlsx",
        sheets=[Sheet(title, headers, rows())],
    )
