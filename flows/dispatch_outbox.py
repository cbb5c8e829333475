"""Prefect flow `dispatch-outbox`: delivers queued messages, each exactly once, through its channel."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

from prefect import flow, get_run_logger, task
from sqlalchemy import select

from flows.retrying import TASK_RETRIES
from models.db import session_scope
from models.outbox import Notification, claim, mark_failed, mark_sent
from models.people import Coordinator
from notifiers import NOTIFIERS, Notifier, NotifyError, Outbound, Recipient
from yinhui.settings import get_settings


def make_notifier(kind: str) -> Notifier:
    try:
        return NOTIFIERS[kind]()
    except KeyError:
        raise NotifyError(f"no channel of kind {kind!r} is installed", permanent=True) from None


def _outbound(row: Notification, coordinators: dict[int, Coordinator], default_language: str) -> Outbound:
    coordinator = coordinators.get(row.recipient_id) if row.recipient_id is not None else None
    recipient = Recipient(
        coordinator_id=row.recipient_id,
        name=coordinator.name if coordinator else "?",
        chat_id=coordinator.chat_id if coordinator else None,
        language=(coordinator.language if coordinator and coordinator.language else default_language),
    )
    payload = json.loads(row.payload) if row.payload else {}
    return Outbound(row.id, row.kind, recipient, row.subject, row.body, payload)  # type: ignore[arg-type]


def deliver_batch(limit: int = 500, channels: list[str] | None = None) -> dict[str, int]:
    """Claim up to `limit` messages and send each; the claim is committed before any send."""
    with session_scope() as session:
        token, rows = claim(session, limit=limit, channels=channels)
        ids = [r.recipient_id for r in rows if r.recipient_id is not None]
        coordinators = {
            c.id: c for c in session.execute(select(Coordinator).where(Coordinator.id.in_(ids))).scalars()
        }
    language = get_settings().language
    outcome: Counter[str] = Counter()
    notifiers: dict[str, Notifier] = {}
    for row in rows:
        message = _outbound(row, coordinators, language)
        try:
            notifier = notifiers.get(row.channel) or notifiers.setdefault(row.channel, make_notifier(row.channel))
            delivery = notifier.notify(message)
        except NotifyError as exc:
            retry = dt.timedelta(seconds=exc.retry_after) if exc.retry_after else None
            with session_scope() as session:
                status = mark_failed(session, row.id, token, error=str(exc), permanent=exc.permanent, retry_in=retry)  # type: ignore[arg-type]
            outcome[status] += 1
            continue
        with session_scope() as session:
            mark_sent(session, row.id, token, external_id=delivery.external_id)  # type: ignore[arg-type]
        outcome["sent"] += 1
    outcome["claimed"] = len(rows)
    return dict(outcome)


@task(name="deliver-batch · 发送消息", **TASK_RETRIES)
def deliver_batch_task(limit: int, channels: list[str] | None) -> dict[str, int]:
    return deliver_batch(limit, channels)


@flow(
    name="dispatch-outbox",
    description="发送待发消息 — deliver the outbox; overlapping runs never send a message twice.",
)
def dispatch_outbox(limit: int = 500, channels: list[str] | None = None, max_batches: int = 20) -> dict[str, Any]:
    totals: Counter[str] = Counter()
    for _ in range(max_batches):
        result = deliver_batch_task(limit, channels)
        totals.update(result)
        if result.get("claimed", 0) < limit:
            break
    get_run_logger().info(
        "outbox: %d sent, %d failed, %d given up", totals["sent"], totals["failed"], totals["dead"]
    )
    return dict(totals)
