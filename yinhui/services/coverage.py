"""Coverage (联系无死角): for a month, per grid at every level, who was contacted and who was missed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Exists, Integer, and_, case, exists, func, or_, select, true
from sqlmodel import Session, col

from models.grids import BASE_LEVEL, COUNTY_LEVEL, TOWNSHIP_LEVEL, Grid
from models.people import ACTIVE, Cadre, CadrePause, Coordinator
from models.snapshots import CoverageFigures
from models.tasks import LIVE_STATUSES, Contact, Task
from models.types import table_of
from yinhui import clock
from yinhui.i18n import N_, translator
from yinhui.rules.cadence import Period
from yinhui.rules.retry import UNREACHABLE
from yinhui.services.pauses import paused_during
from yinhui.services.planning import compute_assignment

RELATIVE = "relative"  # Contact.via of a contact made through a relative

# Why a cadre was not contacted (`Reason.code`): stable codes that JSON readers key on. A task's
# status (open, overdue, missed, cancelled, done) or the outcome it was done with says the rest.
NO_TASK = "no-task"
UNREACHABLE_AFTER = "unreachable-after-attempts"  # tried again (再次联系) until the attempts ran out
PAUSED = "paused"
REASON_TEXTS = {
    NO_TASK: N_("no task"), "open": N_("open"), "overdue": N_("overdue"), "missed": N_("missed"),
    "cancelled": N_("cancelled"), "done": N_("done"), "reached": N_("reached"), "visited": N_("visited"),
    "declined": N_("declined"), UNREACHABLE: N_("unreachable"),
}


@dataclass
class GridCoverage(CoverageFigures):
    """One grid's coverage this month so far; a `CoverageSnapshot` freezes the same counts for a closed month.

    Every cadre in scope is one of: contacted (``via_relative`` of them only through a relative),
    paused (away all the while they were not contacted: not missed, and out of the rate), or
    missed (``unreachable`` of them after every attempt came back unreachable).
    """

    grid_id: int
    level: int
    name: str
    path: str
    parent_id: int | None
    cadres: int = 0
    contacted: int = 0
    via_relative: int = 0
    paused: int = 0
    unreachable: int = 0


@dataclass(frozen=True)
class Reason:
    """Why a cadre was not contacted in a month, as data: a stable ``code`` and the figures its words
    need, worded in the reader's language by ``render`` (``str`` gives the English).

    ``attempts``: for UNREACHABLE_AFTER the attempts made; for an open or overdue call, those that
    came back unreachable so far. ``late_on``: the task was done, but only after the month.
    ``pause``: for PAUSED, why and the days (first, last) the cadre is away.
    """

    code: str
    attempts: int = 0
    late_on: dt.date | None = None
    pause: tuple[str, dt.date, dt.date] | None = None

    def render(self, language: str | None) -> str:
        words = translator(language)
        if self.pause is not None:
            why, first, last = self.pause
            return words.gettext(N_("paused ({why}, {first}..{last})")).format(
                why=why, first=first.isoformat(), last=last.isoformat())
        if self.code == UNREACHABLE_AFTER:
            said = words.ngettext("unreachable after {count} attempt", "unreachable after {count} attempts",
                                  self.attempts).format(count=self.attempts)
        else:
            said = words.gettext(REASON_TEXTS.get(self.code, self.code))
            if self.attempts:
                said = words.ngettext("{status}, {count} attempt unreachable so far",
                                      "{status}, {count} attempts unreachable so far",
                                      self.attempts).format(status=said, count=self.attempts)
        if self.late_on is not None:
            said = words.gettext(N_("{reason} late ({date})")).format(reason=said, date=self.late_on.isoformat())
        return said

    def __str__(self) -> str:
        return self.render("en")

    def as_json(self) -> dict[str, object]:
        """The reason for a machine: its code and figures (the words are the reader's to add)."""
        found: dict[str, object] = {"reason_code": self.code, "attempts": self.attempts,
                                    "late_on": self.late_on.isoformat() if self.late_on else None}
        if self.pause is not None:
            why, first, last = self.pause
            found.update(pause_reason=why, paused_from=first.isoformat(), paused_until=last.isoformat())
        return found


@dataclass(frozen=True)
class MissedCadre:
    """A cadre not contacted in the month (missed, or paused), with the reason."""

    cadre_id: int
    name: str
    grid: str
    coordinator: str | None
    reason: Reason


@dataclass
class CoverageReport:
    month: Period
    grids: list[GridCoverage]
    missed: list[MissedCadre]
    uncovered_grids: list[str] = field(default_factory=list)
    paused: list[MissedCadre] = field(default_factory=list)

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


def _contact_in(month: Period, *condition: ColumnElement[bool]) -> Exists:
    return exists().where(col(Contact.cadre_id) == col(Cadre.id), col(Contact.on_date) >= month.start,
                          col(Contact.on_date) <= month.end, *condition)


# The figures counted per base grid, each a condition on a cadre in scope; a figure of `GridCoverage`
# by the same name. `contacted` comes first: the others are read against it.
def _figures(month: Period) -> dict[str, ColumnElement[bool]]:
    contacted = _contact_in(month)
    return {
        "contacted": contacted,
        "via_relative": and_(_contact_in(month, col(Contact.via) == RELATIVE),
                             ~_contact_in(month, col(Contact.via).is_(None))),
        "paused": and_(~contacted, paused_during(table_of(Cadre).c.id, month.start, month.end)),
    }


def coverage(session: Session, month: Period) -> CoverageReport:
    figures = _figures(month)
    contacted = figures["contacted"]
    scope = _in_scope(month)
    per_base = session.execute(
        select(col(Cadre.grid_id), func.count(),
               *(func.sum(case((condition, 1), else_=0).cast(Integer)) for condition in figures.values()))
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
    names = list(figures)
    for grid_id, cadres, *counts in per_base:
        _add_up(rows, grid_id, cadres=cadres, **{name: int(n or 0) for name, n in zip(names, counts, strict=True)})
    ordered = [r for r in rows.values() if r.level == COUNTY_LEVEL]
    for township in (r for r in rows.values() if r.level == TOWNSHIP_LEVEL):
        ordered.append(township)
        ordered.extend(r for r in rows.values() if r.level == BASE_LEVEL and r.parent_id == township.grid_id)
    missed, paused = _missed(session, month, scope, contacted, rows)
    try:
        assignment = compute_assignment(session)
        uncovered = [rows[g].path for g in assignment.uncovered if g in rows]
    except LookupError:  # no leader at all: every base grid is uncovered
        uncovered = [r.path for r in rows.values() if r.level == BASE_LEVEL]
    return CoverageReport(month=month, grids=ordered, missed=missed, uncovered_grids=uncovered, paused=paused)


def _add_up(rows: dict[int, GridCoverage], grid_id: int, **figures: int) -> None:
    """Add a base grid's figures to it and to each grid above it."""
    node = rows.get(grid_id)
    while node is not None:
        for name, value in figures.items():
            setattr(node, name, getattr(node, name) + value)
        node = rows.get(node.parent_id) if node.parent_id is not None else None


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


def _paused_in(session: Session, month: Period, cadre_ids: list[int]) -> dict[int, CadrePause]:
    """The pause (the latest) that held during ``month`` for each of ``cadre_ids`` that had one."""
    found: dict[int, CadrePause] = {}
    for start in range(0, len(cadre_ids), 900):
        for pause in session.execute(
            select(CadrePause).where(
                col(CadrePause.cadre_id).in_(cadre_ids[start : start + 900]),
                col(CadrePause.starts) <= month.end, col(CadrePause.until) >= month.start,
                or_(col(CadrePause.ended_on).is_(None),
                    and_(col(CadrePause.ended_on) > col(CadrePause.starts), col(CadrePause.ended_on) > month.start)),
            ).order_by(col(CadrePause.starts))
        ).scalars():
            found[pause.cadre_id] = pause
    return found


def paused_reason(pause: CadrePause) -> Reason:
    """Why and when a paused cadre is away (shown "paused (异地居住, 2026-11-05..2027-02-28)")."""
    ends = pause.until if pause.ended_on is None else pause.ended_on - dt.timedelta(days=1)
    return Reason(PAUSED, pause=(pause.reason, pause.starts, ends))


def _missed(
    session: Session, month: Period, scope: ColumnElement[bool], contacted: ColumnElement[bool],
    rows: dict[int, GridCoverage],
) -> tuple[list[MissedCadre], list[MissedCadre]]:
    """The cadres not contacted in ``month``: the missed, with the task that best says why, and the
    paused (away while not contacted); the grids' ``unreachable`` figures are added up here."""
    cadres = session.execute(
        select(col(Cadre.id), col(Cadre.name), col(Cadre.grid_id)).where(scope, ~contacted).order_by(col(Cadre.grid_id), col(Cadre.name))
    ).all()
    if not cadres:
        return [], []
    ids = [c[0] for c in cadres]
    pauses = _paused_in(session, month, ids)
    month_key = f"{month.start.year:04d}-{month.start.month:02d}"
    status_of: dict[int, tuple[int, str, str | None, int, dt.date | None, int]] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for cadre_id, status, outcome, assignee, closed_at, period, attempts in session.execute(
            select(col(Task.cadre_id), col(Task.status), col(Task.outcome), col(Task.assignee_id), col(Task.closed_at),
                   col(Task.period), col(Task.attempts))
            .where(
                col(Task.cadre_id).in_(chunk),
                or_(col(Task.period) == month_key, and_(col(Task.window_opens) <= month.end, col(Task.due) >= month.start)),
            )
            .order_by(col(Task.id))
        ):
            closed_on = closed_at.astimezone(clock.tz()).date() if closed_at is not None else None
            score = _telling(status, outcome, closed_on, month, period == month_key)
            if cadre_id not in status_of or score > status_of[cadre_id][0]:
                status_of[cadre_id] = (score, status, outcome, assignee, closed_on, attempts)
    names = dict(session.execute(select(col(Coordinator.id), col(Coordinator.name)).where(col(Coordinator.active) == true())).all())
    missed, paused = [], []
    for cadre_id, name, grid_id in cadres:
        _, status, outcome, assignee, closed_on, attempts = status_of.get(
            cadre_id, (0, NO_TASK, None, None, None, 0))
        grid = rows[grid_id].path if grid_id in rows else "?"
        coordinator = names.get(assignee) if assignee else None
        if cadre_id in pauses:
            paused.append(MissedCadre(cadre_id, name, grid, coordinator, paused_reason(pauses[cadre_id])))
            continue
        code = outcome if status == "done" and outcome else status
        tried = 0
        if status == "done" and outcome == UNREACHABLE and attempts:
            code, tried = UNREACHABLE_AFTER, attempts
            _add_up(rows, grid_id, unreachable=1)
        elif status in LIVE_STATUSES and attempts:
            tried = attempts
        late = closed_on if status == "done" and closed_on is not None and closed_on > month.end else None
        missed.append(MissedCadre(cadre_id, name, grid, coordinator, Reason(code, tried, late)))
    return missed, paused
