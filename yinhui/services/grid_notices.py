"""Grid notices (网格通知): per-grid counts for the day, queued for bound grid group chats, never names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

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


RenderNotice = Callable[[GridCounts, dt.date, str], str]


def queue_grid_notices(session: Session, day: dt.date, *, render: RenderNotice, default_language: str = "zh") -> int:
    """One notice a day to every bound grid group chat and grid-level target: counts only, no names.

    `render(counts, day, language)` writes the text (notifiers.telegram_render.render_grid_notice).
    """
    written = 0
    groups = session.execute(select(GroupChat).where(col(GroupChat.active) == true(), col(GroupChat.broken).is_(None))).scalars().all()
    for group in groups:
        lang = group.language or default_language
        text = render(grid_counts(session, group.grid_id, day), day, lang)
        written += enqueue(
            session, dedupe_key=f"grid-notice:{day.isoformat()}:g{group.id}", recipient_id=None,
            channel="telegram", kind="notice", subject=text.splitlines()[0], body=text,
            payload={"group_chat_id": group.id},
        )
    targets = session.execute(
        select(AppriseTarget).where(col(AppriseTarget.grid_id).is_not(None), col(AppriseTarget.active) == true())
    ).scalars().all()
    for target in targets:
        text = render(grid_counts(session, target.grid_id, day), day, default_language)
        written += enqueue(
            session, dedupe_key=f"grid-notice:{day.isoformat()}:a{target.id}", recipient_id=None,
            channel=target.kind, kind="notice", subject=text.splitlines()[0], body=text,
            payload={"apprise_target_id": target.id},
        )
    return written

