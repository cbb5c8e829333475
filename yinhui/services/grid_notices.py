"""Grid notices (网格通知): per-grid counts for the day, queued for bound grid group chats, never names."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
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
    GRID_AUDIENCE,
    RELATIVES_AUDIENCE,
    AppriseTarget,
    GroupChat,
)
from models.grids import Grid
from models.people import Cadre
from models.tasks import LIVE_STATUSES, OVERDUE, Task
from models.types import id_of, utcnow
from yinhui import clock
from yinhui.i18n import N_
from yinhui.messages.content import Message, as_text
from yinhui.messages.notices import render_grid_notice
from yinhui.messages.texts import language_of
from yinhui.privacy import personal_number_in
from yinhui.roster.safety import find_unsafe
from yinhui.services.chat import grid_path
from yinhui.services.errors import ChatError, Word
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
        raise ChatError(N_("no grid #{grid_id}"), grid_id=grid_id)
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
    # The grid's own group chats and robots only: a relatives' group (亲人群) never gets work counts.
    queued = _group_addresses(session, None, GRID_AUDIENCE, default_language)
    written = 0
    for suffix, grid_id, language, channel, address in queued:
        message, payload = grid_notice(grid_counts(session, grid_id, day), day, language)
        subject, body = as_text(message)
        written += enqueue(
            session, dedupe_key=f"grid-notice:{day.isoformat()}:{suffix}", recipient_id=None,
            channel=channel, kind="notice", subject=subject, body=body, payload={**payload, **address},
        )
    return written


def _group_addresses(
    session: Session, grid_ids: Sequence[int] | None, audience: str, default_language: str
) -> list[tuple[str, int, str, str, dict[str, Any]]]:
    """(dedupe suffix, grid, language, channel, payload address) of each bound group chat and grid
    robot of ``audience`` (grid: 网格群, relatives: 亲人群), in ``grid_ids`` (None: every grid)."""
    group_where = [col(GroupChat.active) == true(), col(GroupChat.broken).is_(None), col(GroupChat.audience) == audience]
    target_where = [col(AppriseTarget.grid_id).is_not(None), col(AppriseTarget.active) == true(),
                    col(AppriseTarget.audience) == audience]
    if grid_ids is not None:
        group_where.append(col(GroupChat.grid_id).in_(grid_ids))
        target_where.append(col(AppriseTarget.grid_id).in_(grid_ids))
    groups = session.execute(select(GroupChat).where(*group_where).order_by(col(GroupChat.id))).scalars().all()
    targets = session.execute(select(AppriseTarget).where(*target_where).order_by(col(AppriseTarget.id))).scalars().all()
    return [
        (f"g{group.id}", group.grid_id, group.language or default_language, "telegram", {"group_chat_id": group.id})
        for group in groups
    ] + [
        (f"a{target.id}", target.grid_id, default_language, target.kind, {"apprise_target_id": target.id})
        for target in targets if target.grid_id is not None
    ]


MAX_NOTICE = 2000  # characters: a notice is a few lines (Telegram's limit is 4,096)


def queue_notice(
    session: Session, grid_id: int, text: str, *, relatives: bool, actor: str, default_language: str = "zh",
) -> int:
    """Queue the operator's notice (an event invitation, a festival greeting, a policy notice) for the
    group chats and robots of a grid and the grids under it: its relatives' groups (亲人群) with
    ``relatives``, else its grid groups. Returns how many were queued; none bound is refused.

    Text only, for a group: a text holding an ID number or a phone number is refused, nothing queued.
    """
    body = "\n".join(line.rstrip() for line in text.strip().splitlines())
    if not body or len(body) > MAX_NOTICE:
        raise ChatError(N_("a notice needs 1 to {limit} characters"), limit=MAX_NOTICE)
    if find_unsafe(body.replace("\n", " ")) is not None:
        raise ChatError(N_("a notice may not hold control characters"))
    found = personal_number_in(body)
    if found is not None:
        raise ChatError(N_("a notice goes to a group chat and may not hold personal data: it holds {what}; "
                           "nothing was queued"), what=Word(found))
    grid = session.get(Grid, grid_id)
    if grid is None:
        raise ChatError(N_("no grid #{grid_id}"), grid_id=grid_id)
    under = set(session.execute(select(col(Grid.id)).where(col(Grid.parent_id) == grid_id)).scalars())
    if grid.level == 1:
        under = set(session.execute(select(col(Grid.id))).scalars())
    audience = RELATIVES_AUDIENCE if relatives else GRID_AUDIENCE
    addresses = _group_addresses(session, sorted({grid_id, *under}), audience, default_language)
    if not addresses:
        which = N_("relatives' group") if relatives else N_("group chat")
        raise ChatError(N_("grid {grid} has no bound {which}: bind one with `yinhui chat group-invite`{flag} "
                           "or `yinhui chat target add`{flag}; nothing was queued"),
                        grid=grid_path(session, grid), which=Word(which), flag=" --relatives" if relatives else "")
    stamp = hashlib.sha256(f"{utcnow().isoformat()}:{actor}:{body}".encode()).hexdigest()[:16]
    written = 0
    for suffix, _grid, _language, channel, address in addresses:
        written += enqueue(session, dedupe_key=f"notice:{stamp}:{suffix}", recipient_id=None, channel=channel,
                           kind="notice", subject=grid_path(session, grid), body=body,
                           payload={**address, "audience": audience, "by": actor})
    return written
