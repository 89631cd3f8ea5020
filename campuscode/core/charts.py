"""Small server-drawn SVG charts: no JavaScript, no CDN, readable on a phone.

Each function returns markup for `|safe` in a template; every bar carries a <title>
so a tap or hover shows its exact value, and the figures stay in the page as text.
"""

from dataclasses import dataclass
from html import escape

COLOURS = {
    "blue": "#1d4ed8",
    "green": "#16a34a",
    "yellow": "#eab308",
    "red": "#dc2626",
    "grey": "#9ca3af",
    "light": "#e5e7eb",
}


@dataclass(frozen=True)
class Segment:
    value: float
    colour: str
    title: str


@dataclass(frozen=True)
class Column:
    label: str
    segments: list[Segment]


def stacked_columns(
    columns: list[Column], *, maximum: float, caption: str, height: int = 160
) -> str:
    """Vertical stacked columns, one per label (e.g. a day), scaled to `maximum`."""
    width_each, gap, axis, label_room = 26, 6, 30, 34
    top = 8  # room for the top gridline's label, which would be cut in half at y=0
    width = axis + len(columns) * (width_each + gap)
    plot = height - label_room - top
    scale = plot / maximum if maximum else 0
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(caption)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(caption)}</title>",
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = top + plot - fraction * plot
        parts.append(
            f'<line x1="{axis - 4}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
        )
        parts.append(
            f'<text x="{axis - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end" fill="#6b7280">'
            f"{maximum * fraction:.0f}</text>"
        )
    for index, column in enumerate(columns):
        x = axis + index * (width_each + gap)
        y = top + plot
        for segment in column.segments:
            h = segment.value * scale
            if h <= 0:
                continue
            y -= h
            parts.append(
                f'<rect x="{x}" y="{y:.1f}" width="{width_each}" height="{h:.1f}" '
                f'fill="{COLOURS.get(segment.colour, segment.colour)}"><title>{escape(segment.title)}</title></rect>'
            )
        parts.append(
            f'<text x="{x + width_each / 2}" y="{top + plot + 14}" font-size="10" text-anchor="middle" '
            f'fill="#374151">{escape(column.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def legend(items: list[tuple[str, str]]) -> str:
    """Colour keys under a chart: [(colour, label)]."""
    return (
        '<ul class="chart-legend">'
        + "".join(
            # An SVG swatch: a fill attribute, not an inline style, which the CSP forbids.
            f'<li><svg viewBox="0 0 4 4" aria-hidden="true"><rect width="4" height="4" rx="1" '
            f'fill="{escape(COLOURS.get(colour, colour))}"/></svg>{escape(str(label))}</li>'
            for colour, label in items
        )
        + "</ul>"
    )
