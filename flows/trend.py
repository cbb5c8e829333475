"""Monthly coverage over time, as a leader compares it: figures per month, the change, bars on the data's own axis.

Two views of the frozen snapshots (月度覆盖快照):

- a table (a Prefect table artifact): one line per grid, one column per month, then the change
  from the month before in percentage points, the county total first and the grids worst first;
- a chart (Markdown carrying an SVG image the UI shows as it is): the latest month's bar per
  grid, the month before as a mark on it, drawn on an axis that starts just below the lowest
  figure shown, so that 92% and 100% no longer look alike; under it the same figures as a short
  table, for screen readers and for copying.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from typing import Any

from flows.artifacts import grid_path, percent, rate_of, rate_text, total_label, worst_first
from flows.texts import label, report_text
from models.grids import COUNTY_LEVEL, TOWNSHIP_LEVEL
from models.snapshots import CoverageSnapshot
from yinhui.export.charts import GridBar, grid_bars_svg, rate_line_svg

NOT_YET = "—"  # the grid did not exist that month


def _lines(history: Mapping[str, Sequence[CoverageSnapshot]]) -> list[tuple[int, str, bool, dict[str, float | None]]]:
    """(grid id, path, is the county, rate by month) of the county and the level-2 grids.

    The county first, then the grids worst first by their latest month with data.
    """
    lines: dict[int, tuple[str, bool, dict[str, float | None]]] = {}
    for month in reversed(list(history)):  # the newest month names a grid
        for row in history[month]:
            if row.level in (COUNTY_LEVEL, TOWNSHIP_LEVEL):
                path, county, rates = lines.setdefault(row.grid_id, (grid_path(row), row.level == COUNTY_LEVEL, {}))
                rates[month] = rate_of(row)

    def latest(rates: dict[str, float | None]) -> float | None:
        return next((rates[m] for m in reversed(list(history)) if rates.get(m) is not None), None)

    ordered = sorted(lines.items(), key=lambda item: (not item[1][1], worst_first(latest(item[1][2]), item[1][0])))
    return [(grid_id, path, county, rates) for grid_id, (path, county, rates) in ordered]


def change_points(before: float | None, after: float | None) -> str:
    """`+12` / `-5` / `±0` percentage points between two months; `—` when either has no data."""
    if before is None or after is None:
        return NOT_YET
    points = round((after - before) * 100)
    return "±0" if points == 0 else f"{points:+d}"


def _shown(rates: dict[str, float | None], month: str, lang: str) -> str:
    return rate_text(rates[month], lang) if month in rates else NOT_YET


def trend_table(history: Mapping[str, Sequence[CoverageSnapshot]], lang: str) -> list[dict[str, Any]]:
    """One line per grid, one column per snapshotted month, then the change from the month before."""
    months = list(history)
    table = []
    for _grid_id, path, county, rates in _lines(history):
        line: dict[str, Any] = {label("grid", lang): total_label(path, lang) if county else path}
        for month in months:
            line[month] = _shown(rates, month, lang)
        if len(months) >= 2:
            line[label("change", lang)] = change_points(rates.get(months[-2]), rates.get(months[-1]))
        table.append(line)
    return table


def axis_floor(rates: Sequence[float]) -> float:
    """Where the bars start: the 10% step below the lowest figure, so that its bar still shows (0 at least)."""
    if not rates:
        return 0.0
    return max(0.0, math.floor(round(min(rates) * 10, 6) - 1e-6) / 10)


def trend_chart(history: Mapping[str, Sequence[CoverageSnapshot]], lang: str) -> str:
    """The latest month per grid as a bar on the data's own axis, the month before as a mark, then the figures."""
    lines = [f"## {label('trend_title', lang)}", ""]
    if not history:
        return "\n".join(lines + [label("no_history", lang)]) + "\n"
    months = list(history)
    last, before = months[-1], months[-2] if len(months) >= 2 else None
    rows = _lines(history)
    marked = before if before and any(rates.get(before) is not None for *_, rates in rows) else None  # a mark to show
    floor = axis_floor([r for _, _, _, rates in rows for m in (last, marked) if m and (r := rates.get(m)) is not None])
    lines += [report_text("axis", lang, month=last, floor=percent(floor)), "",
              f"![{chart_alt(last, marked, floor, lang)}]({svg_data_uri(trend_svg(rows, last, marked, floor, lang))})", ""]
    total = next(((path, rates) for _, path, is_county, rates in rows if is_county), None)
    if total and sum(total[1].get(m) is not None for m in months) >= 2:  # a line needs two points
        lines += [county_line(months, total[1], total_label(total[0], lang), lang), ""]
    head = [label("grid", lang), *([before] if before else []), last, label("change", lang)]
    lines += ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for _grid_id, path, county, rates in rows:
        name = f"**{total_label(path, lang)}**" if county else path
        figures = [_shown(rates, m, lang) for m in (before, last) if m]
        change = change_points(rates.get(before), rates.get(last)) if before else NOT_YET
        lines.append("| " + " | ".join([name, *figures, change]) + " |")
    return "\n".join(lines) + "\n"


def trend_svg(rows: list[tuple[int, str, bool, dict[str, float | None]]], last: str, before: str | None,
              floor: float, lang: str) -> str:
    """The chart itself: a bar per grid in the table's order, its figure and change at the bar's end,
    the month `before` (None: none with data) as a mark."""
    bars = []
    for _grid_id, path, county, rates in rows:
        rate = rates.get(last)
        change = change_points(rates.get(before), rate) if before else NOT_YET
        figure = rate_text(rate, lang) + (f" ({change})" if rate is not None and change != NOT_YET else "")
        bars.append(GridBar(name=total_label(path, lang) if county else path, rate=rate, figure=figure,
                            before=rates.get(before) if before else None, total=county))
    return grid_bars_svg(bars, floor=floor, title=chart_alt(last, before, floor, lang),
                         legend=[last, *([before] if before else [])])


def county_line(months: list[str], rates: dict[str, float | None], name: str, lang: str) -> str:
    """The county's rate month by month as a line image, on its own axis; months without data say so."""
    points = [(month, rates.get(month)) for month in months]
    floor = axis_floor([r for _, r in points if r is not None])
    words = report_text("line_alt", lang, first=months[0], last=months[-1], floor=percent(floor))
    svg = rate_line_svg(points, floor=floor, title=words, name=name, no_data=label("no_data", lang))
    return f"![{words}]({svg_data_uri(svg)})"


def chart_alt(last: str, before: str | None, floor: float, lang: str) -> str:
    """What the image shows, in words: its alternative text and its title."""
    if before is None:
        return report_text("chart_alt", lang, month=last, floor=percent(floor))
    return report_text("chart_alt_marks", lang, month=last, floor=percent(floor), before=before)


def svg_data_uri(svg: str) -> str:
    """The SVG as a `data:` address the Markdown image carries (base64: no bracket or space to break it)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
