"""A coordinator who leaves or comes back: live tasks, event steps and meetings handed over at once, audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.people import LEADER, Coordinator
from models.tasks import LIVE_STATUSES, Task
from yinhui.i18n import N_
from yinhui.services.coordinators import find_coordinator
from yinhui.services.errors import CoordinatorError
from yinhui.services.events import reassign_orphaned_steps
from yinhui.services.grids import GridBook
from yinhui.services.org_life import reassign_meetings
from yinhui.services.planning import refresh_grid_owners
from yinhui.services.tasks import reassign_live_tasks


@dataclass(frozen=True)
class Handover:
    """What changed when a coordinator left or came back: whose tasks moved, what still waits."""

    coordinator: str
    moved: int  # live tasks given to whoever answers for their cadre, event step or branch now
    still_held: int  # live tasks still with them (lectures, writing group: the next daily plan moves them)
    uncovered: list[str]  # base grids nobody answers for now (their tasks go to a leader)


def set_coordinator_active(session: Session, name: str, *, active: bool, actor: str) -> Handover:
    """Deactivate a coordinator who left (or bring one back) and hand their live tasks over at once.

    Nothing is deleted: the coordinator stays in the audit trail and the reports, stops receiving
    tasks and digests, and their chat binding stops being served. Every task that moves is written
    to the audit trail with `actor`. The last active leader cannot leave: tasks nobody else covers
    go to a leader, so there must always be one.
    """
    coordinator = find_coordinator(session, name)
    if coordinator.active == active:
        raise CoordinatorError(N_("{name} is already active") if active else N_("{name} is already inactive"),
                               name=coordinator.name)
    if not active and coordinator.role == LEADER:
        others = session.execute(
            select(func.count()).select_from(Coordinator).where(
                col(Coordinator.role) == LEADER, col(Coordinator.active).is_(True), col(Coordinator.id) != coordinator.id
            )
        ).scalar_one()
        if not others:
            raise CoordinatorError(
                N_("{name} is the only active leader: add another leader first "
                   "(`yinhui coordinator add NAME --role leader`), since tasks nobody covers go to a leader"),
                name=coordinator.name,
            )
    coordinator.active = active
    session.add(coordinator)
    session.flush()
    assignment = refresh_grid_owners(session)
    moved = reassign_live_tasks(session=session, leader_id=assignment.leader_id, actor=actor)
    moved += reassign_orphaned_steps(session, actor=actor)
    moved += reassign_meetings(session, leader_id=assignment.leader_id, actor=actor)
    held = 0
    if not active:
        held = session.execute(
            select(func.count()).select_from(Task).where(
                col(Task.assignee_id) == coordinator.id, col(Task.status).in_(LIVE_STATUSES)
            )
        ).scalar_one()
    book = GridBook(session)
    uncovered = sorted(book.path(book.by_id[grid_id]) for grid_id in assignment.uncovered)
    return Handover(coordinator=coordinator.name, moved=moved, still_held=held, uncovered=uncovered)
