"""Monthly coverage over time, as a leader compares it: figures per month, the change, bars on the data's own axis.

Two views of the frozen snapshots (月度覆盖快照):

- a table (a Prefect table artifact): one line per grid, one column per month, then the change
  from the month before in percentage points, the county total first and the grids worst first;
- a chart (Markdown): the latest month's bar per grid, drawn on an axis that starts just below
  the lowest figure shown, so that 92% and 100% no longer look alike; each bar sits in its own
  table cell, which keeps the bars aligned in any font.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from flows.artifacts import grid_path, percent, rate_of, rate_text, total_label, worst_first
from flows.texts import label, report_text
from models.grids import COUNTY_LEVEL, TOWNSHIP_LEVEL
from models.snapshots import CoverageSnapshot

BAR_WIDTH = 20
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


def bar(rate: float, floor: float, width: int = BAR_WIDTH) -> str:
    """`rate` as a bar on the axis floor..100%: a full bar is 100%, an empty one the floor."""
    span = 1.0 - floor
    filled = width if span <= 0 else round((rate - floor) / span * width)
    filled = min(max(filled, 0), width)
    return "█" * filled + "░" * (width - filled)


def trend_chart(history: Mapping[str, Sequence[CoverageSnapshot]], lang: str) -> str:
    """The latest month per grid as a bar on the data's own axis, with its figure and its change."""
    lines = [f"## {label('trend_title', lang)}", ""]
    if not history:
        return "\n".join(lines + [label("no_history", lang)]) + "\n"
    months = list(history)
    last, before = months[-1], months[-2] if len(months) >= 2 else None
    rows = _lines(history)
    shown = [r for _, _, _, rates in rows if (r := rates.get(last)) is not None]
    floor = axis_floor(shown)
    lines.append(report_text("axis", lang, month=last, floor=percent(floor)))
    lines += ["", f"| {label('grid', lang)} | {last} | {label('change', lang)} | {report_text('bar_column', lang, floor=percent(floor))} |",
              "|---|---:|---:|---|"]
    for _grid_id, path, county, rates in rows:
        rate = rates.get(last)
        name = f"**{total_label(path, lang)}**" if county else path
        change = change_points(rates.get(before), rate) if before else NOT_YET
        drawn = f"`{bar(rate, floor)}`" if rate is not None else ""
        lines.append(f"| {name} | {_shown(rates, last, lang)} | {change} | {drawn} |")
    return "\n".join(lines) + "\n"
