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
from yinhui.rules.care import rule_title
from yinhui.rules.events import EVENT_STEP
from yinhui.rules.must_visits import kind_of_rule
from yinhui.rules.org_life import THEME_DAY_RULE
from yinhui.rules.playbook import Playbook
from yinhui.rules.staff_rhythm import LECTURE_RULE
from yinhui.rules.staff_rhythm import RULES as STAFF_RULES
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


def list_tasks(
    session: Session, *, coordinator_id: int | None = None, status: str = "live", limit: int | None = None
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
    if limit:
        query = query.limit(limit)
    return [
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
            "cadre": {"name": cadre_name, "id_number": id_number} if cadre_name else None,
            "grid": f"{town}/{grid}" if town and grid else grid,
            "outcome": task.outcome,
            "note": task.note,
            "closed_by": task.closed_by,
            "closed_at": task.closed_at.isoformat() if task.closed_at else None,
        }
        for task, cadre_name, id_number, assignee_name, escalated_name, grid, town in session.execute(query)
    ]


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
        title = rule_title(playbook, rule)
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
