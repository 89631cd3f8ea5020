"""The dashboards' charts, drawn on the server as inline SVG (R6.3).

Why not a charting library: pygal writes a <style> element and tooltip <script> into each
SVG (both refused by our Content-Security-Policy when inline) and matplotlib's SVG backend
colours every shape with style="" attributes (refused too) and brings numpy and ~40 MB. A
few shapes with presentation attributes (fill=, stroke=: not styles, allowed) and a
<title> on each mark (tap or hover shows the exact figure) are all a phone needs; the
numbers are in the table beside every chart anyway. Same approach as core.charts.
"""

from html import escape

from campuscode.core.charts import COLOURS, legend

MUTED, GRID, INK = "#6b7280", "#e5e7eb", "#374151"
# Check-in rate bands of the heatmap, best first: (from per cent, colour).
BANDS = [(98, "#15803d"), (95, "#4ade80"), (90, "#facc15"), (80, "#fb923c"), (0, "#dc2626")]
NO_DATA = "#f3f4f6"


def band_legend(no_data_label: str) -> str:
    """The key of a heatmap coloured by BANDS."""
    bounds = ["≥98%", "95–98%", "90–95%", "80–90%", "<80%"]
    return legend(
        [(colour, bound) for (_low, colour), bound in zip(BANDS, bounds, strict=True)]
        + [(NO_DATA, no_data_label)]
    )


def band_colour(rate: float | None) -> str:
    if rate is None:
        return NO_DATA
    return next(colour for start, colour in BANDS if rate >= start)


def _open(width: float, height: float, caption: str, *, wide: bool = False) -> list[str]:
    # A wide grid keeps its size and scrolls sideways in its box (class "wide" lets the
    # width attribute apply) rather than shrinking to unreadable cells on a phone.
    size = (
        f'class="chart wide" width="{width:.0f}" height="{height:.0f}"' if wide else 'class="chart"'
    )
    return [
        f'<svg {size} viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(caption)}" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMinYMin meet"><title>{escape(caption)}</title>'
    ]


def _text(x, y, text, *, anchor="start", size=10, fill=INK) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}">{escape(str(text))}</text>'
    )


def line_chart(
    labels: list[str],
    series: list[tuple[str, str, list[float | None]]],
    *,
    minimum: float,
    maximum: float,
    caption: str,
    unit: str = "",
    height: int = 170,
) -> str:
    """Lines over labelled points (days); a None value leaves a gap (a hidden figure)."""
    axis, width, top, label_room = 36, 360, 8, 30
    step = (width - axis - 12) / max(len(labels) - 1, 1)
    every = max(1, -(-len(labels) // 12))  # at most a dozen labels under the axis
    plot = height - label_room - top
    span = (maximum - minimum) or 1

    def y_of(value: float) -> float:
        return top + plot - (min(max(value, minimum), maximum) - minimum) / span * plot

    parts = _open(width, height, caption)
    for fraction in (0.0, 0.5, 1.0):
        value = minimum + fraction * span
        y = y_of(value)
        parts.append(
            f'<line x1="{axis - 4}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        parts.append(_text(axis - 6, y + 4, f"{value:g}{unit}", anchor="end", fill=MUTED))
    for index, label in enumerate(labels):
        if index % every == 0:
            parts.append(_text(axis + index * step, top + plot + 14, label, anchor="middle"))
    for name, colour, values in series:
        colour = COLOURS.get(colour, colour)
        run: list[str] = []
        for index, value in enumerate([*values, None]):
            if value is None:
                if len(run) > 1:
                    parts.append(
                        f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                        f'stroke-width="2"/>'
                    )
                run = []
                continue
            x, y = axis + index * step, y_of(value)
            run.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{3 if len(labels) <= 31 else 1.5}" '
                f'fill="{colour}"><title>'
                f"{escape(f'{labels[index]} {name}: {value:.1f}{unit}')}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


def heatmap(
    row_labels: list[str],
    column_labels: list[str],
    cells: list[list[tuple[float | None, str]]],
    *,
    caption: str,
) -> str:
    """A grid: one row per unit, one column per day, each cell coloured by its rate band
    (grey: no figure or a hidden one); `cells[r][c]` is (rate or None, title)."""
    coloured = [[(band_colour(rate), title) for rate, title in row] for row in cells]
    return _grid(row_labels, column_labels, coloured, caption=caption)


def bars(items: list[tuple[str, float, str, str]], *, caption: str) -> str:
    """Horizontal bars: (label, value to draw, colour, figure to print), scaled to the
    largest value (a hidden figure is drawn as 0 and printed as given, e.g. "<5")."""
    label_width, bar_room, row, top = 130, 180, 22, 4
    width = label_width + bar_room + 50
    height = top + len(items) * row + 4
    largest = max([value for _l, value, _c, _t in items] + [1])
    parts = _open(width, height, caption)
    for index, (label, value, colour, shown) in enumerate(items):
        title = f"{label}: {shown}"
        y = top + index * row
        length = bar_room * value / largest
        parts.append(_text(label_width - 6, y + 14, label, anchor="end"))
        parts.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{max(length, 0):.1f}" height="14" '
            f'rx="2" fill="{COLOURS.get(colour, colour)}"><title>{escape(title)}</title></rect>'
        )
        parts.append(_text(label_width + length + 4, y + 14, shown, fill=MUTED))
    parts.append("</svg>")
    return "".join(parts)


# Volume shades, light to dark (gate passages per hour).
SHADES = ["#dbeafe", "#93c5fd", "#3b82f6", "#1d4ed8", "#1e3a8a"]


def volume_map(
    row_labels: list[str],
    column_labels: list[str],
    cells: list[list[tuple[float | None, str]]],
    *,
    caption: str,
) -> str:
    """A grid like `heatmap`, shaded by each cell's share of the largest value."""
    largest = max([value or 0 for row in cells for value, _t in row] + [1])

    def shade(value):
        if not value:
            return None
        return SHADES[min(int(len(SHADES) * value / largest), len(SHADES) - 1)]

    coloured = [[(shade(value), title) for value, title in row] for row in cells]
    return _grid(row_labels, column_labels, coloured, caption=caption)


def _grid(row_labels, column_labels, cells, *, caption: str) -> str:
    label_width, cell, gap, top = 92, 14 if len(column_labels) > 16 else 20, 2, 16
    width = label_width + len(column_labels) * (cell + gap)
    height = top + len(row_labels) * (cell + gap) + 4
    # A few columns keep their natural size (a day's report: one cell, not a giant one);
    # many keep it too and scroll sideways; two weeks or so fill the width.
    parts = _open(width, height, caption, wide=not 7 <= len(column_labels) <= 16)
    for index, label in enumerate(column_labels):
        if len(column_labels) <= 16 or index % 3 == 0:
            x = label_width + index * (cell + gap) + cell / 2
            parts.append(_text(x, 11, label, anchor="middle", fill=MUTED))
    for r, label in enumerate(row_labels):
        y = top + r * (cell + gap)
        short = label if len(label) <= 8 else label[:7] + "…"
        parts.append(_text(label_width - 6, y + cell * 0.75, short, anchor="end"))
        for c, (colour, title) in enumerate(cells[r]):
            x = label_width + c * (cell + gap)
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" rx="2" '
                f'fill="{colour or NO_DATA}"><title>{escape(title)}</title></rect>'
            )
    parts.append("</svg>")
    return "".join(parts)
