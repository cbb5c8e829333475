"""Prefect flow `dispatch-outbox`: delivers queued messages, each exactly once, through its channel."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter, deque
from typing import Any

from prefect import flow, get_run_logger, task
from sqlalchemy import select
from sqlmodel import col

from flows.retrying import TASK_RETRIES
from flows.steps import steps_inline
from models.chat import GroupChat
from models.db import session_scope
from models.outbox import Notification
from models.people import Coordinator
from notifiers import NOTIFIERS, Delivery, Notifier, NotifyError, Outbound, Recipient
from yinhui import clock
from yinhui.services.delivery import group_chats_by_id, mark_unreachable
from yinhui.services.outbox import claim, mark_failed, mark_sent
from yinhui.settings import get_settings


def make_notifier(kind: str) -> Notifier:
    try:
        return NOTIFIERS[kind]()
    except KeyError:
        raise NotifyError(f"no channel of kind {kind!r} is installed", permanent=True) from None


def _outbound(
    row: Notification,
    coordinators: dict[int, Coordinator],
    groups: dict[int, GroupChat],
    default_language: str,
) -> Outbound:
    payload = json.loads(row.payload) if row.payload else {}
    group_id = payload.get("group_chat_id") if row.recipient_id is None and isinstance(payload, dict) else None
    group = groups.get(int(group_id)) if group_id is not None else None
    if group is not None:
        # A grid's group chat: the channel must keep personal data out (private=False).
        recipient = Recipient(None, name=f"group:{group.id}", chat_id=group.chat_id,
                              language=group.language or default_language, private=False)
        return Outbound(row.id, row.kind, recipient, row.subject, row.body, payload)  # type: ignore[arg-type]
    coordinator = coordinators.get(row.recipient_id) if row.recipient_id is not None else None
    recipient = Recipient(
        coordinator_id=row.recipient_id,
        name=coordinator.name if coordinator else "?",
        chat_id=coordinator.chat_id if coordinator else None,
        language=(coordinator.language if coordinator and coordinator.language else default_language),
        private=not (coordinator and coordinator.chat_id is not None and coordinator.chat_id < 0),
    )
    return Outbound(row.id, row.kind, recipient, row.subject, row.body, payload)  # type: ignore[arg-type]


def _record(token: str, row: Notification, result: Delivery | NotifyError, default_language: str) -> str:
    """Write one message's fate: sent only after success; a failure stays in the outbox with its reason."""
    with session_scope() as session:
        if isinstance(result, Delivery):
            mark_sent(session, row.id, token, external_id=result.external_id)  # type: ignore[arg-type]
            return "sent"
        retry = dt.timedelta(seconds=result.retry_after) if result.retry_after else None
        status = mark_failed(session, row.id, token, error=str(result), permanent=result.permanent, retry_in=retry)  # type: ignore[arg-type]
        if result.recipient_unreachable and mark_unreachable(
            session, row, reason=str(result), day=clock.today(), default_language=default_language
        ):
            return f"{status}+unreachable"
        return status


def deliver_batch(limit: int = 500, channels: list[str] | None = None) -> dict[str, int]:
    """Claim up to `limit` messages and send them, each channel its batch at once.

    The claim is committed before any send, so overlapping runs never take the same message;
    each message is marked sent (with the channel's message id) as soon as its channel confirms
    it, and never before. A channel that paces itself (Telegram) sends its batch concurrently.
    """
    with session_scope() as session:
        token, rows = claim(session, limit=limit, channels=channels)
        if not rows:
            # An overlapping dispatcher may have claimed the very rows this one picked, a moment
            # earlier; whatever it left is visible now.
            token, rows = claim(session, limit=limit, channels=channels)
        ids = [r.recipient_id for r in rows if r.recipient_id is not None]
        coordinators = {
            c.id: c for c in session.execute(select(Coordinator).where(col(Coordinator.id).in_(ids))).scalars()
        }
        group_ids = [
            int(p["group_chat_id"]) for p in (json.loads(r.payload) for r in rows if r.payload and r.recipient_id is None)
            if isinstance(p, dict) and p.get("group_chat_id") is not None
        ]
        groups = group_chats_by_id(session, group_ids)
    language = get_settings().language
    outcome: Counter[str] = Counter()
    by_id = {row.id: row for row in rows}
    by_channel: dict[str, list[Notification]] = {}
    for row in rows:
        by_channel.setdefault(row.channel, []).append(row)
    lock = threading.Lock()
    done: set[int] = set()

    def report(message: Outbound, result: Delivery | NotifyError) -> None:
        status = _record(token, by_id[message.notification_id], result, language)
        with lock:
            done.add(message.notification_id)
            status, _, news = status.partition("+")
            outcome[status] += 1
            if news:
                outcome["channels_broken"] += 1  # a leader's alert was queued: deliver it this run

    for channel, channel_rows in by_channel.items():
        messages = [_outbound(r, coordinators, groups, language) for r in channel_rows]
        failure: NotifyError | None = None
        try:
            make_notifier(channel).notify_many(messages, report)
        except NotifyError as exc:
            failure = exc
        except Exception as exc:  # a broken channel must not strand the rest of the batch
            failure = NotifyError(f"channel {channel} failed: {type(exc).__name__}", permanent=False)
        if failure is not None:
            for message in messages:
                if message.notification_id not in done:
                    report(message, failure)
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
    if steps_inline():  # inside one enclosing run (the demo's simulated day): one batch after another
        for _ in range(max_batches):
            result = deliver_batch(limit, channels)
            totals.update(result)
            if result.get("claimed", 0) < limit and not result.get("channels_broken"):
                break
        return dict(totals)
    # Two batches overlap: while one waits for its last retries, the next is already claimed and
    # queued behind it, so a paced channel (Telegram) never idles between batches. Each claim is
    # atomic, so the two never hold the same message.
    running = deque(deliver_batch_task.submit(limit, channels) for _ in range(min(2, max_batches)))
    submitted = len(running)
    while running:
        result = running.popleft().result()
        totals.update(result)
        # A full batch may have left more; a broken channel queued its leader's alert.
        more = result.get("claimed", 0) >= limit or result.get("channels_broken")
        if more and submitted < max_batches:
            running.append(deliver_batch_task.submit(limit, channels))
            submitted += 1
    get_run_logger().info(
        "outbox: %d sent, %d failed, %d given up", totals["sent"], totals["failed"], totals["dead"]
    )
    if totals["failed"] or totals["dead"]:
        _undelivered_artifact()
    return dict(totals)


def _undelivered_artifact() -> None:
    """What did not reach its recipient, with the reason, for the Prefect UI (no message text)."""
    from prefect.artifacts import create_table_artifact

    from yinhui.services.delivery import undelivered_report

    with session_scope() as session:
        rows = undelivered_report(session)
    create_table_artifact(
        key="undelivered-messages",
        table=[{k: r[k] for k in ("id", "recipient", "channel", "kind", "status", "attempts", "reason")} for r in rows[:500]],
        description=f"未送达消息 — {len(rows)} message(s) not delivered; `yinhui chat undelivered` lists them",
    )
