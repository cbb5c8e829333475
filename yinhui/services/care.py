"""What the care services share (四必访、六上门、组织生活、机关节奏): errors, finding a cadre, set-based task inserts.

Care tasks are rows of the one task table. Cadre tasks (must-visits, follow-ups, services, the
visit after missed meetings) carry the cadre as ``subject_id`` and ``cadre_id`` and go, like the
contact cadence, to the cadre's named coordinator (一联五包), else the owner of the cadre's grid,
else the leader. Tasks without a cadre name their subject by their rule: ``org_life:*`` meetings
a party branch (party_org.id), ``staff:*`` tasks the bureau itself (the level-1 grid's id).
"""


from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    exists,
    func,
    insert,
    literal,
    select,
    true,
)
from sqlalchemy.sql import ColumnElement, FromClause
from sqlmodel import Session, col

from models.grids import BASE_LEVEL, TOWNSHIP_LEVEL, Grid, GridOwner
from models.people import ACTIVE, Cadre, Coordinator
from models.tasks import OPEN, Task
from models.types import UTCDateTime, id_of, table_of, utcnow
from yinhui.rules.playbook import Priority
from yinhui.services.calendar import CalendarError
from yinhui.services.events import resolve_cadres
from yinhui.services.grids import GridBook, county_grid
from yinhui.services.people import mask_id_number
from yinhui.services.planning import compute_assignment, priority_expression

TASK_COLUMNS = [
    "kind", "rule", "subject_id", "period", "cadre_id", "window_opens", "due", "priority",
    "assignee_id", "status", "escalation_level", "created_by", "created_at",
]


class CareError(ValueError):
    """A care request (report, attendance, leave, volunteer log ...) that cannot be carried out."""


def _grid_ids(session: Session, ref: str) -> list[int]:
    """Base grids a reference names: 城关镇/东街村, a base grid's own name, or a township (all its grids)."""
    text = ref.strip()
    book = GridBook(session)
    if "/" in text:
        grid = book.resolve(text)
        return [id_of(grid)] if grid is not None and grid.level == BASE_LEVEL else []
    named = [g for g in book.by_id.values() if g.name == text]
    ids = {id_of(g) for g in named if g.level == BASE_LEVEL}
    towns = {g.id for g in named if g.level == TOWNSHIP_LEVEL}
    ids |= {id_of(g) for g in book.by_id.values() if g.level == BASE_LEVEL and g.parent_id in towns}
    return sorted(ids)


def resolve_cadre(session: Session, ref: str, *, grid: str | None = None) -> Cadre:
    """A cadre from what an operator types: #id, an ID number, or a name (with a grid when two share it).

    Among several cadres of one name, the only one still active is meant (a namesake who died
    does not make every report ambiguous). Errors never echo an ID number in full.
    """
    text = ref.strip()
    if not text:
        raise CareError("name the cadre: an ID number, #id, or a name (with --grid if two share it)")
    bare = text.lstrip("#")
    if (bare.isdigit() and len(bare) < 15) or len(text) == 18:
        try:
            (cadre_id,) = resolve_cadres(session, [text])
        except CalendarError as exc:
            raise CareError(str(exc)) from None
        cadre = session.get(Cadre, cadre_id)
        if cadre is None:
            raise CareError(f"no cadre #{cadre_id}")
        return cadre
    query = select(Cadre).where(col(Cadre.name) == text).order_by(col(Cadre.id))
    if grid:
        ids = _grid_ids(session, grid)
        if not ids:
            raise CareError(f"no grid {grid!r}: write 城关镇/东街村, a village or compound, or a township")
        query = query.where(col(Cadre.grid_id).in_(ids))
    found = list(session.execute(query).scalars())
    if not found:
        raise CareError(f"no cadre called {text!r}" + (f" in {grid}" if grid else ""))
    active = [c for c in found if c.status == ACTIVE]
    if len(found) == 1 or len(active) == 1:
        return found[0] if len(found) == 1 else active[0]
    book = GridBook(session)
    options = ", ".join(
        f"#{c.id} {book.path(book.by_id[c.grid_id])} ({mask_id_number(c.id_number)})" for c in found[:6]
    )
    raise CareError(f"{len(found)} cadres are called {text!r}: {options}; add --grid or give the #id")


def plan_leader(session: Session) -> int:
    """The leader that unowned work falls back to, chosen as every planning flow chooses it."""
    return compute_assignment(session).leader_id


def bureau_subject(session: Session) -> int:
    """The subject of the bureau's own tasks (lecture, writing group): the level-1 grid."""
    return id_of(county_grid(session))


def insert_cadre_tasks(
    session: Session,
    *,
    kind: str,
    rule: str,
    period: ColumnElement[str] | str,
    window_opens: ColumnElement[dt.date] | dt.date,
    due: ColumnElement[dt.date] | dt.date,
    where: Sequence[ColumnElement[bool]],
    day: dt.date,
    prio: Priority,
    leader_id: int,
    actor: str,
    source: FromClause | None = None,
    cadre_status: str | None = ACTIVE,
) -> int:
    """Insert one task per cadre matching ``where`` that has none with the same (rule, period).

    ``source`` may join other tables to the cadre table (an occurrence, say) whose columns
    ``period``, ``window_opens`` and ``due`` then read. One statement whatever the count; the
    assignee is found as for the contact cadence. Returns how many were created.
    """
    cadre, task, owner = table_of(Cadre), table_of(Task), table_of(GridOwner)
    named = table_of(Coordinator).alias("named")
    period_col = literal(period, String) if isinstance(period, str) else period
    opens_col = literal(window_opens, Date) if isinstance(window_opens, dt.date) else window_opens
    due_col = literal(due, Date) if isinstance(due, dt.date) else due
    already = exists().where(task.c.rule == rule, task.c.subject_id == cadre.c.id, task.c.period == period_col)
    base = source if source is not None else cadre
    frm = base.outerjoin(owner, owner.c.grid_id == cadre.c.grid_id).outerjoin(
        named, and_(named.c.id == cadre.c.coordinator_id, named.c.active == true())
    )
    conditions = [*where, ~already]
    if cadre_status is not None:
        conditions.append(cadre.c.status == cadre_status)
    query = select(
        literal(kind, String),
        literal(rule, String),
        cadre.c.id,
        period_col,
        cadre.c.id,
        opens_col,
        due_col,
        priority_expression(prio, day),
        func.coalesce(named.c.id, owner.c.owner_id, literal(leader_id, Integer)),
        literal(OPEN, String),
        literal(0, Integer),
        literal(actor, String),
        literal(utcnow(), UTCDateTime()),
    ).select_from(frm).where(*conditions)
    result = session.exec(
        insert(task).from_select(TASK_COLUMNS, query).execution_options(preserve_rowcount=True)
    )
    return max(result.rowcount or 0, 0)


def grid_paths(session: Session, grid_ids: Sequence[int]) -> dict[int, str]:
    """"城关镇/东街村" for each base grid id (for reports)."""
    wanted = set(grid_ids)
    if not wanted:
        return {}
    book = GridBook(session)
    return {gid: book.path(book.by_id[gid]) for gid in wanted if gid in book.by_id}


def grid_of(session: Session, cadre: Cadre) -> str:
    grid = session.get(Grid, cadre.grid_id)
    return grid_paths(session, [cadre.grid_id]).get(cadre.grid_id, grid.name if grid else "?")

