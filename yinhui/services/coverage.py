"""Coverage (联系无死角): for a month, per grid at every level, who was contacted and who was missed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Exists, Integer, and_, case, exists, func, or_, select, true
from sqlmodel import Session, col

from models.grids import BASE_LEVEL, COUNTY_LEVEL, TOWNSHIP_LEVEL, Grid
from models.people import ACTIVE, Cadre, Coordinator
from models.snapshots import CoverageFigures
from models.tasks import Contact, Task
from yinhui import clock
from yinhui.rules.cadence import Period
from yinhui.services.planning import compute_assignment


@dataclass
class GridCoverage(CoverageFigures):
    """One grid's coverage this month so far (a `CoverageSnapshot` is the same line, frozen)."""

    grid_id: int
    level: int
    name: str
    path: str
    parent_id: int | None
    cadres: int = 0
    contacted: int = 0


@dataclass(frozen=True)
class MissedCadre:
    cadre_id: int
    name: str
    grid: str
    coordinator: str | None
    reason: str  # no-task, open, overdue, unreachable, declined, cancelled


@dataclass
class CoverageReport:
    month: Period
    grids: list[GridCoverage]
    missed: list[MissedCadre]
    uncovered_grids: list[str] = field(default_factory=list)

    def level(self, level: int) -> list[GridCoverage]:
        return [g for g in self.grids if g.level == level]

    @property
    def total(self) -> GridCoverage:
        return self.level(COUNTY_LEVEL)[0]


def _in_scope(month: Period) -> ColumnElement[bool]:
    """Cadres who were on the books for the whole month: still active, or left after it ended."""
    month_end = dt.datetime.combine(month.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return and_(
        or_(col(Cadre.status) == ACTIVE, col(Cadre.status_since) > month.end),
        col(Cadre.created_at) < month_end,
    )


def coverage(session: Session, month: Period) -> CoverageReport:
    contacted = exists().where(
        col(Contact.cadre_id) == col(Cadre.id), col(Contact.on_date) >= month.start, col(Contact.on_date) <= month.end
    )
    scope = _in_scope(month)
    per_base = session.execute(
        select(col(Cadre.grid_id), func.count(), func.sum(case((contacted, 1), else_=0).cast(Integer)))
        .where(scope)
        .group_by(col(Cadre.grid_id))
    ).all()
    grids = list(session.execute(select(Grid).order_by(col(Grid.level), col(Grid.id))).scalars())
    by_id = {g.id: g for g in grids}

    def path(g: Grid) -> str:
        if g.level == BASE_LEVEL and g.parent_id in by_id:
            return f"{by_id[g.parent_id].name}/{g.name}"
        return g.name

    rows = {g.id: GridCoverage(g.id, g.level, g.name, path(g), g.parent_id) for g in grids}
    for grid_id, cadres, reached in per_base:
        node = rows.get(grid_id)
        while node is not None:  # add the base grid's figures to each level above it
            node.cadres += cadres
            node.contacted += int(reached or 0)
            node = rows.get(node.parent_id) if node.parent_id is not None else None
    ordered = [r for r in rows.values() if r.level == COUNTY_LEVEL]
    for township in (r for r in rows.values() if r.level == TOWNSHIP_LEVEL):
        ordered.append(township)
        ordered.extend(r for r in rows.values() if r.level == BASE_LEVEL and r.parent_id == township.grid_id)
    missed = _missed(session, month, scope, contacted, rows)
    try:
        assignment = compute_assignment(session)
        uncovered = [rows[g].path for g in assignment.uncovered if g in rows]
    except LookupError:  # no leader at all: every base grid is uncovered
        uncovered = [r.path for r in rows.values() if r.level == BASE_LEVEL]
    return CoverageReport(month=month, grids=ordered, missed=missed, uncovered_grids=uncovered)


def _telling(status: str, outcome: str | None, closed_on: dt.date | None, month: Period, own_period: bool) -> int:
    """How well a task explains why a cadre was not contacted in `month` (higher is better).

    The month's own tasks (its call) come first. Among them an answer given (unreachable,
    declined) or a task done only after the month says most, then a lapse, then overdue or open.
    A task closed before the month began (a visit done in an earlier month) explains nothing.
    """
    if status == "done":
        if closed_on is not None and closed_on < month.start:
            score = 0
        else:
            score = 5 if outcome in ("unreachable", "declined") or (closed_on and closed_on > month.end) else 1
    else:
        score = {"missed": 4, "overdue": 3, "open": 2, "cancelled": 1}.get(status, 0)
    return score + (10 if own_period else 0)


def _missed(
    session: Session, month: Period, scope: ColumnElement[bool], contacted: Exists, rows: dict[int, GridCoverage]
) -> list[MissedCadre]:
    cadres = session.execute(
        select(col(Cadre.id), col(Cadre.name), col(Cadre.grid_id)).where(scope, ~contacted).order_by(col(Cadre.grid_id), col(Cadre.name))
    ).all()
    if not cadres:
        return []
    ids = [c[0] for c in cadres]
    month_key = f"{month.start.year:04d}-{month.start.month:02d}"
    status_of: dict[int, tuple[int, str, str | None, int, dt.date | None]] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for cadre_id, status, outcome, assignee, closed_at, period in session.execute(
            select(col(Task.cadre_id), col(Task.status), col(Task.outcome), col(Task.assignee_id), col(Task.closed_at), col(Task.period))
            .where(
                col(Task.cadre_id).in_(chunk),
                or_(col(Task.period) == month_key, and_(col(Task.window_opens) <= month.end, col(Task.due) >= month.start)),
            )
            .order_by(col(Task.id))
        ):
            closed_on = closed_at.astimezone(clock.tz()).date() if closed_at is not None else None
            score = _telling(status, outcome, closed_on, month, period == month_key)
            if cadre_id not in status_of or score > status_of[cadre_id][0]:
                status_of[cadre_id] = (score, status, outcome, assignee, closed_on)
    names = dict(session.execute(select(col(Coordinator.id), col(Coordinator.name)).where(col(Coordinator.active) == true())).all())
    result = []
    for cadre_id, name, grid_id in cadres:
        _, status, outcome, assignee, closed_on = status_of.get(cadre_id, (0, "no-task", None, None, None))
        reason = outcome if status == "done" and outcome else status
        if status == "done" and closed_on is not None and closed_on > month.end:
            reason = f"{outcome} late ({closed_on.isoformat()})"
        grid = rows[grid_id].path if grid_id in rows else "?"
        result.append(MissedCadre(cadre_id, name, grid, names.get(assignee) if assignee else None, reason))
    return result
