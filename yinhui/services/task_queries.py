"""Read-only task lists for the operator's console (`yinhui tasks`)."""


from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

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

