"""Changing one task when two people may answer it at once: a conditional update whose row count decides.

Every single-task change reads the task, decides (checks the request against what it read) and
then writes with ``UPDATE task SET ... WHERE id = :id AND status = :status_read [AND column =
:value_read ...]``. Exactly one of two racing answers changes a row; only it goes on to write its
audit event and contact, in the same transaction. The other sees a row count of 0, reads the task
again and gets ``TaskClosedError`` ("already done by 王芳 at ..."), or decides again if the task
is still live but moved meanwhile (an overdue sweep, a new due date).

On PostgreSQL the loser's UPDATE waits for the winner's row lock and then finds the row no longer
matches; on SQLite every transaction begins with the write lock (``models.db``), so the loser
waits and then reads the task already done. Either way no decision is taken on a stale read.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from models.people import Coordinator
from models.tasks import LIVE_STATUSES, Task
from yinhui import clock
from yinhui.services.errors import TaskClosedError, TaskError

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
