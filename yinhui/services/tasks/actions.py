"""Changes to one task at a time, each with its audit event: complete, cover, note, reschedule, move, reassign."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlmodel import Session, col

from models.tasks import DONE, LIVE_STATUSES, OPEN, OVERDUE, Contact, Task
from models.types import utcnow
from yinhui.rules.cadence import contact_mode, rules_satisfied_by
from yinhui.rules.playbook import Playbook
from yinhui.services.errors import TaskError
from yinhui.services.lookup import get_or_raise
from yinhui.services.tasks.audit import record_event
from yinhui.services.tasks.limits import allowed_outcomes, latest_reschedule_day


def _locked(session: Session, task_id: int, *, live: bool = False) -> Task:
    """The task, locked for the change; with ``live``, refused unless it is still open or overdue."""
    task = get_or_raise(session, Task, task_id, TaskError(f"no task #{task_id}"), for_update=True)
    if live and task.status not in LIVE_STATUSES:
        raise TaskError(f"task #{task_id} is already {task.status}; nothing was changed")
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
    task = _locked(session, task_id, live=True)
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
    record_event(task, session=session, actor=actor, action="completed", from_status=before,
                 detail={"outcome": outcome, "on": on.isoformat(), **({"note": note} if note else {})})
    mode = contact_mode(playbook, outcome)
    if mode and task.cadre_id is not None:
        record_contact(session=session, cadre_id=task.cadre_id, on=on, mode=mode, actor=actor,
                       playbook=playbook, task_id=task.id)
    return task


def record_contact(
    *,
    session: Session,
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
        record_event(other, session=session, actor=actor, action="covered", from_status=before,
                     detail={"mode": mode, "on": on.isoformat(), "by_task": task_id})
        closed.append(other.id)
    session.flush()
    return closed


def add_note(session: Session, task_id: int, *, note: str, actor: str) -> Task:
    """Add a line to a task's note (any status), recorded in the audit trail."""
    task = _locked(session, task_id)
    task.note = f"{task.note}\n{note}" if task.note else note
    session.add(task)
    record_event(task, session=session, actor=actor, action="noted", from_status=task.status, detail={"note": note})
    return task


def reschedule_task(session: Session, task_id: int, *, to: dt.date, actor: str, today: dt.date) -> Task:
    """Move a live task's due date to the day the coordinator picked (recorded in the audit trail)."""
    task = _locked(session, task_id, live=True)
    latest = latest_reschedule_day(task)
    if to < today or to > latest:
        raise TaskError(f"task #{task_id} can move to a day from {today} to {latest}, not {to}")
    before_status, before_due = task.status, task.due
    task.due = to
    if task.status == OVERDUE:
        task.status, task.overdue_since = OPEN, None
    session.add(task)
    session.flush()
    record_event(task, session=session, actor=actor, action="rescheduled", from_status=before_status,
                 detail={"from": before_due.isoformat(), "to": to.isoformat()})
    session.flush()
    return task


def move_task(
    task: Task, *, session: Session, window_opens: dt.date, due: dt.date, today: dt.date, actor: str,
    detail: dict[str, object],
) -> None:
    """Give a live task new dates because what it prepares moved (an event step), audited as ``moved``.

    A task already on someone's list stays there (its window never opens later than it did); one
    not yet shown waits for its new window. An overdue task now due today or later is open again,
    its escalation undone: the deadline it missed no longer exists.
    """
    before, old_due = task.status, task.due
    task.window_opens = min(task.window_opens, window_opens) if task.window_opens <= today else window_opens
    task.due = due
    if task.status == OVERDUE and task.due >= today:
        task.status, task.overdue_since = OPEN, None
        task.escalation_level, task.escalated_to_id, task.escalated_on = 0, None, None
    session.add(task)
    session.flush()
    record_event(task, session=session, actor=actor, action="moved", from_status=before,
                 detail={**detail, "due_from": old_due.isoformat(), "due_to": task.due.isoformat()})


def reassign_task(task: Task, *, session: Session, to: int, reason: str, actor: str) -> None:
    """Give a live task to coordinator ``to`` (an event step's new owner, a branch's new host, the
    next lecturer in turn), with the reason in the audit trail."""
    task.assignee_id = to
    session.add(task)
    record_event(task, session=session, actor=actor, action="reassigned", from_status=task.status, coordinator_id=to,
                 detail={"reason": reason})
