"""Set-based planning queries: one statement per rule and day, never one round trip per cadre."""


from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

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
    update,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from models.grids import COUNTY_LEVEL, Grid, GridOwner
from models.people import ACTIVE, LEADER, ROLES, Cadre, Coordinator, CoordinatorGrid
from models.tasks import MISSED, OPEN, OVERDUE, Contact, Task, TaskEvent
from models.types import UTCDateTime, table_of, utcnow
from yinhui.rules.assignment import Assignment, GridNode, assign_grids
from yinhui.rules.cadence import DueCadence, aged_cutoff
from yinhui.rules.playbook import Priority


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


def audited_update(
    session: Session,
    *,
    where: Sequence[ColumnElement[bool]],
    values: dict[str, object],
    action: str,
    actor: str,
    to_status: ColumnElement[str] | str | None = None,
    coordinator: ColumnElement[int] | None = None,
    detail: str | None = None,
) -> int:
    """Change every task matching `where` and write one audit event for each, in two statements.

    The events are inserted first with the same condition, so each changed task has exactly one
    event for this change whatever the size of the batch.
    """
    task = table_of(Task)
    after = to_status if to_status is not None else task.c.status
    session.execute(
        insert(table_of(TaskEvent)).from_select(
            ["task_id", "at", "actor", "action", "from_status", "to_status", "coordinator_id", "detail"],
            select(
                task.c.id,
                literal(utcnow(), UTCDateTime()),
                literal(actor, String),
                literal(action, String),
                task.c.status,
                literal(after, String) if isinstance(after, str) else after,
                coordinator if coordinator is not None else literal(None, Integer),
                literal(detail, String),
            ).where(*where),
        )
    )
    result = session.exec(update(task).where(*where).values(**values))
    return max(result.rowcount or 0, 0)


def mark_overdue(session: Session, *, day: dt.date, actor: str) -> int:
    """Open tasks whose due date has passed become overdue (recorded in the audit trail)."""
    task = table_of(Task)
    return audited_update(
        session,
        where=(task.c.status == OPEN, task.c.due < literal(day, Date)),
        values={"status": OVERDUE, "overdue_since": day},
        action="overdue",
        actor=actor,
        to_status=OVERDUE,
    )


def _escalation_target(level: int, leader_id: int) -> ColumnElement[int]:
    """Level 1 goes to the township (level-2 grid) coordinator unless that is the assignee."""
    task = table_of(Task)
    if level >= 2:
        return literal(leader_id, Integer)
    owner = table_of(GridOwner)
    cadre = _cadre()
    target = (
        select(
            case(
                (
                    and_(owner.c.township_owner_id.is_not(None), owner.c.township_owner_id != task.c.assignee_id),
                    owner.c.township_owner_id,
                ),
                else_=owner.c.leader_id,
            )
        )
        .select_from(owner.join(cadre, cadre.c.grid_id == owner.c.grid_id))
        .where(cadre.c.id == task.c.cadre_id)
        .scalar_subquery()
    )
    return func.coalesce(target, literal(leader_id, Integer))


def escalate_overdue(
    session: Session,
    *,
    day: dt.date,
    schedules: Iterable[tuple[Sequence[str] | None, Sequence[int]]],
    leader_id: int,
    actor: str,
) -> int:
    """Raise late tasks up the grid, each level recorded once.

    `schedules` pairs a set of rules (None: every rule not named elsewhere) with its days-overdue
    thresholds. A task that is already far overdue goes straight to the highest level it has
    reached, with one event, rather than replaying the levels it skipped.
    """
    task = table_of(Task)
    schedules = list(schedules)
    named_rules = [r for rules, _ in schedules if rules is not None for r in rules]
    escalated = 0
    for rules, thresholds in schedules:
        rule_filter = task.c.rule.in_(rules) if rules is not None else (
            ~task.c.rule.in_(named_rules) if named_rules else true()
        )
        for level in range(len(thresholds), 0, -1):
            cutoff = day - dt.timedelta(days=thresholds[level - 1])
            where = (
                task.c.status == OVERDUE,
                task.c.escalation_level < level,
                task.c.due <= literal(cutoff, Date),
                rule_filter,
            )
            target = _escalation_target(level, leader_id)
            escalated += audited_update(
                session,
                where=where,
                values={"escalation_level": level, "escalated_to_id": target, "escalated_on": day},
                action="escalated",
                actor=actor,
                coordinator=target,
                detail=f'{{"level": {level}}}',
            )
    return escalated


def lapse_overdue(session: Session, *, day: dt.date, after_days: int, actor: str) -> int:
    """Close tasks left undone `after_days` past their due date as missed.

    A November call cannot be made in January; keeping it open would only bury the tasks that
    still can be done. The miss stays visible in the trail and the coverage report.
    """
    task = table_of(Task)
    cutoff = day - dt.timedelta(days=after_days)
    return audited_update(
        session,
        where=(task.c.status == OVERDUE, task.c.due <= literal(cutoff, Date)),
        values={"status": MISSED, "closed_by": actor, "closed_at": utcnow()},
        action="lapsed",
        actor=actor,
        to_status=MISSED,
        detail=f'{{"days_overdue_at_least": {after_days}}}',
    )


def reassign_live_tasks(session: Session, *, leader_id: int, actor: str) -> int:
    """Move live cadre tasks to whoever answers for the cadre now.

    After a re-import changes a cadre's grid or 责任人, or a coordinator leaves, the open tasks
    follow the cadre to the right person instead of waiting with someone who no longer serves it.
    Each move is written to the audit trail with the new coordinator.
    """
    task = table_of(Task)
    cadre = _cadre()
    owner = table_of(GridOwner)
    named = table_of(Coordinator).alias("named")
    expected = (
        select(func.coalesce(named.c.id, owner.c.owner_id, literal(leader_id, Integer)))
        .select_from(
            cadre.outerjoin(owner, owner.c.grid_id == cadre.c.grid_id).outerjoin(
                named, and_(named.c.id == cadre.c.coordinator_id, named.c.active == true())
            )
        )
        .where(cadre.c.id == task.c.cadre_id)
        .scalar_subquery()
    )
    return audited_update(
        session,
        where=(task.c.status.in_((OPEN, OVERDUE)), task.c.cadre_id.is_not(None), task.c.assignee_id != expected),
        values={"assignee_id": expected},
        action="reassigned",
        actor=actor,
        coordinator=expected,
        detail='{"reason": "responsible coordinator changed"}',
    )

