"""Reading event plans (selectors): step labels and dates, one event's plan, the list of events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.calendar import Attendance, Event, EventOwner, EventStep, EventTeam
from models.organisations import VolunteerTeam
from models.people import Coordinator
from models.tasks import DONE, MISSED, OPEN, OVERDUE, Task
from models.types import id_of
from yinhui.rules.events import (
    EVENT_STEP,
    event_rule,
    offset_label,
)
from yinhui.services.events import event_steps, get_event


def step_dates(session: Session, event_ids: Sequence[int]) -> list[dt.date]:
    """Due dates of the events' steps (to warn about years whose days off are guessed)."""
    if not event_ids:
        return []
    return list(session.execute(select(col(Task.due)).where(col(Task.event_id).in_(event_ids))).scalars())


def step_labels(session: Session, task_ids: Sequence[int], *, language: str = "zh") -> dict[int, str]:
    """"重阳节主题活动 · 制定活动方案" for each event-step task among ``task_ids`` (digests, chat)."""
    if not task_ids:
        return {}
    rows = session.execute(
        select(col(Task.id), col(Event.title), col(EventStep.title_zh), col(EventStep.title_en))
        .join(Event, col(Event.id) == col(Task.event_id))
        .join(EventStep, (col(EventStep.event_id) == col(Task.event_id)) & (col(EventStep.key) == col(Task.period)))
        .where(col(Task.id).in_(task_ids), col(Task.kind) == EVENT_STEP)
    ).all()
    return {tid: f"{title} · {en if language == 'en' else zh}" for tid, title, zh, en in rows}


def _is_late(status: str, due: dt.date, today: dt.date) -> bool:
    return status in (OVERDUE, MISSED) or (status == OPEN and due < today)


def event_plan(session: Session, event_id: int, *, today: dt.date, language: str = "zh") -> dict[str, Any]:
    """The plan of one event: steps with owner, dates and status, what is late, teams, attendance."""
    event = get_event(session, event_id)
    specs = {s.key: s for s in event_steps(session, id_of(event))}
    rows = session.execute(
        select(Task, col(Coordinator.name))
        .join(Coordinator, col(Coordinator.id) == col(Task.assignee_id))
        .where(col(Task.rule) == event_rule(event.template), col(Task.subject_id) == event.id)
    ).all()
    steps = []
    for task, owner in sorted(rows, key=lambda r: (specs[r[0].period].at if r[0].period in specs else 0, r[0].due)):
        spec = specs.get(task.period)
        steps.append({
            "task_id": task.id,
            "key": task.period,
            "at": offset_label(spec.at) if spec else None,
            "title": spec.title(language) if spec else task.period,
            "owner_role": spec.owner if spec else None,
            "owner": owner,
            "window_opens": task.window_opens.isoformat(),
            "due": task.due.isoformat(),
            "status": task.status,
            "late": _is_late(task.status, task.due, today),
            "closed_at": task.closed_at.isoformat() if task.closed_at else None,
        })
    teams = session.execute(
        select(col(VolunteerTeam.name)).join(EventTeam, col(EventTeam.team_id) == col(VolunteerTeam.id))
        .where(col(EventTeam.event_id) == event.id).order_by(col(VolunteerTeam.name))
    ).scalars().all()
    owners = dict(
        session.execute(
            select(col(EventOwner.role), col(Coordinator.name)).join(Coordinator, col(Coordinator.id) == col(EventOwner.coordinator_id))
            .where(col(EventOwner.event_id) == event.id)
        ).all()
    )
    attended = session.execute(
        select(func.count()).select_from(Attendance).where(col(Attendance.event_id) == event.id)
    ).scalar_one()
    return {
        "id": event.id,
        "title": event.title,
        "node": event.node_key,
        "year": event.year,
        "template": event.template,
        "held_on": event.held_on.isoformat(),
        "node_date": event.node_date.isoformat(),
        "venue": event.venue,
        "teams": list(teams),
        "owners": owners,
        "steps": steps,
        "late": [s["key"] for s in steps if s["late"]],
        "attendance": attended,
        "cancelled_on": event.cancelled_on.isoformat() if event.cancelled_on else None,
        "cancel_reason": event.cancel_reason,
    }


def event_plans(session: Session, *, year: int, today: dt.date, language: str = "zh") -> list[dict[str, Any]]:
    """The plan of every event of ``year`` (a calendar feed of events and their steps), by day."""
    ids = session.execute(
        select(col(Event.id)).where(col(Event.year) == year).order_by(col(Event.held_on), col(Event.id))
    ).scalars().all()
    return [event_plan(session, event_id, today=today, language=language) for event_id in ids]


def list_events(session: Session, *, year: int | None = None, today: dt.date) -> list[dict[str, Any]]:
    query = select(Event).order_by(col(Event.held_on), col(Event.id))
    if year is not None:
        query = query.where(col(Event.year) == year)
    events = list(session.execute(query).scalars())
    if not events:
        return []
    ids = [e.id for e in events]
    progress: dict[int, list[int]] = {eid: [0, 0, 0] for eid in ids}
    for event_id, status, due in session.execute(
        select(col(Task.event_id), col(Task.status), col(Task.due)).where(col(Task.event_id).in_(ids), col(Task.kind) == EVENT_STEP)
    ):
        counts = progress[event_id]
        counts[0] += 1
        counts[1] += status == DONE
        counts[2] += _is_late(status, due, today)
    attended = dict(
        session.execute(
            select(col(Attendance.event_id), func.count()).where(col(Attendance.event_id).in_(ids)).group_by(col(Attendance.event_id))
        ).all()
    )
    return [
        {
            "id": e.id, "title": e.title, "node": e.node_key, "year": e.year, "held_on": e.held_on.isoformat(),
            "steps": progress[e.id][0], "done": progress[e.id][1], "late": progress[e.id][2],
            "attendance": attended.get(e.id, 0),
            "cancelled_on": e.cancelled_on.isoformat() if e.cancelled_on else None,
            "cancel_reason": e.cancel_reason,
        }
        for e in events
    ]
