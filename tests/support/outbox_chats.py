"""Messages queued for coordinators' Telegram chats, for the outbox's crash and starvation tests."""

from __future__ import annotations

from sqlalchemy import select

from models.db import session_scope
from models.outbox import Notification
from tests import factories
from yinhui.services.outbox import enqueue


def queue_chat(c: int, lines: tuple[int, ...], prefix: str = "crash") -> list[int]:
    """Messages to the chat of coordinator c (chat 5000 + c), one per entry, of that many lines; their ids."""
    with session_scope() as s:
        person = factories.coordinator(s, f"协调员{c}", "staff")
        person.chat_id, person.channel = 5000 + c, "telegram"
        s.add(person)
        s.flush()
        for i, count in enumerate(lines):
            body = "\n".join(f"第{c}-{i}-{n}行：请按时走访并记录结果。" for n in range(count))
            enqueue(s, dedupe_key=f"{prefix}:{c}:{i}", recipient_id=person.id, channel="telegram", kind="alert",
                    subject=f"提醒 {c}-{i}", body=body)
        return list(s.execute(select(Notification.id).where(Notification.recipient_id == person.id)
                              .order_by(Notification.id)).scalars())
