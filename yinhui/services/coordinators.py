"""Adding and listing coordinators (staff, grid coordinators, leaders) and the grids they hold."""


from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.people import LEADER, ROLES, Cadre, Coordinator, CoordinatorGrid
from models.types import id_of
from yinhui.services.grids import GridBook


class CoordinatorError(ValueError):
    """A coordinator request that cannot be carried out; the message says why."""


def find_coordinator(session: Session, name: str) -> Coordinator:
    found = session.execute(select(Coordinator).where(col(Coordinator.name) == name.strip())).scalar_one_or_none()
    if found is None:
        raise CoordinatorError(f"no coordinator named {name!r} (see `yinhui coordinator list`)")
    return found


def save_coordinator(
    session: Session,
    *,
    name: str,
    role: str,
    grids: Sequence[str] = (),
    phone: str | None = None,
    book: GridBook | None = None,
    replace: bool = False,
) -> Coordinator:
    """Create a coordinator, or (replace=True) update one by name; grid references must exist."""
    name = name.strip()
    if not name:
        raise CoordinatorError("a coordinator needs a name")
    if role not in ROLES:
        raise CoordinatorError(f"role must be one of {', '.join(ROLES)} (got {role!r})")
    book = book or GridBook(session)
    resolved = []
    for ref in grids:
        grid = book.resolve(ref)
        if grid is None:
            raise CoordinatorError(
                f"grid {ref!r} is not known: write a level-2 grid as 城关镇 or a base grid as 城关镇/东街村, "
                "and import the roster first so the grids exist"
            )
        resolved.append(grid)
    existing = session.execute(select(Coordinator).where(col(Coordinator.name) == name)).scalar_one_or_none()
    if existing is not None and not replace:
        raise CoordinatorError(f"a coordinator named {name!r} already exists")
    coordinator = existing or Coordinator(name=name, role=role)
    coordinator.role, coordinator.phone, coordinator.active = role, phone or coordinator.phone, True
    session.add(coordinator)
    session.flush()
    if existing is not None:
        for link in session.execute(
            select(CoordinatorGrid).where(col(CoordinatorGrid.coordinator_id) == coordinator.id)
        ).scalars():
            session.delete(link)
        session.flush()
    for grid in {g.id: g for g in resolved}.values():
        session.add(CoordinatorGrid(coordinator_id=id_of(coordinator), grid_id=id_of(grid)))
    session.flush()
    return coordinator


def list_coordinators(session: Session) -> list[dict[str, Any]]:
    book = GridBook(session)
    links: dict[int, list[str]] = {}
    for coord_id, grid_id in session.execute(select(col(CoordinatorGrid.coordinator_id), col(CoordinatorGrid.grid_id))):
        links.setdefault(coord_id, []).append(book.path(book.by_id[grid_id]))
    named = dict(
        session.execute(
            select(col(Cadre.coordinator_id), func.count())
            .where(col(Cadre.coordinator_id).is_not(None))
            .group_by(col(Cadre.coordinator_id))
        ).all()
    )
    return [
        {
            "id": c.id,
            "name": c.name,
            "role": c.role,
            "grids": sorted(links.get(c.id, [])),
            "named_cadres": named.get(c.id, 0),
            "channel": c.channel,
            "chat_bound": c.chat_id is not None,
            "active": c.active,
        }
        for c in session.execute(select(Coordinator).order_by(col(Coordinator.role), col(Coordinator.id))).scalars()
    ]


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
    from models.tasks import LIVE_STATUSES, Task
    from yinhui.services.events import reassign_orphaned_steps
    from yinhui.services.org_life import reassign_meetings
    from yinhui.services.planning import reassign_live_tasks, refresh_grid_owners

    coordinator = find_coordinator(session, name)
    if coordinator.active == active:
        raise CoordinatorError(f"{coordinator.name} is already {'active' if active else 'inactive'}")
    if not active and coordinator.role == LEADER:
        others = session.execute(
            select(func.count()).select_from(Coordinator).where(
                col(Coordinator.role) == LEADER, col(Coordinator.active).is_(True), col(Coordinator.id) != coordinator.id
            )
        ).scalar_one()
        if not others:
            raise CoordinatorError(
                f"{coordinator.name} is the only active leader: add another leader first "
                "(`yinhui coordinator add NAME --role leader`), since tasks nobody covers go to a leader"
            )
    coordinator.active = active
    session.add(coordinator)
    session.flush()
    assignment = refresh_grid_owners(session)
    moved = reassign_live_tasks(session, leader_id=assignment.leader_id, actor=actor)
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

