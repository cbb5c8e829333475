"""Set-based planning queries: one statement per rule and day, never one round trip per cadre."""


from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import (
    Date,
    Integer,
    String,
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    true,
)
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col

from models.grids import COUNTY_LEVEL, Grid, GridOwner
from models.people import ACTIVE, LEADER, ROLES, Cadre, Coordinator, CoordinatorGrid
from models.tasks import OPEN, Contact, Task
from models.types import UTCDateTime, id_of, table_of, utcnow
from yinhui.rules.assignment import Assignment, GridNode, assign_grids
from yinhui.rules.cadence import DueCadence, aged_cutoff
from yinhui.rules.playbook import Priority
from yinhui.services.grids import county_grid


def _cadre() -> Table:
    return table_of(Cadre)


def compute_assignment(session: Session) -> Assignment:
    """Who answers for every base grid right now (reads only)."""
    grids = [GridNode(g.id, g.level, g.parent_id, g.name) for g in session.execute(select(Grid)).scalars()]
    role_rank = {role: i for i, role in enumerate(("grid", "staff", "leader"))}
    rows = session.execute(
        select(col(CoordinatorGrid.grid_id), col(Coordinator.id), col(Coordinator.role))
        .join(Coordinator, col(Coordinator.id) == col(CoordinatorGrid.coordinator_id))
        .where(col(Coordinator.active) == true())
    ).all()
    holders: dict[int, list[tuple[int, int]]] = {}
    for grid_id, coord_id, role in rows:
        holders.setdefault(grid_id, []).append((role_rank.get(role, len(ROLES)), coord_id))
    ordered = {gid: [cid for _, cid in sorted(pairs)] for gid, pairs in holders.items()}
    leaders = session.execute(
        select(col(Coordinator.id)).where(col(Coordinator.role) == LEADER, col(Coordinator.active) == true())
    ).scalars().all()
    county_ids = {g.id for g in grids if g.level == COUNTY_LEVEL}
    county_leaders = [cid for gid in county_ids for cid in ordered.get(gid, []) if cid in set(leaders)]
    return assign_grids(grids, ordered, leaders, county_leaders)


def refresh_grid_owners(session: Session) -> Assignment:
    """Recompute who answers for every base grid and store it in `grid_owner`."""
    assignment = compute_assignment(session)
    session.execute(delete(GridOwner))
    if assignment.owners:
        session.execute(
            insert(GridOwner),
            [
                {
                    "grid_id": o.grid_id,
                    "owner_id": o.owner_id,
                    "via": o.via,
                    "township_owner_id": o.township_owner_id,
                    "leader_id": o.leader_id,
                }
                for o in assignment.owners.values()
            ],
        )
    return assignment


def priority_expression(prio: Priority, day: dt.date) -> ColumnElement[int]:
    """SQL twin of `rules.cadence.priority_of`: the smallest value whose condition holds."""
    cadre = _cadre()
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


def insert_cadre_tasks(
    session: Session,
    *,
    kind: str,
    rule: str,
    period: str,
    window_opens: dt.date,
    due: dt.date | ColumnElement[dt.date],
    priority: ColumnElement[int],
    leader_id: int,
    actor: str,
    conditions: Sequence[ColumnElement[bool]] = (),
) -> int:
    """Insert one task of `rule` for `period` for every active cadre meeting `conditions`.

    One INSERT … SELECT whatever the county's size. The assignee is the cadre's named
    coordinator (一联五包) if active, else the owner of the cadre's grid, else the leader; cadres
    who already have the task get none (the unique key would refuse it anyway).
    """
    cadre = _cadre()
    task = table_of(Task)
    owner = table_of(GridOwner)
    named = table_of(Coordinator).alias("named")
    already = exists().where(task.c.rule == rule, task.c.subject_id == cadre.c.id, task.c.period == period)
    source = (
        select(
            literal(kind, String),
            literal(rule, String),
            cadre.c.id,
            literal(period, String),
            cadre.c.id,
            literal(window_opens, Date),
            due if isinstance(due, ColumnElement) else literal(due, Date),
            priority,
            func.coalesce(named.c.id, owner.c.owner_id, literal(leader_id, Integer)),
            literal(OPEN, String),
            literal(0, Integer),
            literal(actor, String),
            literal(utcnow(), UTCDateTime()),
        )
        .select_from(
            cadre.outerjoin(owner, owner.c.grid_id == cadre.c.grid_id).outerjoin(
                named, and_(named.c.id == cadre.c.coordinator_id, named.c.active == true())
            )
        )
        .where(cadre.c.status == ACTIVE, ~already, *conditions)
    )
    columns = [
        "kind", "rule", "subject_id", "period", "cadre_id", "window_opens", "due", "priority",
        "assignee_id", "status", "escalation_level", "created_by", "created_at",
    ]
    result = session.exec(
        insert(task).from_select(columns, source).execution_options(preserve_rowcount=True)
    )
    return max(result.rowcount or 0, 0)


def create_cadence_tasks(
    session: Session, due: DueCadence, *, day: dt.date, prio: Priority, leader_id: int, actor: str
) -> int:
    """Insert the rule's task for every eligible active cadre that has none for the period yet.

    A cadre already contacted in the period in a way that satisfies the rule (a visit covering
    the month's call) gets no task. Returns the number created.
    """
    cadre = _cadre()
    contact = table_of(Contact)
    contacted = exists().where(
        contact.c.cadre_id == cadre.c.id,
        contact.c.on_date >= literal(due.period.start, Date),
        contact.c.on_date <= literal(day, Date),
        contact.c.mode.in_(due.satisfied_by),
    )
    return insert_cadre_tasks(
        session,
        kind=due.kind,
        rule=due.rule,
        period=due.period.key,
        window_opens=due.window_opens,
        due=due.due,
        priority=priority_expression(prio, day),
        leader_id=leader_id,
        actor=actor,
        conditions=(cadre.c.category.in_(due.categories), ~contacted),
    )














def plan_leader(session: Session) -> int:
    """The leader that unowned work falls back to, chosen as every planning flow chooses it."""
    return compute_assignment(session).leader_id


def bureau_subject(session: Session) -> int:
    """The subject of the bureau's own tasks (lecture, writing group): the level-1 grid."""
    return id_of(county_grid(session))

