"""What the overview page shows (全县概况): coverage as a tree with rates and colours, the named
misses of a chosen grid, must-visits by deadline, overdue work by coordinator, and a 12-month
trend drawn on the server as SVG. A leader sees the county; a grid coordinator their own grids."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from urllib.parse import quote

from sqlmodel import Session

from models.people import Coordinator
from yinhui.export.charts import rate_class, trend_svg  # noqa: F401 - app.py colours the page with rate_class from here
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
