"""The colour a person's campus code carries right now, with the reason in plain words.

Later capabilities (health rules, isolation) register a provider; the most severe
answer wins. With no provider the code is green.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from campuscode.codes.tokens import Colour

SEVERITY = {Colour.GREEN: 0, Colour.YELLOW: 1, Colour.RED: 2}


@dataclass(frozen=True)
class Status:
    colour: str
    reason: str


StatusProvider = Callable[[object], Status | None]
_providers: list[StatusProvider] = []


def register_status_provider(provider: StatusProvider) -> StatusProvider:
    """Add a function person → Status | None; used as a decorator in an app's `ready()`."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def current_status(person) -> Status:
    worst = Status(Colour.GREEN, str(_("No health alerts.")))
    for provider in _providers:
        status = provider(person)
        if status is not None and SEVERITY[status.colour] > SEVERITY[worst.colour]:
            worst = status
    return worst
