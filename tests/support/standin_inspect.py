"""What a test reads from the Bot API stand-in: what was sent, edited, answered and asked, rates, and waiting for it.

A mixin of `BotApiStandIn`: it reads the state that class sets up, under its lock.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from typing import Any

from tests.support.standin_model import (
    CallbackAnswer,
    ChatId,
    EditRecord,
    JSONDict,
    RequestRecord,
    SentMessage,
    _max_in_window,
)


class Inspection:
    """Snapshots and measurements of what happened; waiting until something has."""

    _cond: Any
    _lock: Any
    _sent: list[SentMessage]
    _edits: list[EditRecord]
    _answers: list[CallbackAnswer]
    _requests: list[RequestRecord]
    _dropped_after_accept: int
    _updates: list[JSONDict]
    _messages: dict[tuple[ChatId, int], JSONDict]
    _accept_times: dict[ChatId, list[float]]
    _all_accept_times: list[float]

    def _chat_type(self, chat_id: ChatId) -> str:  # pragma: no cover - provided by ChatSide
        raise NotImplementedError

    # ------------------------------------------------------------------ inspection

    @property
    def sent(self) -> list[SentMessage]:
        with self._lock:
            return list(self._sent)

    @property
    def edits(self) -> list[EditRecord]:
        with self._lock:
            return list(self._edits)

    @property
    def answered_callbacks(self) -> list[CallbackAnswer]:
        with self._lock:
            return list(self._answers)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    @property
    def dropped_after_accept(self) -> int:
        """Requests that took effect but whose answer was never sent (``drop_after``)."""
        with self._lock:
            return self._dropped_after_accept

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates ``offset``."""
        with self._lock:
            return len(self._updates)

    def message(self, chat_id: ChatId, message_id: int) -> JSONDict:
        """The current state of a message (as Telegram would return it)."""
        with self._lock:
            return copy.deepcopy(self._messages[(chat_id, message_id)])

    def duplicates(self) -> dict[tuple[ChatId, str], list[SentMessage]]:
        """Every (chat_id, text) accepted more than once, with all of its copies."""
        with self._lock:
            groups: dict[tuple[ChatId, str], list[SentMessage]] = {}
            for msg in self._sent:
                groups.setdefault((msg.chat_id, msg.text), []).append(msg)
        return {key: msgs for key, msgs in groups.items() if len(msgs) > 1}

    def max_rate_per_chat(self, window: float = 1.0, chat_id: ChatId | None = None) -> int:
        """Most messages accepted for one chat (or the given chat) within ``window`` s."""
        with self._lock:
            series = (
                [self._accept_times.get(chat_id, [])]
                if chat_id is not None
                else list(self._accept_times.values())
            )
            return max((_max_in_window(times, window) for times in series), default=0)

    def max_rate_overall(self, window: float = 1.0) -> int:
        """Most messages accepted across all chats within ``window`` seconds."""
        with self._lock:
            return _max_in_window(self._all_accept_times, window)

    def max_per_group_minute(self) -> int:
        """Most messages accepted for one group chat within 60 seconds."""
        with self._lock:
            return max(
                (
                    _max_in_window(times, 60.0)
                    for chat, times in self._accept_times.items()
                    if self._chat_type(chat) != "private"
                ),
                default=0,
            )

    def wait_until(self, predicate: Callable[[], bool], *, timeout: float = 5.0) -> None:
        """Block until ``predicate()`` holds (it may read this object's properties).

        Re-checked whenever a request is recorded or an update is pushed. Blocks the
        calling thread: from a coroutine use :meth:`wait_until_async`, or the bot under
        test, running on the same event loop, never gets to send. Raises ``TimeoutError``.
        """
        with self._cond:
            if not self._cond.wait_for(predicate, timeout=timeout):
                raise TimeoutError(f"condition not met after {timeout}s")

    async def wait_until_async(
        self, predicate: Callable[[], bool], *, timeout: float = 5.0, interval: float = 0.01
    ) -> None:
        """Like :meth:`wait_until`, polling without blocking the event loop."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met after {timeout}s")
            await asyncio.sleep(interval)

    def wait_for_sent(
        self, count: int = 1, *, chat_id: ChatId | None = None, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Block until ``count`` messages (for ``chat_id``, if given) were accepted; return
        them. See :meth:`wait_until` about blocking."""
        self.wait_until(lambda: len(self._sent_to(chat_id)) >= count, timeout=timeout)
        return self._sent_to(chat_id)

    async def wait_for_sent_async(
        self, count: int = 1, *, chat_id: ChatId | None = None, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Like :meth:`wait_for_sent`, without blocking the event loop."""
        await self.wait_until_async(lambda: len(self._sent_to(chat_id)) >= count, timeout=timeout)
        return self._sent_to(chat_id)

    def _sent_to(self, chat_id: ChatId | None) -> list[SentMessage]:
        with self._lock:
            return [m for m in self._sent if chat_id is None or m.chat_id == chat_id]
