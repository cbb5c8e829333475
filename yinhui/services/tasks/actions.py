"""Changes to one task at a time, each with its audit event: complete, cover, note, reschedule, move, reassign.

Each is a conditional update (`claim.change_task`): of two answers to the same task at the same
moment one wins and writes its event (and contact); the other is refused with who closed it when.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlmodel import Session, col

from models.tasks import DONE, LIVE_STATUSES, OPEN, OVERDUE, Contact, Task
from models.types import id_of, utcnow
from yinhui import clock
from yinhui.rules.cadence import contact_mode, rules_satisfied_by
from yinhui.rules.playbook import Playbook
from yinhui.services.errors import TaskClosedError, TaskError
from yinhui.services.tasks.audit import appended_note, record_event
from yinhui.services.tasks.claim import change_task
from yinhui.services.tasks.limits import (
    allowed_outcomes,
    check_done_on,
    check_note,
    latest_reschedule_day,
)


def complete_task(
    session: Session,
    task_id: int,
    *,
    outcome: str,
    actor: str,
    on: dt.date,
    playbook: Playbook,
    note: str | None = None,
    today: dt.date | None = None,
) -> Task:
    """Close a task with the coordinator's answer and record the contact it stands for.

    ``on`` (the day it was done) runs from the day the task's window opened to ``today`` (the
    clock's, unless given); a ``note`` (up to `MAX_TASK_NOTE` characters) is added to the task's.
    A task already closed raises `TaskClosedError` naming who closed it and when; only the
    answer that closes the task writes the event and the contact.
    """
    today = today or clock.today()
    note = check_note(note)

    def decide(task: Task) -> dict[str, object]:
        allowed = allowed_outcomes(playbook, task)
        if outcome not in allowed:
            raise TaskError(f"outcome {outcome!r} does not fit a {task.kind} task; use one of {', '.join(allowed)}")
        check_done_on(task, on, today=today)
        values: dict[str, object] = {"status": DONE, "outcome": outcome, "closed_by": actor, "closed_at": utcnow()}
        if note:
            values["note"] = appended_note(note)
        return values

    changed = change_task(session, task_id, decide=decide, same=("window_opens",))
    task = changed.task
    record_event(task, session=session, actor=actor, action="completed", from_status=changed.from_status,
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
    """Record a contact and close the cadence tasks it fulfils; returns the ids closed.

    A task someone closed a moment ago is left as they closed it.
    """
    session.add(Contact(cadre_id=cadre_id, on_date=on, mode=mode, task_id=task_id, recorded_by=actor))
    closed: list[int] = []
    reason = f"covered by a {mode} on {on.isoformat()}" + (f" (task #{task_id})" if task_id else "")
    for rule, period in rules_satisfied_by(playbook, mode, on):
        other_id = session.execute(
            select(col(Task.id)).where(
                col(Task.rule) == rule,
                col(Task.subject_id) == cadre_id,
                col(Task.period) == period,
                col(Task.status).in_(LIVE_STATUSES),
                col(Task.id) != (task_id or -1),
            )
        ).scalar_one_or_none()
        if other_id is None:
            continue
        try:
            changed = change_task(session, other_id, decide=lambda _task: {
                "status": DONE, "outcome": "covered", "closed_by": actor, "closed_at": utcnow(),
                "note": appended_note(reason),
            })
        except TaskClosedError:
            continue
        record_event(changed.task, session=session, actor=actor, action="covered", from_status=changed.from_status,
                     detail={"mode": mode, "on": on.isoformat(), "by_task": task_id})
        closed.append(other_id)
    session.flush()
    return closed


def add_note(session: Session, task_id: int, *, note: str, actor: str) -> Task:
    """Add a line (up to `MAX_TASK_NOTE` characters) to a task's note (any status), recorded in the audit trail."""
    text = check_note(note)
    if text is None:
        raise TaskError(f"an empty note adds nothing to task #{task_id}; nothing was changed")
    changed = change_task(session, task_id, leaves=None, decide=lambda _task: {"note": appended_note(text)})
    record_event(changed.task, session=session, actor=actor, action="noted", from_status=changed.from_status,
                 detail={"note": text})
    return changed.task


def reschedule_task(session: Session, task_id: int, *, to: dt.date, actor: str, today: dt.date) -> Task:
    """Move a live task's due date to the day the coordinator picked (recorded in the audit trail)."""

    def decide(task: Task) -> dict[str, object]:
        latest = latest_reschedule_day(task)
        if to < today or to > latest:
            raise TaskError(f"task #{task_id} can move to a day from {today} to {latest}, not {to}")
        values: dict[str, object] = {"due": to}
        if task.status == OVERDUE:
            values.update(status=OPEN, overdue_since=None)
        return values

    changed = change_task(session, task_id, decide=decide, same=("due",))
    record_event(changed.task, session=session, actor=actor, action="rescheduled", from_status=changed.from_status,
                 detail={"from": changed.before["due"].isoformat(), "to": to.isoformat()})
    session.flush()
    return changed.task


def move_task(
    task: Task, *, session: Session, window_opens: dt.date, due: dt.date, today: dt.date, actor: str,
    detail: dict[str, object],
) -> bool:
    """Give a live task new dates because what it prepares moved (an event step), audited as ``moved``.

    A task already on someone's list stays there (its window never opens later than it did); one
    not yet shown waits for its new window. An overdue task now due today or later is open again,
    its escalation undone: the deadline it missed no longer exists. Returns False (nothing
    changed) when the task was closed meanwhile; ``task`` is brought up to date either way.
    """

    def decide(current: Task) -> dict[str, object]:
        opens = min(current.window_opens, window_opens) if current.window_opens <= today else window_opens
        values: dict[str, object] = {"window_opens": opens, "due": due}
        if current.status == OVERDUE and due >= today:
            values.update(status=OPEN, overdue_since=None, escalation_level=0, escalated_to_id=None, escalated_on=None)
        return values

    try:
        changed = change_task(session, id_of(task), decide=decide, same=("window_opens", "due"))
    except TaskClosedError:
        return False
    record_event(changed.task, session=session, actor=actor, action="moved", from_status=changed.from_status,
                 detail={**detail, "due_from": changed.before["due"].isoformat(), "due_to": due.isoformat()})
    return True


def reassign_task(task: Task, *, session: Session, to: int, reason: str, actor: str) -> bool:
    """Give a live task to coordinator ``to`` (an event step's new owner, a branch's new host, the
    next lecturer in turn), with the reason in the audit trail. Returns False (nothing changed)
    when the task was closed meanwhile; ``task`` is brought up to date either way."""
    try:
        changed = change_task(session, id_of(task), decide=lambda _task: {"assignee_id": to})
    except TaskClosedError:
        return False
    record_event(changed.task, session=session, actor=actor, action="reassigned", from_status=changed.from_status,
                 coordinator_id=to, detail={"reason": reason})
    return True
