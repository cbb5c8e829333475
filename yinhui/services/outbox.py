"""The notification outbox: every message is a row before it is sent, and stays one if it cannot be."""


from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlmodel import Session, col

from models.outbox import (
    DEAD,
    FAILED,
    MAX_ATTEMPTS,
    PENDING,
    SENDING,
    SENT,
    STALE_CLAIM,
    Notification,
)
from models.types import utcnow


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    recipient_id: int | None,
    channel: str,
    kind: str,
    body: str,
    subject: str = "",
    payload: dict[str, Any] | None = None,
) -> bool:
    """Put a message in the outbox unless one with the same key is there; True if added."""
    exists_already = session.execute(
        select(col(Notification.id)).where(col(Notification.dedupe_key) == dedupe_key)
    ).first()
    if exists_already:
        return False
    session.add(
        Notification(
            dedupe_key=dedupe_key,
            recipient_id=recipient_id,
            channel=channel,
            kind=kind,
            subject=subject,
            body=body,
            payload=json.dumps(payload, ensure_ascii=False, default=str) if payload is not None else None,
        )
    )
    session.flush()
    return True


def existing_keys(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            session.execute(select(col(Notification.dedupe_key)).where(col(Notification.dedupe_key).in_(chunk))).scalars()
        )
    return found


def claim(session: Session, *, limit: int, channels: list[str] | None = None) -> tuple[str, list[Notification]]:
    """Atomically take up to `limit` deliverable messages for this dispatcher.

    One UPDATE stamps a fresh token on rows that are still pending (or failed and due for
    another try, or stuck in `sending` by a dispatcher that died); whatever carries our token
    afterwards is ours. A second dispatcher running at the same moment re-checks the status
    on each row and gets none of them, so no message is sent twice by overlapping runs.
    """
    now = utcnow()
    token = uuid.uuid4().hex
    deliverable = or_(
        col(Notification.status) == PENDING,
        and_(col(Notification.status) == FAILED, or_(col(Notification.not_before).is_(None), col(Notification.not_before) <= now)),
        and_(col(Notification.status) == SENDING, col(Notification.claimed_at) < now - STALE_CLAIM),
    )
    candidates = select(col(Notification.id)).where(deliverable)
    if channels:
        candidates = candidates.where(col(Notification.channel).in_(channels))
    candidates = candidates.order_by(col(Notification.id)).limit(limit)
    ids = list(session.execute(candidates).scalars())
    if not ids:
        return token, []
    session.execute(
        update(Notification)
        .where(col(Notification.id).in_(ids), deliverable)
        .values(status=SENDING, claim_token=token, claimed_at=now, attempts=col(Notification.attempts) + 1)
        .execution_options(synchronize_session=False)
    )
    # The caller commits before sending anything, so the claim is visible to everyone else.
    claimed = list(
        session.execute(select(Notification).where(col(Notification.claim_token) == token).order_by(col(Notification.id))).scalars()
    )
    return token, claimed


def mark_sent(session: Session, notification_id: int, token: str, *, external_id: str | None) -> bool:
    result = session.exec(
        update(Notification)
        .where(col(Notification.id) == notification_id, col(Notification.claim_token) == token, col(Notification.status) == SENDING)
        .values(status=SENT, sent_at=utcnow(), external_id=external_id, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return (result.rowcount or 0) == 1


def mark_failed(
    session: Session,
    notification_id: int,
    token: str,
    *,
    error: str,
    permanent: bool,
    retry_in: dt.timedelta | None = None,
) -> str:
    """Record a failed attempt; the message stays in the outbox (dead after too many or a permanent error)."""
    row = session.execute(
        select(col(Notification.attempts)).where(col(Notification.id) == notification_id, col(Notification.claim_token) == token)
    ).first()
    if row is None:
        return "lost-claim"
    attempts = row[0]
    status = DEAD if permanent or attempts >= MAX_ATTEMPTS else FAILED
    delay = retry_in or dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))
    session.execute(
        update(Notification)
        .where(col(Notification.id) == notification_id, col(Notification.claim_token) == token)
        .values(status=status, last_error=error[:2000], not_before=utcnow() + delay)
        .execution_options(synchronize_session=False)
    )
    return status


def undelivered(session: Session) -> list[Notification]:
    """Messages that did not reach their recipient (failed or dead), for the operator's report."""
    return list(
        session.execute(
            select(Notification).where(col(Notification.status).in_((FAILED, DEAD))).order_by(col(Notification.id))
        ).scalars()
    )

