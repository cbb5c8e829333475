"""The task service: every change of a task's state, one task or a set, goes through here and writes its audit event.

Create (set-based inserts), complete, note, reschedule, cancel, mark overdue, escalate, lapse and
hand over. The CLI, the chat bot and the flows all come through here, so a change looks the same
in the audit trail whoever made it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence

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
    update,
)
from sqlalchemy.sql import ColumnElement, FromClause
from sqlmodel import Session, col

from models.grids import GridOwner
from models.people import ACTIVE, Cadre, Coordinator
from models.tasks import (
    CANCELLED,
    DONE,
    LIVE_STATUSES,
    MISSED,
    OPEN,
    OVERDUE,
    Contact,
    Task,
    TaskEvent,
)
from models.types import UTCDateTime, id_of, table_of, utcnow
from yinhui.rules.cadence import (
    contact_mode,
    period_from_key,
    rules_satisfied_by,
)
from yinhui.rules.playbook import Playbook, Priority
from yinhui.services.errors import TaskError
from yinhui.services.planning import _cadre, priority_expression

TASK_COLUMNS = [
    "kind", "rule", "subject_id", "period", "cadre_id", "window_opens", "due", "priority",
    "assignee_id", "status", "escalation_level", "created_by", "created_at",
]


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


GENERIC_OUTCOMES = ("reached", "unreachable", "visited", "declined")


def _event(session: Session, task: Task, *, actor: str, action: str, from_status: str | None,
           detail: dict[str, object] | None = None, coordinator_id: int | None = None) -> None:
    session.add(
        TaskEvent(
            task_id=id_of(task),
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=task.status,
            coordinator_id=coordinator_id,
            detail=json.dumps(detail, ensure_ascii=False) if detail else None,
        )
    )


def allowed_outcomes(playbook: Playbook, task: Task) -> tuple[str, ...]:
    try:
        return tuple(playbook.rule(task.rule).outcomes)
    except KeyError:
        return GENERIC_OUTCOMES


def get_task(session: Session, task_id: int, *, for_update: bool = False) -> Task:
    query = select(Task).where(col(Task.id) == task_id)
    if for_update:
        query = query.with_for_update()
    task = session.execute(query).scalar_one_or_none()
    if task is None:
        raise TaskError(f"no task #{task_id}")
    return task


def complete_task(
    session: Session,
    task_id: int,
    *,
    outcome: str,
    actor: str,
    on: dt.date,
    playbook: Playbook,
    note: str | None = None,
) -> Task:
    """Close a task with the coordinator's answer and record the contact it stands for."""
    task = get_task(session, task_id, for_update=True)
    if task.status not in LIVE_STATUSES:
        raise TaskError(f"task #{task_id} is already {task.status}; nothing was changed")
    allowed = allowed_outcomes(playbook, task)
    if outcome not in allowed:
        raise TaskError(f"outcome {outcome!r} does not fit a {task.kind} task; use one of {', '.join(allowed)}")
    if on < task.window_opens:
        raise TaskError(f"task #{task_id} opens on {task.window_opens}; it cannot be done on {on}")
    before = task.status
    task.status, task.outcome, task.closed_by, task.closed_at = DONE, outcome, actor, utcnow()
    if note:
        task.note = note
    session.add(task)
    session.flush()
    _event(session, task, actor=actor, action="completed", from_status=before,
           detail={"outcome": outcome, "on": on.isoformat(), **({"note": note} if note else {})})
    mode = contact_mode(playbook, outcome)
    if mode and task.cadre_id is not None:
        record_contact(session, cadre_id=task.cadre_id, on=on, mode=mode, actor=actor,
                       playbook=playbook, task_id=task.id)
    return task


def record_contact(
    session: Session,
    *,
    cadre_id: int,
    on: dt.date,
    mode: str,
    actor: str,
    playbook: Playbook,
    task_id: int | None = None,
) -> list[int]:
    """Record a contact and close the cadence tasks it fulfils; returns the ids closed."""
    session.add(Contact(cadre_id=cadre_id, on_date=on, mode=mode, task_id=task_id, recorded_by=actor))
    closed: list[int] = []
    for rule, period in rules_satisfied_by(playbook, mode, on):
        other = session.execute(
            select(Task).where(
                col(Task.rule) == rule,
                col(Task.subject_id) == cadre_id,
                col(Task.period) == period,
                col(Task.status).in_(LIVE_STATUSES),
                col(Task.id) != (task_id or -1),
            )
        ).scalar_one_or_none()
        if other is None:
            continue
        before = other.status
        other.status, other.outcome, other.closed_by, other.closed_at = DONE, "covered", actor, utcnow()
        other.note = f"covered by a {mode} on {on.isoformat()}" + (f" (task #{task_id})" if task_id else "")
        session.add(other)
        session.flush()
        _event(session, other, actor=actor, action="covered", from_status=before,
               detail={"mode": mode, "on": on.isoformat(), "by_task": task_id})
        closed.append(other.id)
    session.flush()
    return closed


def add_note(session: Session, task_id: int, *, note: str, actor: str) -> Task:
    task = get_task(session, task_id, for_update=True)
    task.note = f"{task.note}\n{note}" if task.note else note
    session.add(task)
    _event(session, task, actor=actor, action="noted", from_status=task.status, detail={"note": note})
    return task


def cancel_open_tasks(session: Session, *, cadre_id: int, reason: str, actor: str) -> int:
    """Cancel every live task of a cadre, each with the reason in its trail."""
    tasks = session.execute(
        select(Task).where(col(Task.cadre_id) == cadre_id, col(Task.status).in_(LIVE_STATUSES)).with_for_update()
    ).scalars().all()
    for task in tasks:
        before = task.status
        task.status, task.closed_by, task.closed_at = CANCELLED, actor, utcnow()
        task.note = reason if not task.note else f"{task.note}\n{reason}"
        session.add(task)
        session.flush()
        _event(session, task, actor=actor, action="cancelled", from_status=before, detail={"reason": reason})
    return len(tasks)


def latest_reschedule_day(task: Task) -> dt.date:
    """A task may move within its period (a November call stays in November), never past it."""
    try:
        return max(period_from_key(task.period).end, task.due)
    except ValueError:
        return task.due


def reschedule_task(session: Session, task_id: int, *, to: dt.date, actor: str, today: dt.date) -> Task:
    """Move a live task's due date to the day the coordinator picked (recorded in the audit trail)."""
    task = get_task(session, task_id, for_update=True)
    if task.status not in LIVE_STATUSES:
        raise TaskError(f"task #{task_id} is already {task.status}; nothing was changed")
    latest = latest_reschedule_day(task)
    if to < today or to > latest:
        raise TaskError(f"task #{task_id} can move to a day from {today} to {latest}, not {to}")
    before_status, before_due = task.status, task.due
    task.due = to
    if task.status == OVERDUE:
        task.status, task.overdue_since = OPEN, None
    session.add(task)
    session.flush()
    _event(session, task, actor=actor, action="rescheduled", from_status=before_status,
           detail={"from": before_due.isoformat(), "to": to.isoformat()})
    session.flush()
    return task


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

