"""Adding and listing coordinators (staff, grid coordinators, leaders) and the grids they hold."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, true
from sqlmodel import Session, col

from models.people import LEADER, ROLES, Cadre, Coordinator, CoordinatorGrid
from models.types import id_of
from yinhui.i18n import N_
from yinhui.services.errors import CoordinatorError
from yinhui.services.grids import GridBook
from yinhui.services.lookup import get_or_raise


def find_coordinator(session: Session, name: str) -> Coordinator:
    """A coordinator by exact name (names are unique)."""
    return get_or_raise(session, Coordinator, col(Coordinator.name) == name.strip(),
                        CoordinatorError(N_("no coordinator named {name!r} (see `yinhui coordinator list`)"),
                                         name=name))


def sign_out_browsers(session: Session, coordinator: Coordinator) -> None:
    """Sign out every browser bound to the coordinator so far (a lost phone): the task page asks for a
    new code; the Telegram binding is left as it was. The time is the machine's wall clock, as a
    browser's session records when it was bound."""
    coordinator.browsers_signed_out_at = dt.datetime.fromtimestamp(time.time(), dt.UTC)
    session.add(coordinator)
    session.flush()


def active_leaders(session: Session) -> list[Coordinator]:
    """The active leaders, oldest first (who failure alerts go to)."""
    return list(session.execute(
        select(Coordinator).where(col(Coordinator.role) == LEADER, col(Coordinator.active) == true()).order_by(col(Coordinator.id))
    ).scalars())


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
        raise CoordinatorError(N_("a coordinator needs a name"))
    if role not in ROLES:
        raise CoordinatorError(N_("role must be one of {roles} (got {role!r})"), roles=", ".join(ROLES), role=role)
    book = book or GridBook(session)
    resolved = []
    for ref in grids:
        grid = book.resolve(ref)
        if grid is None:
            raise CoordinatorError(
                N_("grid {grid!r} is not known: write a level-2 grid as 城关镇 or a base grid as 城关镇/东街村, "
                   "and import the roster first so the grids exist"),
                grid=ref,
            )
        resolved.append(grid)
    existing = session.execute(select(Coordinator).where(col(Coordinator.name) == name)).scalar_one_or_none()
    if existing is not None and not replace:
        raise CoordinatorError(N_("a coordinator named {name!r} already exists"), name=name)
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
