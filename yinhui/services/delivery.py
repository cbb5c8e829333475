"""What dispatch reads before sending and records after: parts sent, broken channels and their alerts, Apprise targets."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    select,
    true,
)
from sqlmodel import Session, col

from models.chat import (
    AUDIENCES,
    GRID_AUDIENCE,
    AppriseTarget,
    ChatMessage,
    GroupChat,
)
from models.grids import Grid, GridOwner
from models.outbox import FAILED, Notification
from models.people import LEADER, Coordinator, CoordinatorGrid
from models.types import table_of, utcnow
from yinhui.i18n import N_
from yinhui.messages.content import Message, as_text
from yinhui.messages.notices import render_channel_broken, render_group_broken
from yinhui.messages.texts import language_of
from yinhui.services.chat import (
    _chunks,
    _insert_ignoring_duplicates,
    grid_path,
    issue_callback_tokens,
)
from yinhui.services.errors import ChatError
from yinhui.services.grids import GridBook
from yinhui.services.outbox import enqueue, undelivered


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


def coordinators_by_id(session: Session, ids: Iterable[int]) -> dict[int, Coordinator]:
    wanted = sorted(set(ids))
    found: dict[int, Coordinator] = {}
    for chunk in _chunks(wanted):
        found.update((c.id, c) for c in session.execute(select(Coordinator).where(col(Coordinator.id).in_(chunk))).scalars()
                     if c.id is not None)
    return found


@dataclass(frozen=True)
class SendingContext:
    """What the channels need besides the messages, read before any is sent."""

    tokens: dict[tuple[int, int], str]  # (task id, coordinator id) → callback token of its buttons
    parts: dict[int, dict[int, int]]  # notification id → part → message id already accepted
    urls: dict[int, list[str]]  # notification id → its Apprise URLs


def sending_context(
    session: Session,
    *,
    buttons: Iterable[tuple[int, int]],
    resumable: Sequence[int],
    targets: Mapping[int, tuple[str, int | None, int | None]],
) -> SendingContext:
    """Button tokens for (task, coordinator) pairs (issued on first use), parts of `resumable` messages
    already sent, and the URLs of each Apprise message (`targets`: id → kind, coordinator, target)."""
    pairs = list(buttons)
    tokens = issue_callback_tokens(session, pairs) if pairs else {}
    parts = {nid: {part: message_id for part, (_, message_id) in sent.items()}
             for nid, sent in sent_parts(session, resumable).items()}
    urls = {nid: apprise_urls(session, coordinator_id=coordinator_id, target_id=target_id, kind=kind)
            for nid, (kind, coordinator_id, target_id) in targets.items()}
    return SendingContext(tokens, parts, urls)


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
            data = {"render": "group_broken", "grid": grid_path(session, grid) if grid else "?", "reason": reason,
                    "language": language_of(leader.language, default_language)}
            message = render_group_broken(grid=data["grid"], reason=reason, language=data["language"])
            _alert(session, leader, key=f"group-broken:{group.id}:{day.isoformat()}", message=message, payload=data)
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
        data = {"render": "channel_broken", "who": coordinator.name, "channel": notification.channel,
                "reason": reason, "language": language_of(leader.language, default_language)}
        message = render_channel_broken(who=coordinator.name, channel=notification.channel, reason=reason,
                                        language=data["language"])
        _alert(session, leader, key=f"channel-broken:{coordinator.id}:{day.isoformat()}", message=message, payload=data)
    session.flush()
    return True


def _alert(session: Session, leader: Coordinator, *, key: str, message: Message, payload: dict[str, Any]) -> None:
    subject, body = as_text(message)
    enqueue(session, dedupe_key=key, recipient_id=leader.id, channel=leader.channel, kind="alert",
            subject=subject, body=body, payload=payload)


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


def add_apprise_target(
    session: Session, *, kind: str, url: str, coordinator_id: int | None = None, grid_id: int | None = None,
    label: str = "", audience: str = GRID_AUDIENCE,
) -> AppriseTarget:
    """Add a WeCom/DingTalk robot or e-mail target; for a coordinator it also becomes their channel.

    A grid's target speaks to its group (``audience`` 'grid') or its relatives' group ('relatives', 亲人群).
    """
    if (coordinator_id is None) == (grid_id is None):
        raise ChatError(N_("a target belongs to exactly one coordinator or one grid"))
    if audience not in AUDIENCES or (audience != GRID_AUDIENCE and grid_id is None):
        raise ChatError(N_("a relatives' group is bound for a grid (--relatives with a grid)"))
    target = AppriseTarget(kind=kind, url=url.strip(), coordinator_id=coordinator_id, grid_id=grid_id, label=label,
                           audience=audience)
    session.add(target)
    if coordinator_id is not None:
        coordinator = session.get(Coordinator, coordinator_id)
        if coordinator is None:
            raise ChatError(N_("no coordinator #{coordinator_id}"), coordinator_id=coordinator_id)
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
            "id": t.id, "kind": t.kind, "url": t.url, "label": t.label, "active": t.active, "audience": t.audience,
            "coordinator": names.get(t.coordinator_id) if t.coordinator_id else None,
            "grid": book.path(book.by_id[t.grid_id]) if t.grid_id in book.by_id else None,
        }
        for t in session.execute(select(AppriseTarget).order_by(col(AppriseTarget.id))).scalars()
    ]

