"""Finding a cadre from what an operator types, grid paths for reports, and a cadre's status changes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import (
    select,
)
from sqlmodel import Session, col

from models.grids import BASE_LEVEL, TOWNSHIP_LEVEL, Grid
from models.people import ACTIVE, STATUSES, Cadre, CadreEvent
from models.types import id_of, utcnow
from yinhui.i18n import N_
from yinhui.privacy import mask_id_number
from yinhui.rules.playbook import Playbook
from yinhui.rules.workdays import WorkCalendar
from yinhui.services.errors import CalendarError, CareError, DomainError, TaskError, Word
from yinhui.services.grids import GridBook
from yinhui.services.lookup import get_or_raise
from yinhui.services.tasks import cancel_open_tasks

T = TypeVar("T")


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
        raise CareError(N_("name the cadre: an ID number, #id, or a name (with --grid if two share it)"))
    bare = text.lstrip("#")
    if (bare.isdigit() and len(bare) < 15) or len(text) == 18:
        try:
            (cadre_id,) = resolve_cadres(session, [text])
        except CalendarError as exc:
            raise CareError(exc.message, **exc.values) from None
        return get_or_raise(session, Cadre, cadre_id, CareError(N_("no cadre #{cadre_id}"), cadre_id=cadre_id))
    query = select(Cadre).where(col(Cadre.name) == text).order_by(col(Cadre.id))
    if grid:
        ids = _grid_ids(session, grid)
        if not ids:
            raise CareError(N_("no grid {grid!r}: write 城关镇/东街村, a village or compound, or a township"), grid=grid)
        query = query.where(col(Cadre.grid_id).in_(ids))
    found = list(session.execute(query).scalars())
    if not found:
        raise CareError(N_("no cadre called {name!r} in {grid}") if grid else N_("no cadre called {name!r}"), name=text,
                        grid=grid)
    active = [c for c in found if c.status == ACTIVE]
    if len(found) == 1 or len(active) == 1:
        return found[0] if len(found) == 1 else active[0]
    book = GridBook(session)
    options = ", ".join(
        f"#{c.id} {book.path(book.by_id[c.grid_id])} ({mask_id_number(c.id_number)})" for c in found[:6]
    )
    raise CareError(N_("{count} cadres are called {name!r}: {options}; add --grid or give the #id"), count=len(found),
                    name=text, options=options)


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
            if by_number:  # the values too: an error's values must not hold the ID number either
                raise CalendarError(N_("no cadre with that ID number"))
            raise CalendarError(N_("no cadre called {name!r}"), name=text)
        if len(found) > 1:
            options = ", ".join(f"#{cid} ({mask_id_number(number)})" for cid, number in found)
            raise CalendarError(N_("{count} cadres are called {name!r}: {options}; give the #id instead"),
                                count=len(found), name=text, options=options)
        ids.append(found[0][0])
    return ids


def active_cadres(session: Session, cadre_ids: Sequence[int], error: type[DomainError]) -> dict[int, Cadre]:
    """The cadres of ``cadre_ids`` by id; raises ``error`` naming the first one unknown, else the first no longer active."""
    cadres = {c.id: c for c in session.execute(select(Cadre).where(col(Cadre.id).in_(cadre_ids))).scalars()}
    missing = [cid for cid in cadre_ids if cid not in cadres]
    if missing:
        raise error(N_("no cadre #{cadre_id}"), cadre_id=missing[0])
    gone = [cadres[cid] for cid in cadre_ids if cadres[cid].status != ACTIVE]
    if gone:
        raise error(N_("{name} ({id_number}) is {status}, not active"), name=gone[0].name,
                    id_number=mask_id_number(gone[0].id_number), status=Word(gone[0].status))
    return {cid: cadres[cid] for cid in cadre_ids}


def set_cadre_status(
    session: Session, cadre: Cadre, *, status: str, on: dt.date, reason: str | None, actor: str
) -> int:
    """Mark a cadre deceased or moved away (or active again); returns how many tasks were cancelled.

    Deceased and moved-away cadres get no new tasks, and their open ones are cancelled with the
    reason, so nobody is sent to a door that no longer opens.
    """
    if status not in STATUSES:
        raise TaskError(N_("unknown status {status!r}"), status=status)
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


# -- editing one cadre's record (`yinhui cadre edit`) ------------------------------------------


class EditRefused(CareError):
    """A value of `yinhui cadre edit` refused as the roster import would refuse its cell, worded by
    the roster's own messages (which never echo a phone number in full); nothing is written."""

    def __init__(self, option: str, code: str, params: dict[str, object]) -> None:
        from yinhui.roster.messages import render

        self.option, self.code, self.params = option, code, params
        super().__init__(N_("--{option}: {problem}; nothing was changed"), option=option,
                         problem=render(code, params, "en"))

    def render(self, language: str | None) -> str:
        from yinhui import i18n
        from yinhui.roster.messages import render

        return i18n.text(language, self.message, option=self.option,
                         problem=render(self.code, self.params, language or "zh"))


def _checked(option: str, raw: str, parser: Callable[[object], T], limit: int) -> T:
    """A value parsed as its roster cell is (`yinhui.roster.validate`): no invisible characters,
    nothing that starts like a formula, no longer than the column holds."""
    from yinhui.roster.fields import FieldError
    from yinhui.roster.safety import find_unsafe, starts_like_formula

    bad = find_unsafe(raw)
    if bad is not None:
        raise EditRefused(option, "unsafe_character", {"code": bad.code, "name": bad.name, "position": bad.position})
    if len(raw) > 2 * limit + 20:
        raise EditRefused(option, "too_long", {"length": len(raw), "limit": limit})
    try:
        value = parser(raw)
    except FieldError as exc:
        raise EditRefused(option, exc.code, dict(exc.params)) from None
    stored = ";".join(map(str, value)) if isinstance(value, tuple) else value
    if isinstance(stored, str) and starts_like_formula(stored):
        raise EditRefused(option, "formula_text", {"start": stored.lstrip()[0]})
    if isinstance(stored, str) and len(stored) > limit:
        raise EditRefused(option, "too_long", {"length": len(stored), "limit": limit})
    return value


@dataclass(frozen=True)
class CadreEdit:
    """What `edit_cadre` changed: the fields (never their values), and the festival visits re-ordered."""

    fields: tuple[str, ...]
    reordered: int = 0
    reassigned: int = 0


def edit_cadre(
    session: Session,
    cadre: Cadre,
    *,
    actor: str,
    playbook: Playbook,
    calendar: WorkCalendar,
    today: dt.date,
    phone: str | None = None,
    address: str | None = None,
    coordinator: str | None = None,
    lives_alone: bool | None = None,
    hardship: bool | None = None,
) -> CadreEdit:
    """Change a cadre's phones, address, named coordinator (一联五包; "-" for none) or flags.

    Each value is checked as the roster import checks its cell, all before anything is written:
    one refusal and nothing changes. The change is audited as a `CadreEvent` naming the fields. A
    changed coordinator takes the cadre's live tasks along; a changed living-alone or hardship flag
    re-orders the cadre's open festival visits (priority and due date, `reorder_festival_visits`).
    """
    from yinhui.roster.columns import ROSTER_COLUMNS
    from yinhui.roster.fields import parse_phones
    from yinhui.roster.rows import clean_text
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.festivals import reorder_festival_visits
    from yinhui.services.planning import plan_leader
    from yinhui.services.tasks import reassign_live_tasks

    limits = {column.field: column.max_length or 200 for column in ROSTER_COLUMNS}
    if cadre.status != ACTIVE:
        raise CareError(N_("{name} is {status}: a record no longer active is not edited"), name=cadre.name,
                        status=Word(cadre.status))
    values: dict[str, object] = {}
    if phone is not None:
        values["phones"] = ";".join(_checked("phone", phone, parse_phones, limits["phone"]))
    if address is not None:
        values["address"] = _checked("address", address, clean_text, limits["address"])
    if coordinator is not None:
        if coordinator.strip() in ("-", ""):
            values["coordinator_id"] = None
        else:
            person = find_coordinator(session, coordinator)
            if not person.active:
                raise CareError(N_("{name} is not an active coordinator; nothing was changed"), name=person.name)
            values["coordinator_id"] = person.id
    if lives_alone is not None:
        values["lives_alone"] = lives_alone
    if hardship is not None:
        values["hardship"] = hardship
    if not values:
        raise CareError(N_("nothing to change: give --phone, --address, --coordinator, --lives-alone or --hardship"))
    changed = tuple(name for name, value in values.items() if getattr(cadre, name) != value)
    if not changed:
        return CadreEdit(())
    for name in changed:
        setattr(cadre, name, values[name])
    cadre.updated_at = utcnow()
    session.add(cadre)
    session.add(CadreEvent(cadre_id=id_of(cadre), actor=actor, action="edit",
                           detail=json.dumps({"fields": list(changed)})))
    session.flush()
    reassigned = 0
    if "coordinator_id" in changed:
        reassigned = reassign_live_tasks(session=session, leader_id=plan_leader(session), actor=actor)
    reordered = 0
    if "lives_alone" in changed or "hardship" in changed:
        reordered = reorder_festival_visits(session, cadre, playbook=playbook, calendar=calendar, today=today,
                                            actor=actor)
    return CadreEdit(changed, reordered, reassigned)
