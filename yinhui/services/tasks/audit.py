"""The audit trail of task changes: one event for one task, or one event per task for a set-based change."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Integer, String, case, insert, literal, or_, select, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from models.tasks import Task, TaskEvent
from models.types import UTCDateTime, id_of, table_of, utcnow


def record_event(
    task: Task,
    *,
    session: Session,
    actor: str,
    action: str,
    from_status: str | None,
    detail: dict[str, object] | None = None,
    coordinator_id: int | None = None,
) -> None:
    """Write the audit event of a change just made to one task (its status now is the `to_status`)."""
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


def appended_note(reason: ColumnElement[str] | str) -> ColumnElement[str]:
    """SQL for a task's note with ``reason`` added on a new line (or as the note, when there is none)."""
    note = table_of(Task).c.note
    text = literal(reason, String) if isinstance(reason, str) else reason
    return case((or_(note.is_(None), note == ""), text), else_=note + literal("\n", String) + text)


def audited_update(
    *,
    session: Session,
    where: Sequence[ColumnElement[bool]],
    values: dict[str, object],
    action: str,
    actor: str,
    to_status: ColumnElement[str] | str | None = None,
    coordinator: ColumnElement[int] | None = None,
    detail: ColumnElement[str] | str | None = None,
) -> int:
    """Change every task matching `where` and write one audit event for each, in two statements.

    The events are inserted first with the same condition (the rows locked on PostgreSQL), so
    each changed task has exactly one event for this change whatever the size of the batch. Task objects this session already holds
    are brought up to date, so a caller never reads a status the database no longer has.
    """
    session.flush()
    task = table_of(Task)
    after = to_status if to_status is not None else task.c.status
    chosen = select(
        task.c.id,
        literal(utcnow(), UTCDateTime()),
        literal(actor, String),
        literal(action, String),
        task.c.status,
        literal(after, String) if isinstance(after, str) else after,
        coordinator if coordinator is not None else literal(None, Integer),
        literal(detail, String) if detail is None or isinstance(detail, str) else detail,
    ).where(*where)
    if session.get_bind().dialect.name == "postgresql":
        # Lock the rows the events are written for, so a task answered at this very moment is
        # either changed here with its event or left to that answer, never given an event it did
        # not get (SQLite needs nothing: a transaction there holds the write lock from its start).
        chosen = chosen.with_for_update(of=task)
    session.execute(
        insert(table_of(TaskEvent)).from_select(
            ["task_id", "at", "actor", "action", "from_status", "to_status", "coordinator_id", "detail"], chosen,
        )
    )
    holds_tasks = any(isinstance(held, Task) for held in session.identity_map.values())
    result = session.execute(
        update(Task).where(*where).values(**values),
        execution_options={"synchronize_session": "fetch" if holds_tasks else False},
    )
    return max(getattr(result, "rowcount", 0) or 0, 0)
