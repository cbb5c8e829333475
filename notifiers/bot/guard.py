"""Slows down guessing invitation codes: a chat that sends too many wrong ones is not heard for a while.

A code is 15 random digits' worth of entropy, so guessing is hopeless anyway; this keeps it so
whatever the code length, and keeps a misbehaving client from turning `/start` into a stream of
database lookups. The bot is one process (long polling or one webhook), so an in-memory book is
enough; a restart forgives everyone, which is harmless at these numbers.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WRONG_CODES_ALLOWED = 5  # wrong codes one chat may send within the window
WINDOW_SECONDS = 3600.0


class CodeAttempts:
    """Wrong `/start` codes per chat in a sliding window."""

    def __init__(self, allowed: int = WRONG_CODES_ALLOWED, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.allowed = allowed
        self.window = window
        self._clock = clock
        self._wrong: dict[int, deque[float]] = {}

    def _recent(self, chat_id: int) -> deque[float]:
        now = self._clock()
        wrong = self._wrong.get(chat_id, deque())
        while wrong and wrong[0] <= now - self.window:
            wrong.popleft()
        if wrong:
            self._wrong[chat_id] = wrong
        else:
            self._wrong.pop(chat_id, None)
        return wrong

    def locked(self, chat_id: int) -> bool:
        """True while this chat has used up its wrong codes: its codes are not even looked up."""
        return len(self._recent(chat_id)) >= self.allowed

    def wrong(self, chat_id: int) -> None:
        self._wrong.setdefault(chat_id, deque()).append(self._clock())
        if len(self._wrong) > 10_000:  # forget chats whose window has passed
            for chat in list(self._wrong):
                self._recent(chat)
