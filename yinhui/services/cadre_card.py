"""One cadre's whole record (the cadre's card): a selector for `yinhui cadre show`.

Profile, relatives, grid, branch, teams, coordinator, open tasks, the last year's contacts,
must-visits, the 六上门 ledger, pauses and the audit trail (the record's own events and those of
the cadre's tasks, actors named). It holds ID numbers, phones and addresses: the operator's only.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from models.grids import GridOwner
from models.must_visits import Occurrence
from models.organisations import PartyOrg, VolunteerMember, VolunteerTeam
from models.people import Cadre, CadreEvent, Coordinator, Relative
from models.tasks import Contact, Task, TaskEvent
from models.types import id_of
from yinhui import clock
from yinhui.rules.door_services import key_of_rule
from yinhui.rules.playbook import Playbook
from yinhui.services.cadres import grid_of
from yinhui.services.pauses import current_pause, pauses_of
from yinhui.services.task_views import TaskFilter, list_tasks
from yinhui.services.tasks import actor_name

CONTACT_DAYS = 365  # the card lists the contacts of the last twelve months


def _local(at: dt.datetime) -> str:
    return at.astimezone(clock.tz()).strftime("%Y-%m-%d %H:%M")


def _detail(text: str | None) -> str | None:
    """An audit event's detail as one line: ``fields=phone, address`` (values are never stored)."""
    if not text:
        return None
    try:
        values = json.loads(text)
    except ValueError:
        return text
    if not isinstance(values, dict):
        return str(values)
    return ", ".join(f"{key}={', '.join(map(str, value)) if isinstance(value, list) else value}"
                     for key, value in values.items() if value is not None)


def cadre_card(session: Session, cadre: Cadre, *, playbook: Playbook, today: dt.date,
               language: str = "zh") -> dict[str, Any]:
    """Everything the bureau holds about one cadre, in one dictionary (dates as ISO text)."""
    cadre_id = id_of(cadre)
    coordinator = session.get(Coordinator, cadre.coordinator_id) if cadre.coordinator_id else None
    owner = session.execute(
        select(col(Coordinator.name)).join(GridOwner, col(GridOwner.owner_id) == col(Coordinator.id))
        .where(col(GridOwner.grid_id) == cadre.grid_id)
    ).scalar_one_or_none()
    branch = session.get(PartyOrg, cadre.branch_id) if cadre.branch_id else None
    teams = session.execute(
        select(col(VolunteerTeam.name)).join(VolunteerMember, col(VolunteerMember.team_id) == col(VolunteerTeam.id))
        .where(col(VolunteerMember.cadre_id) == cadre_id).order_by(col(VolunteerTeam.name))
    ).scalars().all()
    pause = current_pause(session, cadre_id, today)
    return {
        "id": cadre_id,
        "name": cadre.name,
        "profile": {
            "id_number": cadre.id_number, "gender": cadre.gender, "birth_date": cadre.birth_date.isoformat(),
            "category": cadre.category, "phones": [p for p in cadre.phones.split(";") if p],
            "address": cadre.address, "lives_alone": cadre.lives_alone, "hardship": cadre.hardship,
            "status": cadre.status, "status_since": cadre.status_since.isoformat() if cadre.status_since else None,
            "status_reason": cadre.status_reason,
        },
        "grid": grid_of(session, cadre),
        "branch": branch.name if branch else None,
        "teams": list(teams),
        "coordinator": coordinator.name if coordinator is not None and coordinator.active else None,
        "answered_by": owner,
        "paused": _pause(pause) if pause is not None and pause.starts <= today else None,
        "relatives": _relatives(session, cadre_id),
        "open_tasks": list_tasks(session, status="live", where=TaskFilter(cadre_id=cadre_id)),
        "contacts": _contacts(session, cadre_id, since=today - dt.timedelta(days=CONTACT_DAYS)),
        "must_visits": _must_visits(session, cadre_id),
        "door_services": _door_services(session, cadre_id, playbook, since=today - dt.timedelta(days=CONTACT_DAYS),
                                        language=language),
        "pauses": [_pause(p) for p in pauses_of(session, cadre_id)],
        "audit": _audit(session, cadre_id),
    }


def _pause(pause: Any) -> dict[str, Any]:
    return {"from": pause.starts.isoformat(), "until": pause.until.isoformat(),
            "ended_on": pause.ended_on.isoformat() if pause.ended_on else None, "reason": pause.reason}


def _relatives(session: Session, cadre_id: int) -> list[dict[str, Any]]:
    return [
        {"name": r.name, "relation": r.relation, "phones": [p for p in r.phones.split(";") if p],
         "next_of_kin": r.next_of_kin, "in_group": r.in_group}
        for r in session.execute(
            select(Relative).where(col(Relative.cadre_id) == cadre_id)
            .order_by(col(Relative.next_of_kin).desc(), col(Relative.id))
        ).scalars()
    ]


def _contacts(session: Session, cadre_id: int, *, since: dt.date) -> list[dict[str, Any]]:
    return [
        {"on": c.on_date.isoformat(), "mode": c.mode, "via": c.via, "task_id": c.task_id,
         "by": actor_name(session, c.recorded_by)}
        for c in session.execute(
            select(Contact).where(col(Contact.cadre_id) == cadre_id, col(Contact.on_date) >= since)
            .order_by(col(Contact.on_date).desc(), col(Contact.id).desc())
        ).scalars()
    ]


def _must_visits(session: Session, cadre_id: int) -> list[dict[str, Any]]:
    """The cadre's must-visit occurrences (no notes: they may hold health details)."""
    return [
        {"kind": o.kind, "detail": o.detail, "on": o.on_date.isoformat(), "reported_on": o.reported_on.isoformat(),
         "visit_due": o.visit_due.isoformat(), "closed_on": o.closed_on.isoformat() if o.closed_on else None}
        for o in session.execute(
            select(Occurrence).where(col(Occurrence.cadre_id) == cadre_id).order_by(col(Occurrence.on_date).desc())
        ).scalars()
    ]


def _door_services(session: Session, cadre_id: int, playbook: Playbook, *, since: dt.date,
                   language: str) -> list[dict[str, Any]]:
    """The 六上门 ledger: each door service's task of the last year, delivered or not."""
    titles = {s.key: (s.title.en if language == "en" else s.title.zh) for s in playbook.door_services}
    ledger = []
    for task in session.execute(
        select(Task).where(col(Task.cadre_id) == cadre_id, col(Task.rule).like("service:%"), col(Task.due) >= since)
        .order_by(col(Task.due).desc(), col(Task.id))
    ).scalars():
        key = key_of_rule(task.rule) or task.rule
        ledger.append({"service": key, "title": titles.get(key, key), "period": task.period, "status": task.status,
                       "outcome": task.outcome, "task_id": task.id})
    return ledger


def _audit(session: Session, cadre_id: int) -> list[dict[str, Any]]:
    """The record's own events and its tasks' events, newest first, actors named."""
    events = [
        (e.at, e.actor, e.action, None, _detail(e.detail))
        for e in session.execute(select(CadreEvent).where(col(CadreEvent.cadre_id) == cadre_id)).scalars()
    ]
    events += [
        (e.at, e.actor, e.action, task_id, _detail(e.detail))
        for e, task_id in session.execute(
            select(TaskEvent, col(Task.id)).join(Task, col(Task.id) == col(TaskEvent.task_id))
            .where(col(Task.cadre_id) == cadre_id)
        ).all()
    ]
    names: dict[str, str] = {}
    trail = []
    for at, actor, action, task_id, detail in sorted(events, key=lambda e: e[0], reverse=True):
        if actor not in names:
            names[actor] = actor_name(session, actor)
        trail.append({"at": _local(at), "actor": names[actor], "action": action, "task_id": task_id,
                      "detail": detail})
    return trail

