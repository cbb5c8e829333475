"""What the task lists read (selectors): the operator's task list and a task's short label for digests and chat."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models.grids import Grid
from models.organisations import PartyOrg
from models.people import Cadre, Coordinator
from models.tasks import CANCELLED, DONE, LIVE_STATUSES, MISSED, OPEN, OVERDUE, Task
from models.types import id_of
from yinhui import clock
from yinhui.i18n import N_
from yinhui.rules.care import rule_title
from yinhui.rules.events import EVENT_STEP
from yinhui.rules.must_visits import kind_of_rule
from yinhui.rules.org_life import THEME_DAY_RULE
from yinhui.rules.playbook import Playbook
from yinhui.rules.retry import FOLLOW_UP_TITLES
from yinhui.rules.staff_rhythm import LECTURE_RULE
from yinhui.rules.staff_rhythm import RULES as STAFF_RULES
from yinhui.services.errors import TaskError
from yinhui.services.event_views import step_labels

STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "open": (OPEN,),
    "overdue": (OVERDUE,),
    "live": LIVE_STATUSES,
    "done": (DONE,),
    "missed": (MISSED,),
    "cancelled": (CANCELLED,),
    "all": (OPEN, OVERDUE, DONE, MISSED, CANCELLED),
}


@dataclass(frozen=True)
class TaskFilter:
    """Which tasks a list shows besides their status: a coordinator's, a cadre's, a grid's (and
    everything under it), one kind, due before a day. Empty fields do not filter."""

    coordinator_id: int | None = None
    cadre_id: int | None = None
    grid_ids: tuple[int, ...] | None = None
    kind: str | None = None
    due_before: dt.date | None = None

    @classmethod
    def resolve(
        cls, session: Session, *, coordinator: str | None = None, cadre: str | None = None, grid: str | None = None,
        kind: str | None = None, due_before: dt.date | None = None,
    ) -> TaskFilter:
        """The filter from what an operator typed; a name that matches nothing raises the domain error that says so."""
        from yinhui.services.cadres import resolve_cadre
        from yinhui.services.coordinators import find_coordinator

        return cls(
            coordinator_id=find_coordinator(session, coordinator).id if coordinator else None,
            cadre_id=resolve_cadre(session, cadre).id if cadre else None,
            grid_ids=grid_and_below(session, grid) if grid else None,
            kind=kind.strip() if kind else None,
            due_before=due_before,
        )

    def conditions(self) -> list[Any]:
        found: list[Any] = []
        if self.coordinator_id is not None:
            found.append((col(Task.assignee_id) == self.coordinator_id)
                         | (col(Task.escalated_to_id) == self.coordinator_id))
        if self.cadre_id is not None:
            found.append(col(Task.cadre_id) == self.cadre_id)
        if self.grid_ids is not None:
            found.append(col(Task.cadre_id).in_(select(col(Cadre.id)).where(col(Cadre.grid_id).in_(self.grid_ids))))
        if self.kind is not None:
            found.append(col(Task.kind) == self.kind)
        if self.due_before is not None:
            found.append(col(Task.due) < self.due_before)
        return found


def grid_and_below(session: Session, ref: str) -> tuple[int, ...]:
    """The ids of the grid ``ref`` names (城关镇/东街村, a township, a village's own name, the county)
    and of every grid under it; `TaskError` when it names none."""
    from models.grids import BASE_LEVEL, COUNTY_GRID_NAME, COUNTY_LEVEL, TOWNSHIP_LEVEL

    grids = list(session.execute(select(Grid)).scalars())
    text = ref.strip()
    if text in (COUNTY_GRID_NAME, "县", "county"):
        named = [g for g in grids if g.level == COUNTY_LEVEL]
    elif "/" in text:
        town, _, village = (part.strip() for part in text.partition("/"))
        towns = {g.id for g in grids if g.level == TOWNSHIP_LEVEL and g.name == town}
        named = [g for g in grids if g.level == BASE_LEVEL and g.parent_id in towns and g.name == village]
    else:
        named = [g for g in grids if g.name == text and g.level != COUNTY_LEVEL]
    if not named:
        raise TaskError(N_("no grid {grid!r}: write 城关镇/东街村, a village or compound, or a township"), grid=text)
    wanted = {id_of(g) for g in named}
    while True:  # three levels: at most two rounds add anything
        below = {id_of(g) for g in grids if g.parent_id in wanted} - wanted
        if not below:
            return tuple(sorted(wanted))
        wanted |= below


def list_tasks(
    session: Session,
    *,
    coordinator_id: int | None = None,
    status: str = "live",
    limit: int | None = None,
    where: TaskFilter | None = None,
) -> list[dict[str, Any]]:
    """Tasks with their cadre and assignee, most urgent first. Includes ID numbers: operator only."""
    assignee = aliased(Coordinator)
    escalated_to = aliased(Coordinator)
    township = aliased(Grid)
    query = (
        select(Task, col(Cadre.name), col(Cadre.id_number), col(assignee.name), col(escalated_to.name), col(Grid.name), col(township.name))
        .join(assignee, col(assignee.id) == col(Task.assignee_id))
        .outerjoin(escalated_to, col(escalated_to.id) == col(Task.escalated_to_id))
        .outerjoin(Cadre, col(Cadre.id) == col(Task.cadre_id))
        .outerjoin(Grid, col(Grid.id) == col(Cadre.grid_id))
        .outerjoin(township, col(township.id) == col(Grid.parent_id))
        .where(col(Task.status).in_(STATUS_FILTERS[status]))
        .order_by(col(Task.due), col(Task.priority), col(Task.id))
    )
    if coordinator_id is not None:
        query = query.where((col(Task.assignee_id) == coordinator_id) | (col(Task.escalated_to_id) == coordinator_id))
    if where is not None:
        query = query.where(*where.conditions())
    if limit:
        query = query.limit(limit)
    rows = [
        {
            "id": task.id,
            "kind": task.kind,
            "rule": task.rule,
            "period": task.period,
            "status": task.status,
            "window_opens": task.window_opens.isoformat(),
            "due": task.due.isoformat(),
            "priority": task.priority,
            "assignee": assignee_name,
            "escalated_to": escalated_name,
            "escalation_level": task.escalation_level,
            "attempts": task.attempts,
            "cadre": {"name": cadre_name, "id_number": id_number} if cadre_name else None,
            "grid": f"{town}/{grid}" if town and grid else grid,
            "outcome": task.outcome,
            "note": task.note,
            "closed_by": task.closed_by,
            "closed_at": task.closed_at.isoformat() if task.closed_at else None,
        }
        for task, cadre_name, id_number, assignee_name, escalated_name, grid, town in session.execute(query)
    ]
    from yinhui.services.relatives import kin_of_tasks  # the fallback number of a call (紧急联系人)

    kin = kin_of_tasks(session, [row["id"] for row in rows if row["status"] in LIVE_STATUSES])
    for row in rows:
        row["next_of_kin"] = kin.get(row["id"])
    return rows


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def text(self, language: str) -> str:
        return self.en if language == "en" else self.zh


def _short(day: str) -> str:
    try:
        return dt.date.fromisoformat(day).strftime("%m-%d")
    except ValueError:
        return day


def task_labels(session: Session, task_ids: Sequence[int], *, playbook: Playbook | None = None) -> dict[int, Label]:
    """A label for each task among ``task_ids`` that has one (a few queries, whatever the count)."""
    if not task_ids:
        return {}
    if playbook is None:
        from yinhui.playbook_loader import current_playbook

        playbook = current_playbook()
    from models.must_visits import Occurrence
    from yinhui.rules.must_visits import detail_text

    rows = session.execute(
        select(col(Task.id), col(Task.kind), col(Task.rule), col(Task.subject_id), col(Task.period), col(Task.cadre_id))
        .where(col(Task.id).in_(task_ids))
    ).all()
    labels: dict[int, Label] = {}
    steps = [tid for tid, kind, *_ in rows if kind == EVENT_STEP]
    if steps:
        zh_steps, en_steps = step_labels(session, steps), step_labels(session, steps, language="en")
        labels.update({tid: Label(zh_steps[tid], en_steps.get(tid, zh_steps[tid])) for tid in zh_steps})
    branches = {sid for _, _, rule, sid, _, _ in rows if rule == THEME_DAY_RULE}
    branch_names = dict(
        session.execute(select(col(PartyOrg.id), col(PartyOrg.name)).where(col(PartyOrg.id).in_(branches))).all()
    ) if branches else {}
    details: dict[tuple[int, str, str], str | None] = {}
    occurrence_cadres = {cid for _, _, rule, _, _, cid in rows if kind_of_rule(rule) and cid is not None}
    if occurrence_cadres:
        for cadre_id, kind, period, detail in session.execute(
            select(col(Occurrence.cadre_id), col(Occurrence.kind), col(Occurrence.period), col(Occurrence.detail))
            .where(col(Occurrence.cadre_id).in_(occurrence_cadres), col(Occurrence.detail).is_not(None))
        ):
            details[(cadre_id, kind, period)] = detail
    for tid, _, rule, subject, period, cadre_id in rows:
        if tid in labels:
            continue
        title = rule_title(playbook, rule) or FOLLOW_UP_TITLES.get(rule)
        if title is None:
            continue
        zh, en = title.zh, title.en
        family = kind_of_rule(rule)
        if family is not None:
            occurrence_day, _, month = period.partition("/")
            detail = details.get((cadre_id, family[1], occurrence_day))
            zh += f"（{detail_text(detail, 'zh')}）" if detail else ""
            en += f" ({detail_text(detail, 'en')})" if detail else ""
            zh += f" · {month}" if month else ""
            en += f" · {month}" if month else ""
        elif rule == THEME_DAY_RULE:
            name = branch_names.get(subject, f"#{subject}")
            zh, en = f"{zh} · {name} · {period}", f"{en} · {name} · {period}"
        elif rule in STAFF_RULES:
            zh, en = f"{zh} · {_short(period)}", f"{en} · {_short(period)}"
            if rule == LECTURE_RULE:  # the task is the week's reminder to get the slides ready
                zh, en = f"{zh}（请准备课件）", f"{en} (prepare slides)"
        labels[tid] = Label(zh, en)
    return labels


def task_record(session: Session, task_id: int, *, language: str = "zh") -> dict[str, Any]:
    """One task whole, for `yinhui task show`: its cadre by name and grid, dates, assignee,
    escalation, attempts, outcome, note, and its history (audit events, actors named)."""
    from models.tasks import TaskEvent
    from yinhui.services.cadres import grid_of
    from yinhui.services.tasks import actor_name, latest_reschedule_day

    task = session.get(Task, task_id)
    if task is None:
        raise TaskError(N_("no task #{task_id}"), task_id=task_id)
    cadre = session.get(Cadre, task.cadre_id) if task.cadre_id is not None else None
    names = dict(session.execute(select(col(Coordinator.id), col(Coordinator.name)).where(
        col(Coordinator.id).in_([task.assignee_id, task.escalated_to_id or -1]))).all())
    label = task_labels(session, [task_id]).get(task_id)
    events = session.execute(
        select(TaskEvent).where(col(TaskEvent.task_id) == task_id).order_by(col(TaskEvent.at), col(TaskEvent.id))
    ).scalars()
    return {
        "id": task.id,
        "kind": task.kind,
        "rule": task.rule,
        "label": label.text(language) if label else None,
        "period": task.period,
        "status": task.status,
        "cadre": {"id": cadre.id, "name": cadre.name, "grid": grid_of(session, cadre)} if cadre else None,
        "window_opens": task.window_opens.isoformat(),
        "window_closes": latest_reschedule_day(task).isoformat(),
        "due": task.due.isoformat(),
        "priority": task.priority,
        "assignee": names.get(task.assignee_id),
        "escalation_level": task.escalation_level,
        "escalated_to": names.get(task.escalated_to_id) if task.escalated_to_id else None,
        "escalated_on": task.escalated_on.isoformat() if task.escalated_on else None,
        "attempts": task.attempts,
        "outcome": task.outcome,
        "note": task.note,
        "closed_by": actor_name(session, task.closed_by) if task.closed_by else None,
        "closed_at": task.closed_at.isoformat() if task.closed_at else None,
        "history": [
            {"at": event.at.astimezone(clock.tz()).strftime("%Y-%m-%d %H:%M"), "actor": actor_name(session, event.actor),
             "action": event.action, "from_status": event.from_status, "to_status": event.to_status,
             "detail": _history_detail(event.detail)}
            for event in events
        ],
    }


def _history_detail(detail: str | None) -> str | None:
    """An event's detail as one readable line: ``outcome=reached, on=2026-11-03``."""
    if not detail:
        return None
    import json

    try:
        values = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(values, dict):
        return str(values)
    return ", ".join(f"{key}={value}" for key, value in values.items() if value is not None)
