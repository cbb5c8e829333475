"""What the leader's page reads (selectors, 全县概况): coverage in a scope, must-visits by deadline,
overdue work by coordinator, the 12-month trend. Counts and names only: no phones, no ID numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from models.grids import COUNTY_LEVEL, Grid
from models.people import Cadre, Coordinator, CoordinatorGrid
from models.snapshots import CoverageSnapshot
from models.tasks import LIVE_STATUSES, OVERDUE, Task, TaskEvent
from yinhui import clock
from yinhui.rules.cadence import period_from_key
from yinhui.services.coverage import CoverageReport, GridCoverage, coverage
from yinhui.services.snapshots import snapshot_history

LEADER = "leader"
TREND_MONTHS = 12


def page_version(session: Session, coordinator_id: int) -> tuple[int, int, int]:
    """What a coordinator's page depends on, in three numbers: the newest task of all, how many
    tasks are theirs (assigned or escalated to them), and the newest audit event of those (every
    task change writes one). Equal numbers: nothing on their list was added, changed or moved away."""
    theirs = or_(col(Task.assignee_id) == coordinator_id, col(Task.escalated_to_id) == coordinator_id)
    row = session.execute(select(
        select(func.max(col(Task.id))).scalar_subquery(),
        select(func.count()).select_from(Task).where(theirs).scalar_subquery(),
        select(func.max(col(TaskEvent.id))).where(col(TaskEvent.task_id).in_(select(col(Task.id)).where(theirs)))
        .scalar_subquery(),
    )).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


def overview_scope(session: Session, coordinator: Coordinator) -> tuple[int, ...] | None:
    """The grids a coordinator may overview: None for a leader (the whole county), else the grids
    they hold and everything under them (empty: they hold none)."""
    if coordinator.role == LEADER:
        return None
    held = set(session.execute(
        select(col(CoordinatorGrid.grid_id)).where(col(CoordinatorGrid.coordinator_id) == coordinator.id)
    ).scalars())
    grids = list(session.execute(select(col(Grid.id), col(Grid.parent_id), col(Grid.level))).all())
    if any(level == COUNTY_LEVEL for gid, _parent, level in grids if gid in held):
        return None  # holding the bureau's own grid is holding the county
    wanted = set(held)
    while True:
        below = {gid for gid, parent, _level in grids if parent in wanted} - wanted
        if not below:
            return tuple(sorted(wanted))
        wanted |= below


def scoped_coverage(report: CoverageReport, scope: tuple[int, ...] | None) -> CoverageReport:
    """The report cut to the grids in scope (the whole report when the scope is the county)."""
    if scope is None:
        return report
    inside = set(scope)
    paths = {g.path for g in report.grids if g.grid_id in inside}
    return CoverageReport(
        month=report.month, grids=[g for g in report.grids if g.grid_id in inside],
        missed=[m for m in report.missed if m.grid in paths],
        uncovered_grids=[p for p in report.uncovered_grids if p in paths],
        paused=[m for m in report.paused if m.grid in paths],
    )


@dataclass(frozen=True)
class MustVisit:
    task_id: int
    cadre: str
    grid: str
    coordinator: str
    due: dt.date
    status: str
    escalation_level: int


def _grid_paths(session: Session) -> dict[int, str]:
    grids = {g.id: g for g in session.execute(select(Grid)).scalars()}
    return {gid: (f"{grids[g.parent_id].name}/{g.name}" if g.level == 3 and g.parent_id in grids else g.name)
            for gid, g in grids.items() if gid is not None}


def open_must_visits(session: Session, scope: tuple[int, ...] | None, *, limit: int = 100) -> list[MustVisit]:
    """Live must-visits (必访), the nearest deadline first."""
    query = (
        select(col(Task.id), col(Cadre.name), col(Cadre.grid_id), col(Coordinator.name), col(Task.due),
               col(Task.status), col(Task.escalation_level))
        .join(Cadre, col(Cadre.id) == col(Task.cadre_id))
        .join(Coordinator, col(Coordinator.id) == col(Task.assignee_id))
        .where(col(Task.kind) == "must_visit", col(Task.status).in_(LIVE_STATUSES))
        .order_by(col(Task.due), col(Task.id)).limit(limit)
    )
    if scope is not None:
        query = query.where(col(Cadre.grid_id).in_(scope))
    paths = _grid_paths(session)
    return [MustVisit(task_id, name, paths.get(grid_id, ""), who, due, status, level)
            for task_id, name, grid_id, who, due, status, level in session.execute(query)]


def overdue_by_coordinator(session: Session, scope: tuple[int, ...] | None) -> list[tuple[str, int]]:
    """Coordinators with overdue tasks and how many, most first."""
    query = (
        select(col(Coordinator.name), func.count())
        .select_from(Task).join(Coordinator, col(Coordinator.id) == col(Task.assignee_id))
        .where(col(Task.status) == OVERDUE)
        .group_by(col(Coordinator.name)).order_by(func.count().desc(), col(Coordinator.name))
    )
    if scope is not None:
        query = query.where(col(Task.cadre_id).in_(select(col(Cadre.id)).where(col(Cadre.grid_id).in_(scope))))
    return [(name, int(n)) for name, n in session.execute(query)]


@dataclass(frozen=True)
class FrozenMonth:
    """A month's frozen snapshot (月度快照) in a scope: its top rows' figures, and when it was taken."""

    month: str
    cadres: int
    contacted: int
    rate: float | None
    taken_on: dt.date


def frozen_months(history: dict[str, list[CoverageSnapshot]], scope: tuple[int, ...] | None) -> list[FrozenMonth]:
    """The snapshotted months of ``history`` (from `snapshot_history`) cut to the scope, newest first."""
    inside = None if scope is None else set(scope)
    months = []
    for key in sorted(history, reverse=True):
        rows = [s for s in history[key] if (s.level == COUNTY_LEVEL if inside is None else s.grid_id in inside)]
        if not rows:
            continue
        top = min(s.level for s in rows)
        cadres = sum(s.expected for s in rows if s.level == top)
        contacted = sum(s.contacted for s in rows if s.level == top)
        taken = max(s.taken_at for s in rows).astimezone(clock.tz()).date()
        months.append(FrozenMonth(key, cadres, contacted, contacted / cadres if cadres else None, taken))
    return months


def trend_months(today: dt.date) -> list[str]:
    """The 12 months the trend shows, oldest first, ending with ``today``'s."""
    first = today.replace(day=1)
    months = []
    for back in range(TREND_MONTHS - 1, -1, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - back, 12)
        months.append(f"{y:04d}-{m + 1:02d}")
    return months


def coverage_trend(session: Session, *, today: dt.date, scope: tuple[int, ...] | None,
                   current: list[GridCoverage] | None = None,
                   history: dict[str, list[CoverageSnapshot]] | None = None) -> list[tuple[str, float | None]]:
    """Coverage rate per month for the last 12 months, oldest first: frozen snapshots, the current
    month so far; None for a month with no snapshot. ``current``: this month's rows, if already read;
    ``history``: the snapshots of the 11 months before, if already read."""
    this_month = today.strftime("%Y-%m")
    months = trend_months(today)
    if history is None:
        history = snapshot_history(session, until=months[-2], months=TREND_MONTHS - 1)
    inside = None if scope is None else set(scope)

    def rate(rows: list[tuple[int, int, int]]) -> float | None:
        # (level, cadres expected, contacted) of the top rows in scope: the county, else the held grids
        if not rows:
            return None
        top = min(level for level, _c, _n in rows)
        cadres = sum(c for level, c, _n in rows if level == top)
        contacted = sum(n for level, _c, n in rows if level == top)
        return contacted / cadres if cadres else None

    def pick(grid_id: int | None, level: int) -> bool:
        return (level == COUNTY_LEVEL) if inside is None else grid_id in inside

    trend: list[tuple[str, float | None]] = []
    for key in months[:-1]:
        rows = [(s.level, s.expected, s.contacted) for s in history.get(key, []) if pick(s.grid_id, s.level)]
        trend.append((key, rate(rows)))
    if current is None:
        current = coverage(session, period_from_key(this_month)).grids
    rows = [(g.level, g.cadres - g.paused, g.contacted) for g in current if pick(g.grid_id, g.level)]
    trend.append((this_month, rate(rows)))
    return trend
