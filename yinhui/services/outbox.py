"""The notification outbox: every message is a row before it is sent, and stays one if it cannot be.

A dispatcher *claims* messages before sending them. The claim token says who holds them
(`Holder`: a random part, the machine, the process id, the lease) and `claimed_at` is when the
holder last renewed its lease: a dispatcher renews every third of the lease while it sends, and
each part it records renews that message too. A claim is taken over by the next dispatcher when
its lease lapsed, or at once when its process is gone from this very machine (killed, crashed).
Parts already sent are on record (`chat_message`), so a message taken over resumes after them.
"""


from __future__ import annotations

import datetime as dt
import json
import math
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlmodel import Session, col

from models.chat import ChatMessage
from models.outbox import DEAD, FAILED, MAX_ATTEMPTS, PENDING, SENDING, SENT, Notification
from models.people import Coordinator
from models.types import utcnow
from yinhui.processes import process_alive, this_machine

LEASE = dt.timedelta(seconds=60)  # the playbook's [outbox] claim_lease_seconds, by default
# A claim whose token names no lease comes from a dispatcher before leases (it never renews):
# it keeps the old fixed time, so a mixed fleet during an upgrade never sends a message twice.
UNRENEWED_CLAIM = dt.timedelta(minutes=15)


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


# -- who holds a claim, and whether it is still alive --------------------------------------------


@dataclass(frozen=True)
class Holder:
    """Who holds a claim, as its token spells it: `<random>.<machine>.<pid>.<lease seconds>` (≤ 40 characters)."""

    nonce: str
    machine: str
    pid: int
    lease: dt.timedelta

    @classmethod
    def new(cls, lease: dt.timedelta = LEASE) -> Holder:
        return cls(secrets.token_hex(8), this_machine(), os.getpid(), lease)

    @property
    def token(self) -> str:
        return f"{self.nonce}.{self.machine}.{self.pid}.{math.ceil(self.lease.total_seconds())}"

    @classmethod
    def parse(cls, token: str | None) -> Holder | None:
        """The holder a token names; None for a token of a dispatcher from before leases."""
        fields = (token or "").split(".")
        if len(fields) != 4 or not all(f.isalnum() for f in fields) or not fields[2].isdigit() or not fields[3].isdigit():
            return None
        return cls(fields[0], fields[1], int(fields[2]), dt.timedelta(seconds=int(fields[3])))

    @property
    def here(self) -> bool:
        return self.machine == this_machine()

    def gone(self) -> bool:
        """True only when certain: a process of this machine that no longer runs (or is a zombie)."""
        return self.here and not process_alive(self.pid)


def _lease_of(holder: Holder | None) -> dt.timedelta:
    return holder.lease if holder is not None else UNRENEWED_CLAIM


def _held_claims(session: Session, channels: Sequence[str] | None = None) -> list[tuple[str | None, dt.datetime | None]]:
    """Each claim of messages still `sending`: its token and its oldest lease renewal."""
    query = (
        select(col(Notification.claim_token), func.min(col(Notification.claimed_at)))
        .where(col(Notification.status) == SENDING)
        .group_by(col(Notification.claim_token))
    )
    if channels:
        query = query.where(col(Notification.channel).in_(channels))
    return [(token, renewed) for token, renewed in session.execute(query).all()]


def _older(moment: dt.datetime) -> ColumnElement[bool]:
    return or_(col(Notification.claimed_at).is_(None), col(Notification.claimed_at) < moment)


def _takeover(session: Session, now: dt.datetime, channels: Sequence[str] | None) -> ColumnElement[bool] | None:
    """Which `sending` messages the next claim may take: those of a gone process, those whose lease lapsed.

    Tested again by the UPDATE that takes them, row by row: a holder that renewed in between keeps its messages.
    """
    gone: list[str] = []
    lapsed: dict[dt.timedelta, list[str]] = {}
    terms: list[ColumnElement[bool]] = []
    for token, renewed in _held_claims(session, channels):
        holder = Holder.parse(token)
        if token is None:  # no dispatcher ever leaves one; should it happen, the old fixed time frees it
            terms.append(and_(col(Notification.claim_token).is_(None), _older(now - UNRENEWED_CLAIM)))
        elif holder is not None and holder.gone():
            gone.append(token)
        elif renewed is None or renewed < now - _lease_of(holder):
            lapsed.setdefault(_lease_of(holder), []).append(token)
    if gone:
        terms.append(col(Notification.claim_token).in_(gone))
    for lease, tokens in lapsed.items():
        terms.append(and_(col(Notification.claim_token).in_(tokens), _older(now - lease)))
    if not terms:
        return None
    return and_(col(Notification.status) == SENDING, or_(*terms))


def claim(
    session: Session, *, limit: int, channels: list[str] | None = None, lease: dt.timedelta = LEASE
) -> tuple[str, list[Notification]]:
    """Atomically take up to `limit` deliverable messages for this dispatcher.

    One UPDATE stamps a fresh token (naming this process and its `lease`) on rows that are still
    pending, failed and due for another try, or held by a dispatcher that is gone (`_takeover`);
    whatever carries our token afterwards is ours. A second dispatcher running at the same moment
    re-checks the status on each row and gets none of them, so no message is sent twice by
    overlapping runs. The holder must renew the lease (`renew_claim`) while it sends.
    """
    now = utcnow()
    token = Holder.new(lease).token
    deliverable: ColumnElement[bool] = or_(
        col(Notification.status) == PENDING,
        and_(col(Notification.status) == FAILED, or_(col(Notification.not_before).is_(None), col(Notification.not_before) <= now)),
    )
    takeover = _takeover(session, now, channels)
    if takeover is not None:
        deliverable = or_(deliverable, takeover)
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


def renew_claim(session: Session, token: str, *, notification_id: int | None = None) -> int:
    """Renew the lease on the messages `token` still holds (or on one of them); how many it holds.

    0 for one message means the claim was lost (taken over after the lease lapsed): stop sending it.
    """
    query = update(Notification).where(col(Notification.claim_token) == token, col(Notification.status) == SENDING)
    if notification_id is not None:
        query = query.where(col(Notification.id) == notification_id)
    result = session.execute(query.values(claimed_at=utcnow()).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


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
        select(col(Notification.attempts)).where(
            col(Notification.id) == notification_id, col(Notification.claim_token) == token,
            col(Notification.status) == SENDING,
        )
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


def claims_in_flight(session: Session) -> list[dict[str, Any]]:
    """Messages a dispatcher holds right now (`sending`), for the operator (`yinhui chat undelivered`).

    One row per message: `status` is "sending" while its holder keeps the lease, "stale" when the
    next dispatcher will take it over at once (its process is gone, or its lease lapsed); `holder`
    names the process, `renewed_at` the last renewal, `parts_sent` the parts already on record.
    """
    now = utcnow()
    rows = list(
        session.execute(
            select(Notification).where(col(Notification.status) == SENDING).order_by(col(Notification.id))
        ).scalars()
    )
    if not rows:
        return []
    names = dict(session.execute(select(col(Coordinator.id), col(Coordinator.name))).all())
    parts = dict(
        session.execute(
            select(col(ChatMessage.notification_id), func.count())
            .where(col(ChatMessage.notification_id).in_([n.id for n in rows]))
            .group_by(col(ChatMessage.notification_id))
        ).all()
    )
    report = []
    for n in rows:
        holder = Holder.parse(n.claim_token)
        lease = _lease_of(holder)
        age = (now - n.claimed_at) if n.claimed_at is not None else None
        where = "this machine" if holder is not None and holder.here else f"machine {holder.machine}" if holder else "?"
        if holder is not None and holder.gone():
            status, reason = "stale", f"dispatcher pid {holder.pid} on this machine is gone: the next dispatch takes it over"
        elif age is None or age > lease:
            status, reason = "stale", f"lease of {int(lease.total_seconds())} s lapsed: the next dispatch takes it over"
        else:
            status, reason = "sending", f"lease renewed {int(age.total_seconds())} s ago"
        report.append({
            "id": n.id, "key": n.dedupe_key, "recipient": names.get(n.recipient_id, "-") if n.recipient_id else "-",
            "channel": n.channel, "kind": n.kind, "status": status, "attempts": n.attempts,
            "holder": f"pid {holder.pid} on {where}" if holder is not None else "a dispatcher without a lease",
            "renewed_at": n.claimed_at.isoformat() if n.claimed_at is not None else None,
            "parts_sent": int(parts.get(n.id, 0)), "reason": reason,
        })
    return report


# -- retention -------------------------------------------------------------------------------------


def purge_delivered(session: Session, *, older_than: dt.timedelta) -> int:
    """Blank the text and payload of messages sent (or given up) more than `older_than` ago; how many.

    What stays is who, when, channel, kind, status, attempts, the reason and the dedupe key, so a
    day re-run still queues nothing twice and the operator's counts still hold. Set-based and
    idempotent: a message already blank is not touched again.
    """
    cutoff = utcnow() - older_than
    # Sent: when it went. Given up: the last attempt's last lease renewal (else when it was queued).
    finished = func.coalesce(col(Notification.sent_at), col(Notification.claimed_at), col(Notification.created_at))
    result = session.execute(
        update(Notification)
        .where(
            col(Notification.status).in_((SENT, DEAD)),
            finished < cutoff,
            or_(col(Notification.payload).is_not(None), col(Notification.body) != "", col(Notification.subject) != ""),
        )
        .values(payload=None, body="", subject="")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
