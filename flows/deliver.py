"""The sending loop under `dispatch-outbox`: claim a batch, let each channel send it, record what it reports.

The loop reads what each channel needs (recipients, the message drawn by its renderer, button
tokens, parts already sent, Apprise URLs), hands the batch to the channel, and records what the
channel reports as it goes: a part accepted, a message sent, a retry, a chat that moved, a refusal
(which marks the channel broken and tells the leader once). Channels never touch the database.

While a batch is out, its claim's lease is renewed (`ClaimLease`), and each part on record renews
its message's; a dispatcher killed mid-batch leaves its messages to the next one, which takes them
over at once on the same machine (the process is gone) or when the lease lapses (from elsewhere),
and resumes each after its last part on record. A dispatcher that lived on but got no CPU for longer
than the lease (stopped, a frozen VM) may have been taken over meanwhile: before each part goes,
the channel asks (`AboutToSend`), and a claim not renewed for half the lease is renewed for that
message first, or the part is refused (`ClaimLost`). Below the flows that send (the dispatch flow,
a failure alert), so that neither imports the other.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextvars import copy_context
from types import TracebackType
from typing import Any

from models.chat import GroupChat
from models.db import session_scope
from models.outbox import Notification
from models.people import Coordinator
from models.types import id_of
from notifiers import NOTIFIERS, Notifier, NotifyError, Outbound, PartSent, Recipient, Result
from notifiers.base import REFUSED, SENT, AboutToSend
from yinhui import clock
from yinhui.messages.stored import message_for
from yinhui.playbook_loader import current_playbook
from yinhui.rules.playbook import Playbook
from yinhui.services.chat import move_chat
from yinhui.services.delivery import (
    coordinators_by_id,
    group_chats_by_id,
    mark_unreachable,
    record_part,
    sending_context,
)
from yinhui.services.outbox import claim, mark_failed, mark_sent, renew_claim
from yinhui.settings import get_settings

log = logging.getLogger(__name__)


class ClaimLost(RuntimeError):
    """Another dispatcher took this message over (our lease lapsed): send no more of it."""


class ClaimLease:
    """Renews a claim's lease every third of it while its batch is sent (a thread of its own).

    It runs in the caller's context, so a test's moved clock moves the renewals too. A renewal that
    fails (the database away for a moment) is tried again next time; a holder cut off for longer
    than the lease may lose its messages to another dispatcher, which is what the lease is for.
    A batch that reports nothing for `STALLED` (a channel hung, not just slow: Telegram reports
    every part and gives up a batch after ten minutes) is no longer renewed, so its messages go to
    the next dispatcher instead of staying with a live but stuck process.

    It also knows, by the `monotonic` clock, when each message was last known to be ours: when a
    renewal held every message still out (`held`, less those `release`d), or when that message's
    own claim was renewed. `ensure` asks the database only when that is over half the lease ago.
    """

    STALLED = 600.0  # seconds without a single report from the channel
    monotonic: Callable[[], float] = staticmethod(time.monotonic)  # a test moves it (a staticmethod too)

    def __init__(self, token: str, lease: dt.timedelta, *, held: int = 0, since: float | None = None) -> None:
        self.token = token
        self.lease = lease.total_seconds()
        self.every = max(self.lease / 3, 0.05)
        self._last_report = self.monotonic()
        self._held = held  # messages claimed
        self._released: set[int] = set()  # ... and of these, those whose fate is on record
        self._renewed = self._last_report if since is None else since  # every message out was ours then
        self._ours: dict[int, float] = {}  # a message's own claim renewed then
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=copy_context().run, args=(self._run,), name="outbox-lease", daemon=True)

    def __enter__(self) -> ClaimLease:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def touch(self) -> None:
        """The channel reported something: the batch is moving."""
        self._last_report = self.monotonic()

    def release(self, notification_id: int) -> None:
        """A message's fate is on record: the claim no longer holds it."""
        with self._lock:
            self._released.add(notification_id)

    def renewed(self, notification_id: int, at: float) -> None:
        """That message's own claim was renewed (its part on record), as of `at` on the clock."""
        with self._lock:
            self._ours[notification_id] = max(at, self._ours.get(notification_id, at))

    def ensure(self, notification_id: int) -> None:
        """Before a part goes: return if the message is still ours, raise `ClaimLost` if not.

        Free while the lease is fresh; past half of it without a renewal (this process got no CPU,
        or the database was away), the message's claim is renewed first, one round trip.
        """
        now = self.monotonic()
        with self._lock:
            known = max(self._renewed, self._ours.get(notification_id, self._renewed))
        if now - known <= self.lease / 2:
            return
        with session_scope() as session:
            held = renew_claim(session, self.token, notification_id=notification_id) == 1
        if not held:
            raise ClaimLost(f"message {notification_id} was taken over by another dispatcher")
        self.renewed(notification_id, now)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            if self.monotonic() - self._last_report > self.STALLED:
                log.warning("outbox batch stalled: its claim is left to lapse")
                return
            with self._lock:
                out = self._held - len(self._released)
            started = self.monotonic()
            try:
                with session_scope() as session:
                    held = renew_claim(session, self.token)
            except Exception as exc:  # the next renewal tries again; the lease has room for two misses
                log.warning("outbox claim not renewed: %s", type(exc).__name__)
                continue
            if held == out:  # every message out is still ours (a message recorded meanwhile spoils the count: no harm)
                with self._lock:
                    self._renewed = max(self._renewed, started)


def make_notifier(kind: str) -> Notifier:
    try:
        return NOTIFIERS[kind]()
    except KeyError:
        raise NotifyError(f"no channel of kind {kind!r} is installed", permanent=True) from None


def _payload(row: Notification) -> dict[str, Any]:
    payload = json.loads(row.payload) if row.payload else {}
    return payload if isinstance(payload, dict) else {}


def _target_id(payload: dict[str, Any]) -> int | None:
    value = payload.get("apprise_target_id")
    return int(value) if value is not None else None


def _recipient(row: Notification, payload: dict[str, Any], coordinators: dict[int, Coordinator],
               groups: dict[int, GroupChat], default_language: str) -> Recipient:
    group_id = payload.get("group_chat_id") if row.recipient_id is None else None
    group = groups.get(int(group_id)) if group_id is not None else None
    if group is not None:
        # A grid's group chat: the channel must keep personal data out (private=False).
        return Recipient(None, name=f"group:{group.id}", chat_id=group.chat_id,
                         language=group.language or default_language, private=False)
    coordinator = coordinators.get(row.recipient_id) if row.recipient_id is not None else None
    return Recipient(
        coordinator_id=row.recipient_id,
        name=coordinator.name if coordinator else "?",
        chat_id=coordinator.chat_id if coordinator else None,
        language=(coordinator.language if coordinator and coordinator.language else default_language),
        private=not (coordinator and coordinator.chat_id is not None and coordinator.chat_id < 0),
    )


def _outbound(rows: list[Notification], coordinators: dict[int, Coordinator], groups: dict[int, GroupChat],
              default_language: str, playbook: Playbook) -> list[Outbound]:
    """Each row as its channel will get it: the recipient, the message drawn by its renderer, what the
    channel needs besides (read here, in one transaction: tokens, parts already sent, Apprise URLs)."""
    drafts = []
    for row in rows:
        payload = _payload(row)
        recipient = _recipient(row, payload, coordinators, groups, default_language)
        message = message_for(kind=row.kind, payload=payload, subject=row.subject, body=row.body,
                              language=recipient.language, playbook=playbook)
        drafts.append((id_of(row), row, payload, recipient, message))
    buttons = {  # answer buttons go only to a coordinator's own private chat on Telegram
        nid: [(task_id, recipient.coordinator_id) for task_id in message.task_ids]
        for nid, row, _, recipient, message in drafts
        if row.channel == "telegram" and row.kind == "digest" and recipient.coordinator_id is not None
        and recipient.chat_id is not None and recipient.chat_id > 0 and recipient.private
    }
    targets = {  # WeCom, DingTalk, e-mail: the coordinator's targets, or the one grid target named
        nid: (row.channel, recipient.coordinator_id, _target_id(payload))
        for nid, row, payload, recipient, _ in drafts if row.channel not in ("telegram", "console")
    }
    with session_scope() as session:
        context = sending_context(
            session, buttons=[pair for pairs in buttons.values() for pair in pairs],
            resumable=[nid for nid, row, *_ in drafts if row.channel == "telegram"], targets=targets,
        )
    return [
        Outbound(
            nid, row.kind, recipient, message,
            buttons={task_id: context.tokens[(task_id, coordinator)] for task_id, coordinator in buttons.get(nid, [])},
            sent_parts=context.parts.get(nid, {}),
            targets=tuple(context.urls.get(nid, ())),
        )
        for nid, row, _, recipient, message in drafts
    ]


def _record(token: str, row: Notification, result: Result, old_chat: int | None, default_language: str) -> str:
    """Write one message's fate: sent only after success; a failure stays in the outbox with its reason."""
    with session_scope() as session:
        if result.moved_to is not None and old_chat is not None and result.moved_to != old_chat:
            move_chat(session, old_chat, result.moved_to)  # a group became a supergroup: follow it
        if result.outcome == SENT:
            return "sent" if mark_sent(session, id_of(row), token, external_id=result.external_id) else "lost-claim"
        retry = dt.timedelta(seconds=result.retry_after) if result.retry_after else None
        status = mark_failed(session, id_of(row), token, error=result.reason, permanent=result.outcome == REFUSED,
                             retry_in=retry)
        if result.unreachable and mark_unreachable(
            session, row, reason=result.reason, day=clock.today(), default_language=default_language
        ):
            return f"{status}+unreachable"
        return status


def _record_part(token: str, part: PartSent) -> None:
    """A part on record (whoever holds the message now: it was sent), and its message's lease renewed."""
    with session_scope() as session:
        record_part(session, notification_id=part.notification_id, part=part.part, chat_id=part.chat_id,
                    message_id=part.message_id)
        held = renew_claim(session, token, notification_id=part.notification_id) == 1
    if not held:
        # Raised into the channel, which stops this chat's sending for the batch.
        raise ClaimLost(f"message {part.notification_id} was taken over by another dispatcher")


def deliver_batch(limit: int = 500, channels: list[str] | None = None) -> dict[str, int]:
    """Claim up to `limit` messages and send them, each channel its batch at once.

    The claim is committed before any send, so overlapping runs never take the same message;
    each message is marked sent (with the channel's message id) as soon as its channel reports
    it, and never before. A channel that paces itself (Telegram) sends its batch concurrently.
    The claim's lease is renewed until every message has its result.
    """
    playbook = current_playbook()
    lease = dt.timedelta(seconds=playbook.outbox.claim_lease_seconds)
    claimed_at = ClaimLease.monotonic()  # the claim's lease is fresh from here
    with session_scope() as session:
        token, rows = claim(session, limit=limit, channels=channels, lease=lease)
        if not rows:
            # An overlapping dispatcher may have claimed the very rows this one picked, a moment
            # earlier; whatever it left is visible now.
            token, rows = claim(session, limit=limit, channels=channels, lease=lease)
        coordinators = coordinators_by_id(session, [r.recipient_id for r in rows if r.recipient_id is not None])
        group_ids = [int(p["group_chat_id"]) for p in map(_payload, rows) if p.get("group_chat_id") is not None]
        groups = group_chats_by_id(session, group_ids)
    if not rows:
        return {"claimed": 0}
    with ClaimLease(token, lease, held=len(rows), since=claimed_at) as keeper:
        outcome = _send(token, rows, coordinators, groups, playbook, keeper)
    outcome["claimed"] = len(rows)
    return dict(outcome)


def _send(token: str, rows: list[Notification], coordinators: dict[int, Coordinator], groups: dict[int, GroupChat],
          playbook: Playbook, keeper: ClaimLease) -> Counter[str]:
    """Hand each channel its share of the claimed rows and record what it reports, as it reports it."""
    language = get_settings().language
    outcome: Counter[str] = Counter()
    messages = _outbound(rows, coordinators, groups, language, playbook)
    by_id = {id_of(row): row for row in rows}
    chat_of = {m.notification_id: m.recipient.chat_id for m in messages}
    lock = threading.Lock()
    done: set[int] = set()

    def progress(event: PartSent | Result | AboutToSend) -> None:
        keeper.touch()
        if isinstance(event, AboutToSend):
            keeper.ensure(event.notification_id)  # ClaimLost if another dispatcher took it over
            return
        if isinstance(event, PartSent):
            renewing = ClaimLease.monotonic()
            _record_part(token, event)  # before the next part goes: a retry never sends this one again
            keeper.renewed(event.notification_id, renewing)
            return
        status = _record(token, by_id[event.notification_id], event, chat_of[event.notification_id], language)
        keeper.release(event.notification_id)
        with lock:
            done.add(event.notification_id)
            status, _, news = status.partition("+")
            outcome[status] += 1
            if news:
                outcome["channels_broken"] += 1  # a leader's alert was queued: deliver it this run

    by_channel: dict[str, list[Outbound]] = {}
    for row, message in zip(rows, messages, strict=True):
        by_channel.setdefault(row.channel, []).append(message)
    for channel, batch in by_channel.items():
        failure: NotifyError | None = None
        try:
            make_notifier(channel).notify_all(batch, progress)
        except NotifyError as exc:
            failure = exc
        except Exception as exc:  # a broken channel must not strand the rest of the batch
            failure = NotifyError(f"channel {channel} failed: {type(exc).__name__}", permanent=False)
        if failure is not None:
            for message in batch:
                if message.notification_id not in done:
                    progress(Result.of_error(message.notification_id, failure))
    return outcome
