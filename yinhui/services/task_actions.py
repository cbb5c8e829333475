"""What people do to tasks: complete, note, cancel, and the contacts that completion records.

The CLI and the chat bot both come through here, so a change looks the same in the audit trail
whoever made it.
"""


from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlmodel import Session, col

from models.people import ACTIVE, STATUSES, Cadre
from models.tasks import CANCELLED, DONE, LIVE_STATUSES, OPEN, OVERDUE, Contact, Task, TaskEvent
from models.types import id_of, utcnow
from yinhui.rules.cadence import contact_mode, period_from_key, rules_satisfied_by
from yinhui.rules.playbook import Playbook

GENERIC_OUTCOMES = ("reached", "unreachable", "visited", "declined")


class TaskError(ValueError):
    """A request about a task that cannot be carried out; the message says why."""


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


def set_cadre_status(
    session: Session, cadre: Cadre, *, status: str, on: dt.date, reason: str | None, actor: str
) -> int:
    """Mark a cadre deceased or moved away (or active again); returns how many tasks were cancelled.

    Deceased and moved-away cadres get no new tasks, and their open ones are cancelled with the
    reason, so nobody is sent to a door that no longer opens.
    """
    if status not in STATUSES:
        raise TaskError(f"unknown status {status!r}")
    if cadre.status == status:
        return 0
    cadre.status, cadre.status_since = status, on
    cadre.status_reason = reason
    cadre.updated_at = utcnow()
    session.add(cadre)
    if status == ACTIVE:
        return 0
    why = reason or {"deceased": "cadre deceased", "moved": "cadre moved away"}.get(status, status)
    return cancel_open_tasks(session, cadre_id=id_of(cadre), reason=why, actor=actor)


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

