"""The dashboard's panels, as a registry other apps add to (R6.3).

The health dashboard (/analytics/) and its XLSX export show every registered panel whose
capability covers the unit being looked at. Check-ins, the heatmap, the reasons for
missing and the health figures are registered by this app (builtin_panels); class
attendance joins the same way from the attendance app's AppConfig.ready()
(attendance/analysis.py):

    from campuscode.analytics.panels import Panel, register

    register(Panel(
        key="attendance",
        title=_("Class attendance"),
        capability=Cap.VIEW_HEALTH,          # or the attendance app's own capability
        template="attendance/analytics_panel.html",
        context=lambda scope: {...},          # figures of scope.unit from scope.first..last
        sheets=lambda scope: [Sheet(...)],    # optional: its sheets in the XLSX export
        snapshot=lambda scope: {...},         # optional: its figures kept in a report
        order=40,
    ))

A panel reads only `scope.unit`'s subtree (the view has checked the reader's scope for
`capability` over it), from summary tables where the raw ones are large, and hides small
groups with `scope.dashboard.shown(figures)` / `scope.min_group` as the built-in panels do;
where its figures on a line add up to a total shown somewhere, it hides one more with
`selectors.complement` so that a hidden one cannot be worked out by subtraction.

A periodic report keeps the figures it was built from: a panel with its own figures gives
`snapshot(scope)` (a JSON dict, stored in the report under the panel's key) and, shown in
a report, finds it again in `scope.stored[key]` (None on the live dashboard).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from campuscode.core.spreadsheets import Sheet
from campuscode.people.access import covers_unit
from campuscode.people.models import OrgUnit


@dataclass
class PanelScope:
    """What a panel is asked to show: `unit`'s subtree from `first` to `last`."""

    user: object
    unit: OrgUnit
    first: date
    last: date
    # A report's stored panel figures (panel key → its snapshot); None: live figures.
    stored: dict | None = None

    @cached_property
    def dashboard(self):
        from campuscode.analytics.selectors import figures_for

        return figures_for(self.unit, self.first, self.last)

    @property
    def min_group(self) -> int:
        return self.dashboard.min_group


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    capability: str
    template: str
    context: Callable[[PanelScope], dict]
    sheets: Callable[[PanelScope], list[Sheet]] | None = None
    order: int = 100
    snapshot: Callable[[PanelScope], dict] | None = None


PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    """Add (or replace, by key) a panel; safe to call again from a second ready()."""
    PANELS[panel.key] = panel


def panels_for(user, unit: OrgUnit) -> list[Panel]:
    """The panels whose capability reaches `unit` for `user`, in their order."""
    return sorted(
        (p for p in PANELS.values() if covers_unit(user, p.capability, unit)),
        key=lambda p: (p.order, p.key),
    )
