"""Charts drawn on the server as plain SVG: the overview page's 12-month trend and the monthly
coverage chart the Prefect UI shows as an image.

Pure drawing: figures and labels in, markup out (no I/O, no clock, no settings). Every text is
escaped, there is no script, and the fonts name the CJK faces a Linux server or a headless
Chromium has, so that Chinese grid names render wherever the SVG is opened.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

GOOD, FAIR = 0.9, 0.6  # rates at or above: green, amber; below: red
COLOURS = {"good": "#2e7d32", "fair": "#ef8f00", "poor": "#c62828"}
FONTS = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif"
TOTAL_COLOUR, GRID_COLOUR, MARK_COLOUR, MUTED = "#1f4e8c", "#7aa6dc", "#222222", "#666666"
TICK_STEPS = (0.02, 0.05, 0.1, 0.2)  # the axis is labelled every step, five steps at most


def rate_class(rate: float) -> str:
    return "good" if rate >= GOOD else "fair" if rate >= FAIR else "poor"


def trend_svg(points: list[tuple[str, float | None]], *, label: str, width: int = 360, height: int = 160) -> str:
    """A bar chart of monthly rates (0-100%), months without figures left empty; plain SVG, no script."""
    left, bottom, top = 28, 22, 8
    inner_h = height - bottom - top
    step = (width - left - 4) / max(len(points), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(label)}" class="trend">', f"<title>{escape(label)}</title>"]
    for share in (0.0, 0.5, 1.0):
        y = top + inner_h * (1 - share)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 2}" y2="{y:.1f}" stroke="#d0d4da" stroke-width="1"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="9" fill="#555">{int(share * 100)}%</text>')
    for i, (month, rate) in enumerate(points):
        x = left + i * step + step * 0.15
        if rate is not None:
            h = inner_h * max(0.0, min(rate, 1.0))
            parts.append(f'<rect x="{x:.1f}" y="{top + inner_h - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS[rate_class(rate)]}"><title>{escape(month)} {rate:.0%}</title></rect>')
        parts.append(f'<text x="{x + step * 0.35:.1f}" y="{height - 8}" text-anchor="middle" font-size="9" '
                     f'fill="#555">{escape(month[5:])}</text>')
    parts.append("</svg>")
    return "".join(parts)


# -- the grids of one month, on the data's own axis ---------------------------------------------


@dataclass(frozen=True)
class GridBar:
    """One line of the chart: a grid's rate this month (None: no data) and the month before's as a mark.

    `figure` is what is printed at the bar's end (`92% (+3)`), or in place of the bar when there
    is no rate (`无数据`); the caller words it in the reader's language.
    """

    name: str
    rate: float | None
    figure: str
    before: float | None = None
    total: bool = False


def text_width(text: str, size: float) -> float:
    """About how wide `text` is drawn at `size`: a CJK character is square, a Latin one about 0.6 of it."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def ticks(floor: float) -> list[float]:
    """The labelled points of the axis floor..100%: round steps, five at most."""
    span = 1.0 - floor
    step = next((s for s in TICK_STEPS if span / s <= 5 + 1e-9), TICK_STEPS[-1])
    count = max(1, math.floor(span / step + 1e-9))
    return [round(floor + i * step, 6) for i in range(count + 1)]


def grid_bars_svg(bars: Sequence[GridBar], *, floor: float, title: str, legend: Sequence[str] = (),
                  width: int = 640) -> str:
    """A horizontal bar per grid, in the order given, on the axis `floor`..100%; the month before as a mark.

    `legend` names what the bars show and, when there is one, what the marks show (two months).
    A grid without a rate gets its `figure` (no data) where its bar would start, and no bar.
    """
    size, row, bar_h, top = 13, 28, 16, 34
    names = [escape(b.name) for b in bars]
    left = 10 + min(260, max((text_width(b.name, size) for b in bars), default=40) + 14)
    right = width - max(84, min(200, max((text_width(b.figure, 12) for b in bars), default=0) + 14))
    span = max(1.0 - floor, 1e-9)

    def x_of(rate: float) -> float:
        return left + (right - left) * min(max((rate - floor) / span, 0.0), 1.0)

    bottom = top + row * len(bars)
    height = bottom + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{escape(title)}" font-family="{escape(FONTS)}" font-size="{size}">',
             f"<title>{escape(title)}</title>", f'<rect width="{width}" height="{height}" fill="#ffffff"/>']
    parts += _legend(legend, left)
    for tick in ticks(floor):
        x = x_of(tick)
        parts.append(f'<line class="tick" x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom + 2}" stroke="#d0d4da" stroke-width="1"/>')
        parts.append(f'<text class="tick-label" x="{x:.1f}" y="{bottom + 18}" text-anchor="middle" font-size="11" '
                     f'fill="{MUTED}">{tick:.0%}</text>')
    for i, (bar, name) in enumerate(zip(bars, names, strict=True)):
        y = top + i * row
        middle = y + bar_h / 2 + 4
        weight = ' font-weight="bold"' if bar.total else ""
        parts.append(f'<text class="grid" x="{left - 10}" y="{middle:.1f}" text-anchor="end"{weight} fill="#111111">{name}</text>')
        if bar.rate is None:
            parts.append(f'<text class="no-data" x="{left + 4}" y="{middle:.1f}" font-size="12" font-style="italic" '
                         f'fill="{MUTED}">{escape(bar.figure)}</text>')
        else:
            end = x_of(bar.rate)
            colour = TOTAL_COLOUR if bar.total else GRID_COLOUR
            parts.append(f'<rect class="bar" x="{left:.1f}" y="{y}" width="{end - left:.1f}" height="{bar_h}" fill="{colour}">'
                         f"<title>{name} {bar.rate:.0%}</title></rect>")
            parts.append(f'<text class="figure" x="{end + 5:.1f}" y="{middle:.1f}" font-size="12"{weight} '
                         f'fill="#111111">{escape(bar.figure)}</text>')
        if bar.before is not None:
            parts.append(_mark(x_of(bar.before), y + bar_h / 2, f"{name} {bar.before:.0%}"))
    parts.append(f'<line x1="{left:.1f}" y1="{top - 4}" x2="{left:.1f}" y2="{bottom + 2}" stroke="#555555" stroke-width="1"/>')
    parts.append("</svg>")
    return "".join(parts)


def _mark(x: float, y: float, title: str, cls: str = "before") -> str:
    """The month before: a dark diamond with a white edge, visible on a bar and beside it."""
    points = f"{x:.1f},{y - 7:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 7:.1f} {x - 5:.1f},{y:.1f}"
    return (f'<polygon class="{cls}" points="{points}" fill="{MARK_COLOUR}" stroke="#ffffff" stroke-width="1.5">'
            f"<title>{title}</title></polygon>")


def _legend(legend: Sequence[str], left: float) -> list[str]:
    """A swatch and the month of the bars, then a diamond and the month of the marks."""
    parts: list[str] = []
    x = left
    for i, words in enumerate(legend[:2]):
        if i == 0:
            parts.append(f'<rect x="{x:.1f}" y="8" width="14" height="10" fill="{GRID_COLOUR}"/>')
        else:
            parts.append(_mark(x + 7, 13, escape(words), "legend-mark"))
        parts.append(f'<text class="legend" x="{x + 20:.1f}" y="17" font-size="12" fill="#333333">{escape(words)}</text>')
        x += 20 + text_width(words, 12) + 24
    return parts


# -- one rate over the months --------------------------------------------------------------------


def rate_line_svg(points: Sequence[tuple[str, float | None]], *, floor: float, title: str, name: str, no_data: str,
                  width: int = 640, height: int = 170) -> str:
    """A line of one rate (the county's, `name`) over the months, on the axis `floor`..100%, each point with its figure.

    A month without a figure breaks the line and says `no_data` where its point would be.
    """
    left, right, top, bottom, inset = 48, width - 24, 42, height - 26, 24
    step = (right - left - 2 * inset) / max(len(points) - 1, 1)
    span = max(1.0 - floor, 1e-9)

    def y_of(rate: float) -> float:
        return bottom - (bottom - top) * min(max((rate - floor) / span, 0.0), 1.0)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{escape(title)}" font-family="{escape(FONTS)}" font-size="11">',
             f"<title>{escape(title)}</title>", f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
             f'<circle cx="{left + 7}" cy="13" r="3.5" fill="{TOTAL_COLOUR}"/>',
             f'<text class="legend" x="{left + 20}" y="17" font-size="12" font-weight="bold" fill="#333333">{escape(name)}</text>']
    for tick in ticks(floor):
        y = y_of(tick)
        parts.append(f'<line class="tick" x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#d0d4da" stroke-width="1"/>')
        parts.append(f'<text class="tick-label" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{tick:.0%}</text>')
    runs: list[list[tuple[float, float]]] = [[]]
    for i, (month, rate) in enumerate(points):
        x = left + inset + i * step if len(points) > 1 else (left + right) / 2
        shown = month if len(points) <= 6 or i == 0 else month[5:]  # twelve months: the year once
        parts.append(f'<text class="month" x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="{MUTED}">{escape(shown)}</text>')
        if rate is None:
            runs.append([])
            parts.append(f'<text class="no-data" x="{x:.1f}" y="{bottom - 4}" text-anchor="middle" font-style="italic" '
                         f'fill="{MUTED}">{escape(no_data)}</text>')
            continue
        runs[-1].append((x, y_of(rate)))
        parts.append(f'<text class="figure" x="{x:.1f}" y="{y_of(rate) - 8:.1f}" text-anchor="middle" font-weight="bold" '
                     f'fill="{TOTAL_COLOUR}">{rate:.0%}</text>')
    for run in (r for r in runs if len(r) > 1):
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
        parts.append(f'<polyline class="line" points="{line}" fill="none" stroke="{TOTAL_COLOUR}" stroke-width="2"/>')
    for x, y in (p for r in runs for p in r):
        parts.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{TOTAL_COLOUR}"/>')
    parts.append("</svg>")
    return "".join(parts)
