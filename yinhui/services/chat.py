"""Chat bindings and delivery state: invite codes, opaque button tokens, grid group chats, other targets.

Everything the chat channels and the bot remember lives here, so a bot restart or a second
dispatcher never loses a binding, a button or the record of what already went out.
"""


from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pendulum
from sqlalchemy import (
    func,
    select,
    true,
    update,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session, col

from models.chat import (
    BROKEN_TEXT,
    GROUP_BROKEN_TEXT,
    INVITE_ALPHABET,
    INVITE_DAYS,
    INVITE_LENGTH,
    TOKEN_BYTES,
    AppriseTarget,
    CallbackToken,
    ChatInvite,
    ChatMessage,
    GroupChat,
)
from models.grids import BASE_LEVEL, Grid, GridOwner
from models.outbox import FAILED, Notification
from models.people import LEADER, Cadre, Coordinator, CoordinatorGrid
from models.tasks import LIVE_STATUSES, OVERDUE, Task
from models.types import id_of, table_of, utcnow
from yinhui import clock
from yinhui.services.grids import GridBook
from yinhui.services.outbox import enqueue, undelivered


class ChatError(ValueError):
    """A chat request that cannot be carried out; the message says why (no personal data)."""


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
) -> str:
    """A fresh one-time code for a coordinator (private chat) or a grid (group chat).

    Older unused codes for the same coordinator or grid stop working, so only the last code
    handed out can bind.
    """
    if (coordinator_id is None) == (grid_id is None):
        raise ChatError("an invite is for exactly one coordinator or one grid")
    if days < 1:
        raise ChatError(f"an invite must last at least one day (got {days})")
    now = utcnow()
    owner = col(ChatInvite.coordinator_id) == coordinator_id if coordinator_id else col(ChatInvite.grid_id) == grid_id
    session.execute(
        update(ChatInvite)
        .where(owner, col(ChatInvite.used_at).is_(None), col(ChatInvite.expires_at) > now)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
    session.add(
        ChatInvite(
            code_hash=_hash_code(code), coordinator_id=coordinator_id, grid_id=grid_id,
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


def redeem_invite(session: Session, code: str, *, chat_id: int, private: bool, title: str = "") -> Binding:
    """Bind the chat with a one-time code; the code is spent whatever happens next."""
    invite = session.execute(
        select(ChatInvite).where(col(ChatInvite.code_hash) == _hash_code(code)).with_for_update()
    ).scalar_one_or_none()
    now = utcnow()
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        raise ChatError("invalid, used or expired invite code")
    if invite.coordinator_id is not None:
        if not private:
            raise ChatError("a coordinator's code must be sent in a private chat with the bot")
        binding = _bind_coordinator(session, invite.coordinator_id, chat_id)
    else:
        if private:
            raise ChatError("a grid's code must be sent in the grid's group chat")
        binding = _bind_group(session, invite.grid_id, chat_id, title)
    invite.used_at, invite.used_by_chat = now, chat_id
    session.add(invite)
    session.flush()
    return binding


def _bind_coordinator(session: Session, coordinator_id: int, chat_id: int) -> Binding:
    other = session.execute(
        select(Coordinator).where(col(Coordinator.chat_id) == chat_id, col(Coordinator.id) != coordinator_id)
    ).scalar_one_or_none()
    if other is not None:
        raise ChatError("this chat is already bound to another coordinator; ask the operator")
    coordinator = session.get(Coordinator, coordinator_id)
    if coordinator is None or not coordinator.active:
        raise ChatError("the coordinator of this code is no longer active")
    coordinator.chat_id, coordinator.channel, coordinator.channel_broken = chat_id, "telegram", None
    session.add(coordinator)
    session.flush()
    return Binding(chat_id=chat_id, coordinator=coordinator)


def _bind_group(session: Session, grid_id: int, chat_id: int, title: str) -> Binding:
    group = session.execute(select(GroupChat).where(col(GroupChat.chat_id) == chat_id)).scalar_one_or_none()
    if group is None:
        group = GroupChat(chat_id=chat_id, grid_id=grid_id)
    group.grid_id, group.title, group.active, group.broken = grid_id, title[:200], True, None
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


def sent_parts(session: Session, notification_ids: Sequence[int]) -> dict[int, dict[int, tuple[int, int]]]:
    """For each outbox message, the parts already accepted by Telegram: part -> (chat, message id)."""
    parts: dict[int, dict[int, tuple[int, int]]] = {}
    for chunk in _chunks(list(notification_ids)):
        for nid, part, chat_id, message_id in session.execute(
            select(col(ChatMessage.notification_id), col(ChatMessage.part), col(ChatMessage.chat_id), col(ChatMessage.message_id))
            .where(col(ChatMessage.notification_id).in_(chunk))
        ):
            parts.setdefault(nid, {})[part] = (chat_id, message_id)
    return parts


def record_part(session: Session, *, notification_id: int, part: int, chat_id: int, message_id: int) -> None:
    _insert_ignoring_duplicates(
        session,
        table_of(ChatMessage),
        [{"notification_id": notification_id, "part": part, "chat_id": chat_id,
          "message_id": message_id, "sent_at": utcnow()}],
    )


def group_chats_by_id(session: Session, ids: Iterable[int]) -> dict[int, GroupChat]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {g.id: g for g in session.execute(select(GroupChat).where(col(GroupChat.id).in_(wanted))).scalars()}


def leader_of(session: Session, coordinator_id: int | None) -> Coordinator | None:
    """Whom to tell about a coordinator's trouble: the leader over their grids, else any active leader."""
    if coordinator_id is not None:
        via_grid = session.execute(
            select(col(GridOwner.leader_id))
            .join(CoordinatorGrid, col(CoordinatorGrid.grid_id) == col(GridOwner.grid_id))
            .where(col(CoordinatorGrid.coordinator_id) == coordinator_id, col(GridOwner.leader_id) != coordinator_id)
            .limit(1)
        ).scalar_one_or_none()
        if via_grid is not None:
            leader = session.get(Coordinator, via_grid)
            if leader is not None and leader.active:
                return leader
    query = select(Coordinator).where(col(Coordinator.role) == LEADER, col(Coordinator.active) == true())
    if coordinator_id is not None:
        query = query.where(col(Coordinator.id) != coordinator_id)
    return session.execute(query.order_by(col(Coordinator.id)).limit(1)).scalar_one_or_none()


def mark_unreachable(
    session: Session, notification: Notification, *, reason: str, day: dt.date, default_language: str = "zh"
) -> bool:
    """The chat behind a message is gone (bot blocked, chat not found): mark it broken and tell a leader.

    Returns True when this is news (the channel was fine until now); the leader hears once, not
    once per undeliverable message.
    """
    payload = json.loads(notification.payload) if notification.payload else {}
    group_id = payload.get("group_chat_id") if isinstance(payload, dict) else None
    if notification.recipient_id is None and group_id is not None:
        group = session.get(GroupChat, group_id)
        if group is None or group.broken:
            return False
        group.broken = reason[:500]
        session.add(group)
        grid = session.get(Grid, group.grid_id)
        leader = leader_of(session, None)
        if leader is not None:
            lang = leader.language if leader.language in GROUP_BROKEN_TEXT else default_language
            text = GROUP_BROKEN_TEXT.get(lang, GROUP_BROKEN_TEXT["zh"]).format(
                grid=grid_path(session, grid) if grid else "?", reason=reason
            )
            _alert(session, leader, key=f"group-broken:{group.id}:{day.isoformat()}", text=text)
        return True
    if notification.recipient_id is None:
        return False
    coordinator = session.get(Coordinator, notification.recipient_id)
    if coordinator is None or coordinator.channel_broken:
        return False
    coordinator.channel_broken = reason[:500]
    session.add(coordinator)
    leader = leader_of(session, coordinator.id)
    if leader is not None:
        lang = leader.language if leader.language in BROKEN_TEXT else default_language
        text = BROKEN_TEXT.get(lang, BROKEN_TEXT["zh"]).format(
            who=coordinator.name, channel=notification.channel, reason=reason, name=coordinator.name
        )
        _alert(session, leader, key=f"channel-broken:{coordinator.id}:{day.isoformat()}", text=text)
    session.flush()
    return True


def _alert(session: Session, leader: Coordinator, *, key: str, text: str) -> None:
    subject = text.split("】", 1)[0].lstrip("【") if text.startswith("【") else "Delivery failed"
    enqueue(session, dedupe_key=key, recipient_id=leader.id, channel=leader.channel, kind="alert",
            subject=subject, body=text)


def undelivered_report(session: Session) -> list[dict[str, Any]]:
    """Every message that did not reach its recipient, with the reason: for the operator."""
    names = dict(session.execute(select(col(Coordinator.id), col(Coordinator.name))).all())
    rows = []
    for n in undelivered(session):
        rows.append({
            "id": n.id, "key": n.dedupe_key, "recipient": names.get(n.recipient_id, "-") if n.recipient_id else "-",
            "channel": n.channel, "kind": n.kind, "status": n.status, "attempts": n.attempts,
            "reason": (n.last_error or "").splitlines()[0][:200] if n.last_error else "",
            "retry_after": n.not_before.isoformat() if n.status == FAILED and n.not_before else None,
        })
    return rows


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


def add_apprise_target(
    session: Session, *, kind: str, url: str, coordinator_id: int | None = None, grid_id: int | None = None,
    label: str = "",
) -> AppriseTarget:
    """Add a WeCom/DingTalk robot or e-mail target; for a coordinator it also becomes their channel."""
    if (coordinator_id is None) == (grid_id is None):
        raise ChatError("a target belongs to exactly one coordinator or one grid")
    target = AppriseTarget(kind=kind, url=url.strip(), coordinator_id=coordinator_id, grid_id=grid_id, label=label)
    session.add(target)
    if coordinator_id is not None:
        coordinator = session.get(Coordinator, coordinator_id)
        if coordinator is None:
            raise ChatError(f"no coordinator #{coordinator_id}")
        coordinator.channel, coordinator.channel_broken = kind, None
        session.add(coordinator)
    session.flush()
    return target


def apprise_urls(session: Session, *, coordinator_id: int | None, target_id: int | None, kind: str) -> list[str]:
    """The active URLs a message should go to: the coordinator's targets of this kind, or one grid target."""
    query = select(col(AppriseTarget.url)).where(col(AppriseTarget.active) == true(), col(AppriseTarget.kind) == kind)
    if target_id is not None:
        query = query.where(col(AppriseTarget.id) == target_id)
    elif coordinator_id is not None:
        query = query.where(col(AppriseTarget.coordinator_id) == coordinator_id)
    else:
        return []
    return list(session.execute(query.order_by(col(AppriseTarget.id))).scalars())


def list_targets(session: Session) -> list[dict[str, Any]]:
    """Every other-channel target. The URLs hold secrets: callers show them masked."""
    book = GridBook(session)
    names = dict(session.execute(select(col(Coordinator.id), col(Coordinator.name))).all())
    return [
        {
            "id": t.id, "kind": t.kind, "url": t.url, "label": t.label, "active": t.active,
            "coordinator": names.get(t.coordinator_id) if t.coordinator_id else None,
            "grid": book.path(book.by_id[t.grid_id]) if t.grid_id in book.by_id else None,
        }
        for t in session.execute(select(AppriseTarget).order_by(col(AppriseTarget.id))).scalars()
    ]

