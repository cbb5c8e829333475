"""Changes to one task at a time, each with its audit event: complete, cover, note, reschedule, move, reassign.

Each is a conditional update (`change_task`): it reads the task, decides (checks the request
against what it read) and writes with ``UPDATE task SET ... WHERE id = :id AND status =
:status_read [AND column = :value_read ...]``. Of two answers to the same task at the same moment
exactly one changes a row; only it goes on to write its audit event and contact, in the same
transaction. The other sees a row count of 0, reads the task again and gets `TaskClosedError`
("already done by 王芳 at ..."), or decides again if the task is still live but moved meanwhile
(an overdue sweep, a new due date).

On PostgreSQL the loser's UPDATE waits for the winner's row lock, then finds the row no longer
matches; on SQLite every transaction begins with the write lock (`models.db`), so the loser
waits and then reads the task already done. Either way no decision is taken on a stale read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from models.people import Coordinator
from models.tasks import DONE, LIVE_STATUSES, OPEN, OVERDUE, Contact, Task
from models.types import id_of, utcnow
from yinhui import clock
from yinhui.rules.cadence import contact_mode, rules_satisfied_by
from yinhui.rules.playbook import Playbook
from yinhui.services.errors import TaskClosedError, TaskError
from yinhui.services.tasks.audit import appended_note, record_event
from yinhui.services.tasks.limits import (
    allowed_outcomes,
    check_done_on,
    check_note,
    latest_reschedule_day,
)

# A live task that keeps moving under a change (open → overdue → open ...) is tried this often.
ATTEMPTS = 5


def actor_name(session: Session, actor: str | None) -> str:
    """Who an actor string stands for, as a person reads it: a coordinator's name, else the actor itself."""
    if not actor:
        return "someone"
    kind, _, ref = actor.partition(":")
    if kind == "coordinator" and ref.isdigit():
        person = session.get(Coordinator, int(ref))
        if person is not None:
            return person.name
    if actor == "cli":
        return "the operator (cli)"
    return actor


def closed_error(session: Session, task: Task) -> TaskClosedError:
    """The refusal for a change to a task that is closed: who closed it, and when (local time)."""
    at = task.closed_at.astimezone(clock.tz()).strftime("%Y-%m-%d %H:%M") if task.closed_at else None
    return TaskClosedError(task.id or 0, task.status, by=actor_name(session, task.closed_by), at=at,
                           outcome=task.outcome)


def read_task(session: Session, task_id: int) -> Task:
    """The task as the database has it now (not as this session last saw it), else ``TaskError``."""
    found = session.execute(
        select(Task).where(col(Task.id) == task_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if found is None:
        raise TaskError(f"no task #{task_id}")
    return found


@dataclass(frozen=True)
class Changed:
    """A change that won: the task as it is now, and the columns it had when the change was decided."""

    task: Task
    before: Mapping[str, Any]

    @property
    def from_status(self) -> str:
        return str(self.before["status"])


def change_task(
    session: Session,
    task_id: int,
    *,
    decide: Callable[[Task], Mapping[str, object]],
    leaves: Collection[str] | None = LIVE_STATUSES,
    same: tuple[str, ...] = (),
) -> Changed:
    """Apply the values ``decide`` returns for the task as read, if the task is still as read.

    ``leaves``: the statuses the change may start from (any other raises ``TaskClosedError``;
    None: any status);
    ``decide`` checks the request against the task and raises ``TaskError`` to refuse it;
    ``same``: further columns ``decide`` relied on, which must still hold the values read.
    Nothing is written unless the change wins; the caller then writes its audit event.
    """
    session.flush()
    for _ in range(ATTEMPTS):
        task = read_task(session, task_id)
        if leaves is not None and task.status not in leaves:
            raise closed_error(session, task)
        before = {name: getattr(task, name) for name in ("status", *same)}
        values = decide(task)
        guards = [col(getattr(Task, name)) == value for name, value in before.items()]
        result = session.execute(
            update(Task).where(col(Task.id) == task_id, *guards).values(**values),
            execution_options={"synchronize_session": False},
        )
        if getattr(result, "rowcount", 0) == 1:
            return Changed(read_task(session, task_id), before)
    raise TaskError(f"task #{task_id} kept changing while this change was made; nothing was changed, try again")


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
