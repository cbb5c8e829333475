"""Finding a cadre from what an operator types, grid paths for reports, and a cadre's status changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import (
    select,
)
from sqlmodel import Session, col

from models.grids import BASE_LEVEL, TOWNSHIP_LEVEL, Grid
from models.people import ACTIVE, STATUSES, Cadre
from models.types import id_of, utcnow
from yinhui.privacy import mask_id_number
from yinhui.services.errors import CalendarError, CareError, TaskError
from yinhui.services.grids import GridBook
from yinhui.services.lookup import get_or_raise
from yinhui.services.tasks import cancel_open_tasks


def _grid_ids(session: Session, ref: str) -> list[int]:
    """Base grids a reference names: 城关镇/东街村, a base grid's own name, or a township (all its grids)."""
    text = ref.strip()
    book = GridBook(session)
    if "/" in text:
        grid = book.resolve(text)
        return [id_of(grid)] if grid is not None and grid.level == BASE_LEVEL else []
    named = [g for g in book.by_id.values() if g.name == text]
    ids = {id_of(g) for g in named if g.level == BASE_LEVEL}
    towns = {g.id for g in named if g.level == TOWNSHIP_LEVEL}
    ids |= {id_of(g) for g in book.by_id.values() if g.level == BASE_LEVEL and g.parent_id in towns}
    return sorted(ids)


def resolve_cadre(session: Session, ref: str, *, grid: str | None = None) -> Cadre:
    """A cadre from what an operator types: #id, an ID number, or a name (with a grid when two share it).

    Among several cadres of one name, the only one still active is meant (a namesake who died
    does not make every report ambiguous). Errors never echo an ID number in full.
    """
    text = ref.strip()
    if not text:
        raise CareError("name the cadre: an ID number, #id, or a name (with --grid if two share it)")
    bare = text.lstrip("#")
    if (bare.isdigit() and len(bare) < 15) or len(text) == 18:
        try:
            (cadre_id,) = resolve_cadres(session, [text])
        except CalendarError as exc:
            raise CareError(str(exc)) from None
        return get_or_raise(session, Cadre, cadre_id, CareError(f"no cadre #{cadre_id}"))
    query = select(Cadre).where(col(Cadre.name) == text).order_by(col(Cadre.id))
    if grid:
        ids = _grid_ids(session, grid)
        if not ids:
            raise CareError(f"no grid {grid!r}: write 城关镇/东街村, a village or compound, or a township")
        query = query.where(col(Cadre.grid_id).in_(ids))
    found = list(session.execute(query).scalars())
    if not found:
        raise CareError(f"no cadre called {text!r}" + (f" in {grid}" if grid else ""))
    active = [c for c in found if c.status == ACTIVE]
    if len(found) == 1 or len(active) == 1:
        return found[0] if len(found) == 1 else active[0]
    book = GridBook(session)
    options = ", ".join(
        f"#{c.id} {book.path(book.by_id[c.grid_id])} ({mask_id_number(c.id_number)})" for c in found[:6]
    )
    raise CareError(f"{len(found)} cadres are called {text!r}: {options}; add --grid or give the #id")


def grid_paths(session: Session, grid_ids: Sequence[int]) -> dict[int, str]:
    """"城关镇/东街村" for each base grid id (for reports)."""
    wanted = set(grid_ids)
    if not wanted:
        return {}
    book = GridBook(session)
    return {gid: book.path(book.by_id[gid]) for gid in wanted if gid in book.by_id}


def grid_of(session: Session, cadre: Cadre) -> str:
    grid = session.get(Grid, cadre.grid_id)
    return grid_paths(session, [cadre.grid_id]).get(cadre.grid_id, grid.name if grid else "?")


def resolve_cadres(session: Session, refs: Sequence[str]) -> list[int]:
    """Cadre ids from what an operator types: an id (#12 or 12), an ID number, or a unique name."""
    ids = []
    for ref in refs:
        text = ref.strip()
        if text.lstrip("#").isdigit() and len(text.lstrip("#")) < 15:
            ids.append(int(text.lstrip("#")))
            continue
        # Never echo an ID number back: it may end up in a terminal log.
        by_number = len(text) == 18
        column, value = (col(Cadre.id_number), text.upper()) if by_number else (col(Cadre.name), text)
        found = session.execute(select(col(Cadre.id), col(Cadre.id_number)).where(column == value)).all()
        if not found:
            raise CalendarError("no cadre with that ID number" if by_number else f"no cadre called {text!r}")
        if len(found) > 1:
            options = ", ".join(f"#{cid} ({mask_id_number(number)})" for cid, number in found)
            raise CalendarError(f"{len(found)} cadres are called {text!r}: {options}; give the #id instead")
        ids.append(found[0][0])
    return ids


def active_cadres(session: Session, cadre_ids: Sequence[int], error: type[ValueError]) -> dict[int, Cadre]:
    """The cadres of ``cadre_ids`` by id; raises ``error`` naming the first one unknown, else the first no longer active."""
    cadres = {c.id: c for c in session.execute(select(Cadre).where(col(Cadre.id).in_(cadre_ids))).scalars()}
    missing = [cid for cid in cadre_ids if cid not in cadres]
    if missing:
        raise error(f"no cadre #{missing[0]}")
    gone = [cadres[cid] for cid in cadre_ids if cadres[cid].status != ACTIVE]
    if gone:
        raise error(f"{gone[0].name} ({mask_id_number(gone[0].id_number)}) is {gone[0].status}, not active")
    return {cid: cadres[cid] for cid in cadre_ids}


def set_cadre_status(
    session: Session, cadre: Cadre, *, status: str, on: dt.date, reason: str | None, actor: str
) -> int:
    """Mark a cadre deceased or moved away (or active again); returns how many tasks were cancelled.

    Deceased and moved-away cadres get no new tasks, and their open ones are cancelled with the
    reason, so nobody is sent to a door that no longer opens.
    """
    if status not in STATUSES:
        raise TaskError(f"unknown status {status!r}")
    if cadre.status == status:
        return 0
    cadre.status, cadre.status_since = status, on
    cadre.status_reason = reason
    cadre.updated_at = utcnow()
    session.add(cadre)
    if status == ACTIVE:
        return 0
    why = reason or {"deceased": "cadre deceased", "moved": "cadre moved away"}.get(status, status)
    return cancel_open_tasks(session=session, cadre_id=id_of(cadre), reason=why, actor=actor)
