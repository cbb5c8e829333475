"""Read-only task lists for the operator's console (`yinhui tasks`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.grids import Grid
from models.people import Cadre, Coordinator
from models.tasks import CANCELLED, DONE, LIVE_STATUSES, MISSED, OPEN, OVERDUE, Task

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
        select(Task, Cadre.name, Cadre.id_number, assignee.name, escalated_to.name, Grid.name, township.name)
        .join(assignee, assignee.id == Task.assignee_id)
        .outerjoin(escalated_to, escalated_to.id == Task.escalated_to_id)
        .outerjoin(Cadre, Cadre.id == Task.cadre_id)
        .outerjoin(Grid, Grid.id == Cadre.grid_id)
        .outerjoin(township, township.id == Grid.parent_id)
        .where(Task.status.in_(STATUS_FILTERS[status]))
        .order_by(Task.due, Task.priority, Task.id)
    )
    if coordinator_id is not None:
        query = query.where((Task.assignee_id == coordinator_id) | (Task.escalated_to_id == coordinator_id))
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
