"""Set-based task changes, one or two statements whatever the count: cancel, overdue, escalate, lapse, reassign.

Each goes through `audited_update`, so every task it changes gets its own audit event.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence

from sqlalchemy import Date, Integer, and_, case, func, literal, select, true
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from models.grids import GridOwner
from models.people import Cadre
from models.tasks import CANCELLED, LIVE_STATUSES, MISSED, OPEN, OVERDUE, Task
from models.types import table_of, utcnow
from yinhui.rules.care import own_escalation_days
from yinhui.rules.playbook import Playbook
from yinhui.services.tasks.audit import appended_note, audited_update
from yinhui.services.tasks.create import cadre_assignee

Schedules = list[tuple[list[str] | None, list[int]]]


def cancel_tasks(
    *,
    session: Session,
    where: Sequence[ColumnElement[bool]],
    reason: ColumnElement[str] | str,
    actor: str,
    detail: ColumnElement[str] | str | None = None,
    outcome: str | None = None,
) -> int:
    """Cancel every live task matching ``where``, the reason added to its note; returns how many.

    Each gets an audit event whose detail is ``{"reason": reason}`` unless ``detail`` says otherwise.
    ``outcome`` marks why, where something may later undo it (``paused``: a pause that ends reopens it).
    """
    if detail is None and isinstance(reason, str):
        detail = json.dumps({"reason": reason}, ensure_ascii=False)
    task = table_of(Task)
    return audited_update(
        session=session,
        where=(*where, task.c.status.in_(LIVE_STATUSES)),
        values={"status": CANCELLED, "note": appended_note(reason), "closed_by": actor, "closed_at": utcnow(),
                **({"outcome": outcome} if outcome else {})},
        action="cancelled",
        actor=actor,
        to_status=CANCELLED,
        detail=detail,
    )


def cancel_open_tasks(*, session: Session, cadre_id: int, reason: str, actor: str) -> int:
    """Cancel every live task of a cadre, each with the reason in its trail."""
    return cancel_tasks(session=session, where=[table_of(Task).c.cadre_id == cadre_id], reason=reason, actor=actor)


def mark_overdue(session: Session, *, day: dt.date, actor: str) -> int:
    """Open tasks whose due date has passed become overdue (recorded in the audit trail)."""
    task = table_of(Task)
    return audited_update(
        session=session,
        where=(task.c.status == OPEN, task.c.due < literal(day, Date)),
        values={"status": OVERDUE, "overdue_since": day},
        action="overdue",
        actor=actor,
        to_status=OVERDUE,
    )


def escalation_schedules(playbook: Playbook) -> Schedules:
    """Rules with their own escalation days (cadence rules, must-visits ...), then everything else
    on the default days. The morning plan and the escalation sweep both escalate through this."""
    grouped: dict[tuple[int, ...], list[str]] = {}
    for name, days in sorted(own_escalation_days(playbook).items()):
        grouped.setdefault(tuple(days), []).append(name)
    schedules: Schedules = [(names, list(days)) for days, names in grouped.items()]
    schedules.append((None, list(playbook.escalation.after_days)))
    return schedules


def _escalation_target(level: int, leader_id: int) -> ColumnElement[int]:
    """Level 1 goes to the township (level-2 grid) coordinator unless that is the assignee."""
    task = table_of(Task)
    if level >= 2:
        return literal(leader_id, Integer)
    owner, cadre = table_of(GridOwner), table_of(Cadre)
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
    *,
    session: Session,
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
                session=session,
                where=where,
                values={"escalation_level": level, "escalated_to_id": target, "escalated_on": day},
                action="escalated",
                actor=actor,
                coordinator=target,
                detail=f'{{"level": {level}}}',
            )
    return escalated


def lapse_overdue(*, session: Session, day: dt.date, after_days: int, actor: str) -> int:
    """Close tasks left undone `after_days` past their due date as missed.

    A November call cannot be made in January; keeping it open would only bury the tasks that
    still can be done. The miss stays visible in the trail and the coverage report.
    """
    task = table_of(Task)
    cutoff = day - dt.timedelta(days=after_days)
    return audited_update(
        session=session,
        where=(task.c.status == OVERDUE, task.c.due <= literal(cutoff, Date)),
        values={"status": MISSED, "closed_by": actor, "closed_at": utcnow()},
        action="lapsed",
        actor=actor,
        to_status=MISSED,
        detail=f'{{"days_overdue_at_least": {after_days}}}',
    )


def sweep_overdue(*, session: Session, playbook: Playbook, day: dt.date, leader_id: int, actor: str) -> dict[str, int]:
    """Mark late tasks overdue, escalate them by the playbook's schedules, and lapse the long-late
    ones (when the playbook says after how long); returns the three counts."""
    overdue = mark_overdue(session, day=day, actor=actor)
    escalated = escalate_overdue(
        session=session, day=day, schedules=escalation_schedules(playbook), leader_id=leader_id, actor=actor
    )
    lapse_days = playbook.escalation.lapse_after_days
    missed = lapse_overdue(session=session, day=day, after_days=lapse_days, actor=actor) if lapse_days else 0
    return {"overdue": overdue, "escalated": escalated, "missed": missed}


def reassign_live_tasks(*, session: Session, leader_id: int, actor: str) -> int:
    """Move live cadre tasks to whoever answers for the cadre now.

    After a re-import changes a cadre's grid or 责任人, or a coordinator leaves, the open tasks
    follow the cadre to the right person instead of waiting with someone who no longer serves it.
    Each move is written to the audit trail with the new coordinator.
    """
    task, cadre = table_of(Task), table_of(Cadre)
    joined, assignee = cadre_assignee(leader_id)
    expected = select(assignee).select_from(joined).where(cadre.c.id == task.c.cadre_id).scalar_subquery()
    return audited_update(
        session=session,
        where=(task.c.status.in_((OPEN, OVERDUE)), task.c.cadre_id.is_not(None), task.c.assignee_id != expected),
        values={"assignee_id": expected},
        action="reassigned",
        actor=actor,
        coordinator=expected,
        detail='{"reason": "responsible coordinator changed"}',
    )
