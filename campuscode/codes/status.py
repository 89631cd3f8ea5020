"""The colour a person's campus code carries right now, with the reason in plain words.

Later capabilities (health rules, isolation) register a provider; the most severe
answer wins. With no provider the code is green.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from campuscode.codes.tokens import Colour

SEVERITY = {Colour.GREEN: 0, Colour.YELLOW: 1, Colour.RED: 2}


@dataclass(frozen=True)
class Status:
    colour: str
    reason: str


StatusProvider = Callable[[object], Status | None]
_providers: list[StatusProvider] = []


@dataclass(frozen=True)
class ColourSQL:
    """A provider's colour in SQL, for hot paths that need the colour only (a gate scan
    reads it in the same query as the person, instead of one ORM query per provider).

    `columns` are scalar SQL expressions about one person, `params` their parameters in
    order, and `colour(*values)` turns their values into what the provider would answer
    (a colour, or None for no opinion). It must agree with the provider's Status:
    gates/tests/test_scan_colour.py compares the two over many generated histories.
    """

    columns: list[str]
    colour: Callable[..., str | None]
    params: list = field(default_factory=list)


# Given the SQL that names the person's id (e.g. "p.id"), the provider's ColourSQL.
ColourSQLSource = Callable[[str], ColourSQL]


def register_status_provider(
    provider: StatusProvider,
    *,
    candidates: "CandidateSource | None" = None,
    colour_sql: ColourSQLSource | None = None,
) -> StatusProvider:
    """Add a function person → Status | None; called from an app's `ready()`.

    `candidates(school_id)` may name the people the provider could answer non-green for
    (a superset is fine): a whole-school pass, like a gate's offline snapshot, then asks
    the providers about those people only instead of every person in the school.
    `colour_sql` gives the same colour as SQL (see ColourSQL).
    """
    if provider not in _providers:
        _providers.append(provider)
    if candidates is not None:
        _candidates[provider] = candidates
    if colour_sql is not None:
        _colour_sql[provider] = colour_sql
    return provider


_colour_sql: dict[StatusProvider, ColourSQLSource] = {}


@dataclass(frozen=True)
class ColourColumns:
    """Every provider's colour columns for one person, and how to read a row of them."""

    columns: list[str]
    params: list
    parts: list[tuple[int, Callable[..., str | None]]]  # (number of columns, reader)

    def colour(self, values: Sequence) -> str:
        """The worst colour the providers give, from the values of `columns`."""
        worst, start = Colour.GREEN, 0
        for count, reader in self.parts:
            answer = reader(*values[start : start + count])
            start += count
            if answer is not None and SEVERITY[answer] > SEVERITY[worst]:
                worst = answer
        return worst


def colour_columns(person_column: str) -> ColourColumns | None:
    """The SQL that colours the person whose id is `person_column`, or None when some
    provider has none (the caller then asks `current_status`)."""
    if any(provider not in _colour_sql for provider in _providers):
        return None
    columns, params, parts = [], [], []
    for provider in _providers:
        part = _colour_sql[provider](person_column)
        columns += part.columns
        params += part.params
        parts.append((len(part.columns), part.colour))
    return ColourColumns(columns, params, parts)


CandidateSource = Callable[[int], Iterable[int]]
_candidates: dict[StatusProvider, CandidateSource] = {}


def maybe_not_green(school_id: int) -> set[int] | None:
    """Ids of the school's people whose status may not be green, or None when some
    provider cannot say (then every person must be asked)."""
    if any(provider not in _candidates for provider in _providers):
        return None
    ids: set[int] = set()
    for provider in _providers:
        ids.update(_candidates[provider](school_id))
    return ids


def current_status(person) -> Status:
    worst = Status(Colour.GREEN, str(_("No health alerts.")))
    for provider in _providers:
        status = provider(person)
        if status is not None and SEVERITY[status.colour] > SEVERITY[worst.colour]:
            worst = status
    return worst
