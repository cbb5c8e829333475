"""Grid notices (网格通知): per-grid counts for the day, queued for bound grid group chats, never names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pendulum
from sqlalchemy import (
    func,
    select,
    true,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models.chat import (
    AppriseTarget,
    GroupChat,
)
from models.grids import Grid
from models.people import Cadre
from models.tasks import LIVE_STATUSES, OVERDUE, Task
from models.types import id_of
from yinhui import clock
from yinhui.messages.content import Message, as_text
from yinhui.messages.notices import render_grid_notice
from yinhui.messages.texts import language_of
from yinhui.services.chat import grid_path
from yinhui.services.errors import ChatError
from yinhui.services.outbox import enqueue


@dataclass(frozen=True)
class GridCounts:
    grid_id: int
    grid: str
    live: int
    overdue: int
    done_this_month: int


def grid_counts(session: Session, grid_id: int, day: dt.date) -> GridCounts:
    """Counts for a grid and the base grids under it: how much is open, late and done. No names."""
    grid = session.get(Grid, grid_id)
    if grid is None:
        raise ChatError(f"no grid #{grid_id}")
    child = aliased(Grid)
    base_ids = [grid.id] + list(session.execute(select(col(child.id)).where(col(child.parent_id) == grid.id)).scalars())
    if grid.level == 1:
        base_ids = list(session.execute(select(col(Grid.id))).scalars())
    month_start = day.replace(day=1)
    in_grid = col(Task.cadre_id).in_(select(col(Cadre.id)).where(col(Cadre.grid_id).in_(base_ids)))
    live = session.execute(select(func.count()).select_from(Task).where(in_grid, col(Task.status).in_(LIVE_STATUSES))).scalar_one()
    late = session.execute(select(func.count()).select_from(Task).where(in_grid, col(Task.status) == OVERDUE)).scalar_one()
    month_start_utc = pendulum.datetime(month_start.year, month_start.month, 1, tz=clock.tz()).in_timezone("UTC")
    done = session.execute(
        select(func.count()).select_from(Task).where(in_grid, col(Task.status) == "done", col(Task.closed_at) >= month_start_utc)
    ).scalar_one()
    return GridCounts(id_of(grid), grid_path(session, grid), live, late, done)


def grid_notice(counts: GridCounts, day: dt.date, language: str) -> tuple[Message, dict[str, Any]]:
    """A grid's notice for the day, and the payload its outbox row keeps to draw it again."""
    language = language_of(language)
    message = render_grid_notice(grid=counts.grid, day=day.isoformat(), live=counts.live, overdue=counts.overdue,
                                 done=counts.done_this_month, language=language)
    payload = {"render": "grid_notice", "grid": counts.grid, "day": day.isoformat(), "live": counts.live,
               "overdue": counts.overdue, "done": counts.done_this_month, "language": language}
    return message, payload


def queue_grid_notices(session: Session, day: dt.date, *, default_language: str = "zh") -> int:
    """One notice a day to every bound grid group chat and grid-level target: counts only, no names.

    The notice has one renderer (yinhui.messages.notices): the outbox row keeps its text and payload.
    """
    groups = session.execute(select(GroupChat).where(col(GroupChat.active) == true(), col(GroupChat.broken).is_(None))).scalars().all()
    targets = session.execute(
        select(AppriseTarget).where(col(AppriseTarget.grid_id).is_not(None), col(AppriseTarget.active) == true())
    ).scalars().all()
    queued: list[tuple[str, int, str, str, dict[str, Any]]] = [
        (f"g{group.id}", group.grid_id, group.language or default_language, "telegram", {"group_chat_id": group.id})
        for group in groups
    ] + [
        (f"a{target.id}", target.grid_id, default_language, target.kind, {"apprise_target_id": target.id})
        for target in targets if target.grid_id is not None
    ]
    written = 0
    for suffix, grid_id, language, channel, address in queued:
        message, payload = grid_notice(grid_counts(session, grid_id, day), day, language)
        subject, body = as_text(message)
        written += enqueue(
            session, dedupe_key=f"grid-notice:{day.isoformat()}:{suffix}", recipient_id=None,
            channel=channel, kind="notice", subject=subject, body=body, payload={**payload, **address},
        )
    return written
