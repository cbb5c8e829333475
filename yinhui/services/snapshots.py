"""Freezing a closed month's coverage (月度覆盖快照), and the tallies (activity, deadlines, changes) the scheduled reports are built from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from models.grids import Grid
from models.people import Cadre, Coordinator
from models.snapshots import _MONTH_KEY, CoverageSnapshot
from models.tasks import CANCELLED, DONE, LIVE_STATUSES, MISSED, OVERDUE, Contact, Task, TaskEvent
from models.types import table_of, utcnow
from yinhui.i18n import N_
from yinhui.rules.cadence import Period, period_from_key
from yinhui.services.coverage import coverage
from yinhui.services.errors import SnapshotError


def month_period(key: str) -> Period:
    """'2026-10' as a Period; anything but a month is refused."""
    if not _MONTH_KEY.match(key) or not 1 <= int(key[5:]) <= 12:
        raise SnapshotError(N_("not a month (YYYY-MM): {month!r}"), month=key)
    return period_from_key(key)


def snapshot_rows(session: Session, month: str) -> list[CoverageSnapshot]:
    return list(
        session.execute(
            select(CoverageSnapshot).where(col(CoverageSnapshot.month) == month).order_by(
                col(CoverageSnapshot.level), col(CoverageSnapshot.id)
            )
        ).scalars()
    )


def take_snapshot(
    session: Session, month: str, *, today: dt.date, taken_by: str
) -> tuple[list[CoverageSnapshot], bool]:
    """Freeze `month`'s coverage; returns its rows and whether they were written just now.

    A month already snapshotted is returned as it was, never rewritten. Only a closed month
    (its last day before `today`) can be frozen: a month still running would freeze a figure
    that is bound to change.
    """
    period = month_period(month)
    if period.end >= today:
        raise SnapshotError(N_("{month} is not over yet (it ends {end}); snapshot it from {first}"), month=month,
                            end=period.end, first=period.end + dt.timedelta(days=1))
    existing = snapshot_rows(session, month)
    if existing:
        return existing, False
    report = coverage(session, period)
    now = utcnow()
    rows = [
        CoverageSnapshot(
            month=month, grid_id=g.grid_id, level=g.level, parent_id=g.parent_id, grid_path=g.path,
            cadres=g.cadres, contacted=g.contacted, via_relative=g.via_relative, paused=g.paused,
            unreachable=g.unreachable, taken_at=now, taken_by=taken_by,
        )
        for g in report.grids
    ]
    try:
        # A second snapshot run racing this one hits the unique key: keep the first one's rows.
        with session.begin_nested():
            session.add_all(rows)
            session.flush()
    except IntegrityError:
        return snapshot_rows(session, month), False
    return rows, True


def snapshot_history(session: Session, *, until: str, months: int = 12) -> dict[str, list[CoverageSnapshot]]:
    """The snapshotted months up to `until` (at most `months` of them), oldest first."""
    keys = list(
        session.execute(
            select(col(CoverageSnapshot.month))
            .distinct()
            .where(col(CoverageSnapshot.month) <= until)
            .order_by(col(CoverageSnapshot.month).desc())
            .limit(months)
        ).scalars()
    )
    history: dict[str, list[CoverageSnapshot]] = {}
    for key in sorted(keys):
        history[key] = snapshot_rows(session, key)
    return history


@dataclass(frozen=True)
class Activity:
    """What happened to tasks and contacts in a time window (counts only, nobody named)."""

    created: int
    done: int
    missed: int
    cancelled: int
    escalated: int
    contacts: int
    cadres_reached: int
    overdue_now: int


def _count(session: Session, query: Any) -> int:
    return int(session.execute(query).scalar_one() or 0)


def activity_between(
    session: Session, *, start: dt.datetime, end: dt.datetime, first_day: dt.date, last_day: dt.date
) -> Activity:
    """Tasks created, closed and escalated in [start, end), contacts made on first_day..last_day."""

    def closed(status: str) -> int:
        return _count(session, select(func.count()).select_from(Task).where(
            col(Task.status) == status, col(Task.closed_at) >= start, col(Task.closed_at) < end))

    contacts = col(Contact.on_date).between(first_day, last_day)
    return Activity(
        created=_count(session, select(func.count()).select_from(Task).where(col(Task.created_at) >= start, col(Task.created_at) < end)),
        done=closed(DONE),
        missed=closed(MISSED),
        cancelled=closed(CANCELLED),
        escalated=_count(session, select(func.count()).select_from(TaskEvent).where(
            col(TaskEvent.action) == "escalated", col(TaskEvent.at) >= start, col(TaskEvent.at) < end)),
        contacts=_count(session, select(func.count()).select_from(Contact).where(contacts)),
        cadres_reached=_count(session, select(func.count(distinct(col(Contact.cadre_id)))).where(contacts)),
        overdue_now=_count(session, select(func.count()).select_from(Task).where(col(Task.status) == OVERDUE)),
    )


@dataclass(frozen=True)
class Marks:
    """The newest task and task-event ids at a moment: what a run adds lies above them."""

    task_id: int
    event_id: int


def high_water_marks(session: Session) -> Marks:
    return Marks(
        task_id=_count(session, select(func.max(col(Task.id)))),
        event_id=_count(session, select(func.max(col(TaskEvent.id)))),
    )


@dataclass(frozen=True)
class Changes:
    """What was written above a pair of marks: tasks created by kind, task events by action."""

    created: dict[str, int]
    events: dict[str, int]

    @property
    def created_total(self) -> int:
        return sum(self.created.values())


def changes_since(session: Session, marks: Marks) -> Changes:
    """Counted by id rather than by time, so a moved clock (tests, the demo) counts the same."""
    created = session.execute(
        select(col(Task.kind), func.count()).where(col(Task.id) > marks.task_id).group_by(col(Task.kind)).order_by(col(Task.kind))
    ).all()
    events = session.execute(
        select(col(TaskEvent.action), func.count()).where(col(TaskEvent.id) > marks.event_id).group_by(col(TaskEvent.action))
    ).all()
    return Changes(created={k: int(n) for k, n in created}, events={a: int(n) for a, n in events})


@dataclass(frozen=True)
class LateTask:
    task_id: int
    cadre: str | None
    grid: str | None
    assignee: str
    due: dt.date
    how: str  # done_late, missed, overdue


@dataclass
class DeadlineRecord:
    """Deadlines of some kinds of task falling in a window: kept, missed, still to come."""

    kinds: tuple[str, ...]
    first_day: dt.date
    last_day: dt.date
    kept: int = 0
    done_late: int = 0
    lapsed: int = 0
    overdue: int = 0
    pending: int = 0
    late: list[LateTask] = field(default_factory=list)

    @property
    def missed(self) -> int:
        return self.done_late + self.lapsed + self.overdue


def deadline_record(
    session: Session, *, kinds: Sequence[str], first_day: dt.date, last_day: dt.date, today: dt.date, tz: Any
) -> DeadlineRecord:
    """Kept = done on or before the due day; missed = done late, closed as missed, or still overdue.

    The day a task was done is the day of the contact it recorded (a coordinator may report a
    visit a day later), else the day it was closed in the bureau's time zone. Cancelled tasks
    (a cadre who died, moved) count neither way.
    """
    township = table_of(Grid).alias("township")
    rows = session.execute(
        select(
            col(Task.id), col(Task.status), col(Task.due), col(Task.closed_at), col(Cadre.name), col(Grid.name),
            township.c.name, col(Coordinator.name),
        )
        .join(Coordinator, col(Coordinator.id) == col(Task.assignee_id))
        .outerjoin(Cadre, col(Cadre.id) == col(Task.cadre_id))
        .outerjoin(Grid, col(Grid.id) == col(Cadre.grid_id))
        .outerjoin(township, township.c.id == col(Grid.parent_id))
        .where(col(Task.kind).in_(kinds), col(Task.due) >= first_day, col(Task.due) <= last_day, col(Task.status) != CANCELLED)
        .order_by(col(Task.due), col(Task.id))
    ).all()
    record = DeadlineRecord(kinds=tuple(kinds), first_day=first_day, last_day=last_day)
    done_ids = [r[0] for r in rows if r[1] == DONE]
    contact_day = _contact_days(session, done_ids)
    for task_id, status, due, closed_at, cadre, grid, town, assignee in rows:
        path = f"{town}/{grid}" if town and grid else grid
        if status == DONE:
            done_on = contact_day.get(task_id) or (closed_at.astimezone(tz).date() if closed_at else due)
            if done_on <= due:
                record.kept += 1
                continue
            record.done_late += 1
            how = "done_late"
        elif status == MISSED:
            record.lapsed += 1
            how = "missed"
        elif status in LIVE_STATUSES and due < today:
            record.overdue += 1
            how = "overdue"
        else:
            record.pending += 1
            continue
        record.late.append(LateTask(task_id, cadre, path, assignee, due, how))
    return record


def _contact_days(session: Session, task_ids: Sequence[int]) -> dict[int, dt.date]:
    days: dict[int, dt.date] = {}
    for start in range(0, len(task_ids), 900):
        chunk = task_ids[start : start + 900]
        days.update(
            session.execute(
                select(col(Contact.task_id), func.min(col(Contact.on_date)))
                .where(col(Contact.task_id).in_(chunk))
                .group_by(col(Contact.task_id))
            ).all()
        )
    return days
