"""A planning day's record (当日记录): what was created, marked late, escalated and reminded for one day.

The day's report counts the whole day, not one run of it: a re-run at 16:00 that finds
everything already there adds nothing, and must not show "0 created, 0 digests" over the 36
digests the morning run wrote. A task or event counts when it was written during the day (in
the bureau's time zone) or by the run now reporting (above its marks: a back-filled older day
written today still counts for that day); a digest counts by its key, which names the day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import Session, col

from models.outbox import Notification
from models.tasks import Task, TaskEvent
from yinhui.services.snapshots import Marks


@dataclass(frozen=True)
class DayRecord:
    """Counts only: tasks created by kind, task events by action, digests queued for the day."""

    created: dict[str, int]
    events: dict[str, int]
    digests: int

    @property
    def created_total(self) -> int:
        return sum(self.created.values())


def _written(moment: Any, ident: Any, start: dt.datetime, end: dt.datetime, above: int | None) -> ColumnElement[bool]:
    during = and_(moment >= start, moment < end)
    return during if above is None else or_(during, ident > above)


def day_record(
    session: Session, *, day: dt.date, start: dt.datetime, end: dt.datetime, marks: Marks | None = None
) -> DayRecord:
    """The record of `day`, written in [start, end) or above `marks` (the run reporting it)."""
    created = session.execute(
        select(col(Task.kind), func.count())
        .where(_written(col(Task.created_at), col(Task.id), start, end, marks.task_id if marks else None))
        .group_by(col(Task.kind))
        .order_by(col(Task.kind))
    ).all()
    events = session.execute(
        select(col(TaskEvent.action), func.count())
        .where(_written(col(TaskEvent.at), col(TaskEvent.id), start, end, marks.event_id if marks else None))
        .group_by(col(TaskEvent.action))
    ).all()
    digests = session.execute(
        select(func.count()).select_from(Notification).where(
            col(Notification.kind) == "digest", col(Notification.dedupe_key).like(f"digest:{day.isoformat()}:%")
        )
    ).scalar_one()
    return DayRecord(created={k: int(n) for k, n in created}, events={a: int(n) for a, n in events}, digests=int(digests))
