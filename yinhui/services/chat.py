"""Chat bindings and delivery state: invite codes, opaque button tokens, grid group chats, other targets.

Everything the chat channels and the bot remember lives here, so a bot restart or a second
dispatcher never loses a binding, a button or the record of what already went out.
"""


from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    select,
    true,
    update,
)
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session, col

from models.chat import (
    AUDIENCES,
    GRID_AUDIENCE,
    INVITE_ALPHABET,
    INVITE_DAYS,
    INVITE_LENGTH,
    RELATIVES_AUDIENCE,
    TOKEN_BYTES,
    CallbackToken,
    ChatInvite,
    GroupChat,
)
from models.grids import BASE_LEVEL, Grid
from models.people import Coordinator
from models.tasks import Task
from models.types import table_of, utcnow
from yinhui.i18n import N_
from yinhui.services.errors import ChatError


def _insert_ignoring_duplicates(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on both backends: two dispatchers may race for a row."""
    if not rows:
        return
    statement: Insert
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(table).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table).on_conflict_do_nothing()
    session.execute(statement, rows)


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def _chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def create_invite(
    session: Session,
    *,
    coordinator_id: int | None = None,
    grid_id: int | None = None,
    days: int = INVITE_DAYS,
    actor: str = "cli",
    audience: str = GRID_AUDIENCE,
) -> str:
    """A fresh one-time code for a coordinator (private chat) or a grid (group chat).

    Older unused codes for the same coordinator, or the same grid and audience, stop working, so
    only the last code handed out can bind. ``audience`` of a grid's code: its group chat (网格群,
    'grid') or its relatives' group (亲人群, 'relatives').
    """
    if audience not in AUDIENCES or (audience != GRID_AUDIENCE and grid_id is None):
        raise ChatError(N_("a relatives' group is bound for a grid (--relatives with a grid)"))
    if (coordinator_id is None) == (grid_id is None):
        raise ChatError(N_("an invite is for exactly one coordinator or one grid"))
    if days < 1:
        raise ChatError(N_("an invite must last at least one day (got {days})"), days=days)
    now = utcnow()
    owner = (col(ChatInvite.coordinator_id) == coordinator_id if coordinator_id
             else (col(ChatInvite.grid_id) == grid_id) & (col(ChatInvite.audience) == audience))
    session.execute(
        update(ChatInvite)
        .where(owner, col(ChatInvite.used_at).is_(None), col(ChatInvite.expires_at) > now)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
    session.add(
        ChatInvite(
            code_hash=_hash_code(code), coordinator_id=coordinator_id, grid_id=grid_id, audience=audience,
            created_by=actor, expires_at=now + dt.timedelta(days=days),
        )
    )
    session.flush()
    return code


@dataclass(frozen=True)
class Binding:
    """What a redeemed code bound: a coordinator's private chat or a grid's group chat."""

    chat_id: int
    coordinator: Coordinator | None = None
    group: GroupChat | None = None
    grid_name: str | None = None

    @property
    def relatives(self) -> bool:
        """A grid's relatives' group (亲人群), not its coordinators' group chat."""
        return self.group is not None and self.group.audience == RELATIVES_AUDIENCE


def redeem_invite(session: Session, code: str, *, chat_id: int, private: bool, title: str = "") -> Binding:
    """Bind the chat with a one-time code; the code is spent whatever happens next."""
    invite = session.execute(
        select(ChatInvite).where(col(ChatInvite.code_hash) == _hash_code(code)).with_for_update()
    ).scalar_one_or_none()
    now = utcnow()
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        raise ChatError(N_("invalid, used or expired invite code"))
    if invite.coordinator_id is not None and not private:
        raise ChatError(N_("a coordinator's code must be sent in a private chat with the bot"))
    if invite.coordinator_id is None and private:
        raise ChatError(N_("a grid's code must be sent in the grid's group chat"))
    # Spend the code by a conditional update whose row count decides: of two chats sending the
    # same code at once, exactly one binds (the row lock above already serialises PostgreSQL).
    spent = session.exec(
        update(ChatInvite)
        .where(col(ChatInvite.id) == invite.id, col(ChatInvite.used_at).is_(None), col(ChatInvite.expires_at) > now)
        .values(used_at=now, used_by_chat=chat_id)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise ChatError(N_("invalid, used or expired invite code"))
    session.expire(invite)
    if invite.coordinator_id is not None:
        return _bind_coordinator(session, invite.coordinator_id, chat_id)
    return _bind_group(session, invite.grid_id, chat_id, title, invite.audience)


def _bind_coordinator(session: Session, coordinator_id: int, chat_id: int) -> Binding:
    other = session.execute(
        select(Coordinator).where(col(Coordinator.chat_id) == chat_id, col(Coordinator.id) != coordinator_id)
    ).scalar_one_or_none()
    if other is not None:
        raise ChatError(N_("this chat is already bound to another coordinator; ask the operator"))
    coordinator = session.get(Coordinator, coordinator_id)
    if coordinator is None or not coordinator.active:
        raise ChatError(N_("the coordinator of this code is no longer active"))
    coordinator.chat_id, coordinator.channel, coordinator.channel_broken = chat_id, "telegram", None
    session.add(coordinator)
    session.flush()
    return Binding(chat_id=chat_id, coordinator=coordinator)


def _bind_group(session: Session, grid_id: int, chat_id: int, title: str, audience: str) -> Binding:
    """The chat becomes the grid's group chat or its relatives' group: one or the other, never both."""
    group = session.execute(select(GroupChat).where(col(GroupChat.chat_id) == chat_id)).scalar_one_or_none()
    if group is None:
        group = GroupChat(chat_id=chat_id, grid_id=grid_id)
    group.grid_id, group.title, group.active, group.broken = grid_id, title[:200], True, None
    group.audience = audience
    group.bound_at = utcnow()
    session.add(group)
    session.flush()
    grid = session.get(Grid, grid_id)
    return Binding(chat_id=chat_id, group=group, grid_name=grid_path(session, grid) if grid else None)


def grid_path(session: Session, grid: Grid) -> str:
    if grid.level == BASE_LEVEL and grid.parent_id is not None:
        parent = session.get(Grid, grid.parent_id)
        if parent is not None:
            return f"{parent.name}/{grid.name}"
    return grid.name


def coordinator_for_chat(session: Session, chat_id: int) -> Coordinator | None:
    """The active coordinator bound to this private chat, if any."""
    if chat_id <= 0:
        return None
    return session.execute(
        select(Coordinator).where(col(Coordinator.chat_id) == chat_id, col(Coordinator.active) == true())
    ).scalars().first()


def group_for_chat(session: Session, chat_id: int) -> GroupChat | None:
    return session.execute(
        select(GroupChat).where(col(GroupChat.chat_id) == chat_id, col(GroupChat.active) == true())
    ).scalar_one_or_none()


def move_chat(session: Session, old_chat_id: int, new_chat_id: int) -> int:
    """A group became a supergroup (ChatMigrated): follow it everywhere it is stored."""
    moved = 0
    for model in (Coordinator, GroupChat):
        result = session.exec(
            update(model).where(col(model.chat_id) == old_chat_id).values(chat_id=new_chat_id)
            .execution_options(synchronize_session=False)
        )
        moved += max(result.rowcount or 0, 0)
    return moved


def issue_callback_tokens(session: Session, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The token for each (task id, coordinator id), created on first use and reused after."""
    wanted = sorted(set(pairs))
    found: dict[tuple[int, int], str] = {}
    for chunk in _chunks(wanted):
        task_ids = sorted({t for t, _ in chunk})
        for token, task_id, coordinator_id in session.execute(
            select(col(CallbackToken.token), col(CallbackToken.task_id), col(CallbackToken.coordinator_id)).where(
                col(CallbackToken.task_id).in_(task_ids)
            )
        ):
            found[(task_id, coordinator_id)] = token
    missing = [p for p in wanted if p not in found]
    _insert_ignoring_duplicates(
        session,
        table_of(CallbackToken),
        [
            {"token": secrets.token_urlsafe(TOKEN_BYTES), "task_id": t, "coordinator_id": c, "created_at": utcnow()}
            for t, c in missing
        ],
    )
    if missing:
        # Re-read: a concurrent dispatcher may have won the insert for some pairs.
        for chunk in _chunks(missing):
            for token, task_id, coordinator_id in session.execute(
                select(col(CallbackToken.token), col(CallbackToken.task_id), col(CallbackToken.coordinator_id)).where(
                    col(CallbackToken.task_id).in_(sorted({t for t, _ in chunk}))
                )
            ):
                found[(task_id, coordinator_id)] = token
    return {p: found[p] for p in wanted}


def resolve_callback_token(session: Session, token: str) -> CallbackToken | None:
    return session.get(CallbackToken, token)


def task_belongs_to(task: Task, coordinator_id: int) -> bool:
    """A task is on a coordinator's list when it is assigned or escalated to them."""
    return task.assignee_id == coordinator_id or task.escalated_to_id == coordinator_id


def redeem_invite_for_browser(session: Session, code: str) -> tuple[Coordinator, int]:
    """Spend a coordinator's one-time code to bind a browser (the task page): the coordinator and
    the invite's id. The Telegram binding is left as it was; a grid's code binds no browser."""
    invite = session.execute(
        select(ChatInvite).where(col(ChatInvite.code_hash) == _hash_code(code)).with_for_update()
    ).scalar_one_or_none()
    now = utcnow()
    if invite is None or invite.used_at is not None or invite.expires_at <= now or invite.coordinator_id is None:
        raise ChatError(N_("invalid, used or expired invite code"))
    spent = session.exec(
        update(ChatInvite)
        .where(col(ChatInvite.id) == invite.id, col(ChatInvite.used_at).is_(None), col(ChatInvite.expires_at) > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise ChatError(N_("invalid, used or expired invite code"))
    coordinator = session.get(Coordinator, invite.coordinator_id)
    if coordinator is None or not coordinator.active:
        raise ChatError(N_("the coordinator of this code is no longer active"))
    return coordinator, invite.id or 0
