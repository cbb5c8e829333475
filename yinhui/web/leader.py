"""What the overview page shows (全县概况): coverage as a tree with rates and colours, the named
misses of a chosen grid, must-visits by deadline, overdue work by coordinator, and a 12-month
trend drawn on the server as SVG. A leader sees the county; a grid coordinator their own grids."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from sqlmodel import Session

from models.people import Coordinator
from yinhui.rules.cadence import period_from_key
from yinhui.services.coverage import GridCoverage, MissedCadre, coverage
from yinhui.services.overview import (
    TREND_MONTHS,
    FrozenMonth,
    MustVisit,
    coverage_trend,
    frozen_months,
    open_must_visits,
    overdue_by_coordinator,
    overview_scope,
    scoped_coverage,
    trend_months,
)
from yinhui.services.snapshots import snapshot_history
from yinhui.web.texts import t

GOOD, FAIR = 0.9, 0.6  # rates at or above: green, amber; below: red
# The flows whose runs of the day a leader may want to open (their run names: `daily-plan 2026-11-29`).
DAY_RUNS = ("daily-plan", "dispatch", "escalation-sweep")


def prefect_ui_address() -> str | None:
    """The Prefect UI's address: PREFECT_UI_URL, else PREFECT_API_URL without its `/api`; None when neither is set."""
    ui = os.environ.get("PREFECT_UI_URL", "").strip()
    if ui:
        return ui.rstrip("/")
    api = os.environ.get("PREFECT_API_URL", "").strip().rstrip("/").removesuffix("/api")
    return api or None


def day_runs(ui: str | None, today: dt.date) -> list[tuple[str, str]]:
    """(label, address) of the Prefect UI's run list searched for the day's runs, all and per flow."""
    if not ui:
        return []
    day = today.isoformat()
    return [(name, f"{ui}/runs?flow-run-search={quote(name)}") for name in (day, *(f"{f} {day}" for f in DAY_RUNS))]


def rate_class(rate: float) -> str:
    return "good" if rate >= GOOD else "fair" if rate >= FAIR else "poor"


@dataclass(frozen=True)
class OverviewPage:
    title: str
    month: str
    grids: list[GridCoverage]
    chosen: GridCoverage | None
    missed: list[MissedCadre]
    paused: list[MissedCadre]
    must_visits: list[MustVisit]
    overdue: list[tuple[str, int]]
    trend_svg: str
    today: dt.date
    snapshots: list[FrozenMonth]
    runs: list[tuple[str, str]]


def overview_page(session: Session, coordinator: Coordinator, *, today: dt.date, language: str,
                  grid: int | None = None, prefect_ui: str | None = None) -> OverviewPage | None:
    """The overview for this coordinator, or None when they hold no grid and are no leader."""
    scope = overview_scope(session, coordinator)
    if scope is not None and not scope:
        return None
    month = today.strftime("%Y-%m")
    report = scoped_coverage(coverage(session, period_from_key(month)), scope)
    chosen = next((g for g in report.grids if g.grid_id == grid), None)
    if chosen is not None:
        prefix = chosen.path
        missed = [m for m in report.missed if chosen.level == 1 or m.grid == prefix or m.grid.startswith(prefix + "/")]
        paused = [m for m in report.paused if chosen.level == 1 or m.grid == prefix or m.grid.startswith(prefix + "/")]
    else:
        missed, paused = [], []
    if scope is None:
        title = t(language, "title.overview")
    else:
        top = min((g for g in report.grids), key=lambda g: g.level, default=None)
        title = t(language, "title.grid_overview", grid=top.path if top else "")
    history = snapshot_history(session, until=trend_months(today)[-2], months=TREND_MONTHS - 1)
    trend = coverage_trend(session, today=today, scope=scope, current=report.grids, history=history)
    return OverviewPage(
        title=title, month=month, grids=report.grids, chosen=chosen, missed=missed, paused=paused,
        must_visits=open_must_visits(session, scope), overdue=overdue_by_coordinator(session, scope),
        trend_svg=trend_svg(trend, label=t(language, "overview.trend_label")), today=today,
        snapshots=frozen_months(history, scope), runs=day_runs(prefect_ui, today) if scope is None else [],
    )


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
    colours = {"good": "#2e7d32", "fair": "#ef8f00", "poor": "#c62828"}
    for i, (month, rate) in enumerate(points):
        x = left + i * step + step * 0.15
        if rate is not None:
            h = inner_h * max(0.0, min(rate, 1.0))
            parts.append(f'<rect x="{x:.1f}" y="{top + inner_h - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                         f'fill="{colours[rate_class(rate)]}"><title>{escape(month)} {rate:.0%}</title></rect>')
        parts.append(f'<text x="{x + step * 0.35:.1f}" y="{height - 8}" text-anchor="middle" font-size="9" '
                     f'fill="#555">{escape(month[5:])}</text>')
    parts.append("</svg>")
    return "".join(parts)
