"""Creating tasks: set-based inserts for cadres (contact cadence, festival visits, care) and rows for the rest.

Every task is created here, so its defaults (open, not escalated, who created it and when) are the
same whoever plans it. The unique key (rule, subject, period) makes every insert idempotent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    select,
    true,
)
from sqlalchemy.sql import ColumnElement, FromClause
from sqlmodel import Session

from models.grids import GridOwner
from models.people import ACTIVE, Cadre, Coordinator
from models.tasks import OPEN, Task
from models.types import UTCDateTime, table_of, utcnow
from yinhui.rules.cadence import aged_cutoff
from yinhui.rules.playbook import Priority

TASK_COLUMNS = [
    "kind", "rule", "subject_id", "period", "cadre_id", "window_opens", "due", "priority",
    "assignee_id", "status", "escalation_level", "created_by", "created_at",
]
OPTIONAL_COLUMNS = ("cadre_id", "event_id")


def priority_expression(prio: Priority, day: dt.date) -> ColumnElement[int]:
    """SQL twin of `rules.cadence.priority_of` over the cadre table: the smallest value whose condition holds."""
    cadre = table_of(Cadre)
    conditions = [
        (prio.lixiu, cadre.c.category == "lixiu"),
        (prio.aged, cadre.c.birth_date <= literal(aged_cutoff(day, prio.aged_from), Date)),
        (prio.lives_alone, cadre.c.lives_alone == true()),
        (prio.hardship, cadre.c.hardship == true()),
    ]
    whens = [(cond, literal(value, Integer)) for value, cond in sorted(conditions, key=lambda p: p[0]) if value < prio.default]
    if not whens:
        return literal(prio.default, Integer)
    return case(*whens, else_=literal(prio.default, Integer))


def cadre_assignee(leader_id: int, base: FromClause | None = None) -> tuple[FromClause, ColumnElement[int]]:
    """The cadre table (or ``base``, which joins it) joined to what decides who answers for a cadre,
    and that coordinator: the named one (一联五包) if active, else the grid's owner, else the leader."""
    cadre, owner = table_of(Cadre), table_of(GridOwner)
    named = table_of(Coordinator).alias("named")
    joined = (cadre if base is None else base).outerjoin(owner, owner.c.grid_id == cadre.c.grid_id).outerjoin(
        named, and_(named.c.id == cadre.c.coordinator_id, named.c.active == true())
    )
    return joined, func.coalesce(named.c.id, owner.c.owner_id, literal(leader_id, Integer))


def insert_cadre_tasks(
    *,
    session: Session,
    kind: str,
    rule: str,
    period: ColumnElement[str] | str,
    window_opens: ColumnElement[dt.date] | dt.date,
    due: ColumnElement[dt.date] | dt.date,
    priority: ColumnElement[int],
    leader_id: int,
    actor: str,
    where: Sequence[ColumnElement[bool]] = (),
    source: FromClause | None = None,
    cadre_status: str | None = ACTIVE,
) -> int:
    """Insert one task of `rule` per cadre matching ``where`` that has none for the same period.

    One INSERT … SELECT whatever the county's size. ``source`` may join other tables to the cadre
    table (an occurrence, say) whose columns ``period``, ``window_opens`` and ``due`` then read;
    ``priority`` is usually `priority_expression`. The assignee is `cadre_assignee`'s.
    Only cadres of ``cadre_status`` (None: any) get one. Returns how many were created.
    """
    cadre, task = table_of(Cadre), table_of(Task)
    period_col = literal(period, String) if isinstance(period, str) else period
    opens_col = literal(window_opens, Date) if isinstance(window_opens, dt.date) else window_opens
    due_col = literal(due, Date) if isinstance(due, dt.date) else due
    already = exists().where(task.c.rule == rule, task.c.subject_id == cadre.c.id, task.c.period == period_col)
    joined, assignee = cadre_assignee(leader_id, source)
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
        priority,
        assignee,
        literal(OPEN, String),
        literal(0, Integer),
        literal(actor, String),
        literal(utcnow(), UTCDateTime()),
    ).select_from(joined).where(*conditions)
    result = session.exec(
        insert(task).from_select(TASK_COLUMNS, query).execution_options(preserve_rowcount=True)
    )
    return max(result.rowcount or 0, 0)


def create_tasks(*, session: Session, rows: Iterable[Mapping[str, object]], actor: str) -> int:
    """Insert tasks given one by one (a branch's meeting, a lecture, an event's steps); returns how many.

    Each row names kind, rule, subject_id, period, window_opens, due, assignee_id and, as it
    applies, priority, cadre_id and event_id; the task starts open and unescalated, created by
    ``actor`` now.
    """
    now = utcnow()
    complete = [
        {"priority": 50, **dict.fromkeys(OPTIONAL_COLUMNS), **row, "status": OPEN, "escalation_level": 0,
         "created_by": actor, "created_at": now}
        for row in rows
    ]
    if complete:
        session.execute(insert(Task), complete)
    return len(complete)
