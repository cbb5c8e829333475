"""Telegram's flood limits kept by construction: overall, per private chat and per group chat.

Telegram allows about 30 messages a second in bulk, 1 a second to one chat and 20 a minute to
one group. python-telegram-bot's own AIORateLimiter has no per-private-chat limit, so this module
keeps all three.

Each limit is a window that counts a message from the moment it is let go until `window` seconds
after its request *finished*. The server stamps a message somewhere in between, so however the
network delays one request and hurries the next, no window of that length on the server's clock
ever holds more than the limit: the bound holds by construction, not by a safety margin. The
price is the request's own latency added to each slot (a few milliseconds locally).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# A bot-wide flood: within this many seconds several chats were told to wait, and refusals were
# a good share of all answers. A few scattered refusals among many sends are single busy chats.
FLOOD_WINDOW = 1.0
FLOOD_CHATS = 5
FLOOD_SHARE = 0.5
POLL = 0.005  # how often to look again when only requests still in flight hold the slots


@dataclass(frozen=True)
class ChatLimits:
    """The limits to keep; the defaults are Telegram's published ones."""

    overall_per_second: int = 30
    chat_per_second: int = 1
    group_per_minute: int = 20
    margin: float = 0.0  # fraction added to each window, should a server count more strictly still
    second: float = 1.0  # the length of "a second": tests shrink time, benchmarks do not

    def __post_init__(self) -> None:
        if min(self.overall_per_second, self.chat_per_second, self.group_per_minute) < 1:
            raise ValueError("every limit must allow at least one message")
        if not 0 <= self.margin < 1:
            raise ValueError("margin is a fraction of the window, within [0, 1)")


class SlidingWindow:
    """At most `limit` messages per `window`: each holds a slot while in flight and `window` after."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.in_flight = 0
        self.finished: deque[float] = deque()

    def wait(self, now: float, ahead: int = 0) -> float:
        """0 if a slot is free now with `ahead` others served first; else how long until one may be."""
        while self.finished and self.finished[0] + self.window <= now:
            self.finished.popleft()
        excess = self.in_flight + len(self.finished) - self.limit + 1 + ahead
        if excess <= 0:
            return 0.0
        if excess <= len(self.finished):
            return max(self.finished[excess - 1] + self.window - now, 1e-4)
        # Requests still in flight hold the rest: each frees its slot a window after it ends (later
        # than any finished one), or at once if refused; look again when the last finished frees.
        return max(self.finished[-1] + self.window - now, POLL) if self.finished else POLL

    def take(self) -> None:
        self.in_flight += 1

    def release(self, now: float) -> None:
        self.in_flight = max(self.in_flight - 1, 0)
        self.finished.append(now)

    def idle(self, now: float) -> bool:
        return self.in_flight == 0 and (not self.finished or self.finished[-1] + self.window <= now)


@dataclass
class Slot:
    refused: bool = False


def is_group(chat_id: int) -> bool:
    """Private chats have positive ids; groups, supergroups and channels negative ones."""
    return chat_id < 0


class ChatRateLimiter:
    """Paces sends for one bot: `async with limiter.slot(chat_id): await send(...)`.

    The check and the booking happen under one lock without an await in between, so two
    coroutines never take the same slot, even on two event loops in two threads. It keeps no
    loop-bound state, so one limiter paces every sender of its bot in the process.

    Free overall slots go first come, first served: a request whose own chat (and group) may
    send waits in line by the time it asked, so no chat is starved by newcomers that happen to
    look at the right moment, and a chat with several messages keeps its pace.
    """

    def __init__(self, limits: ChatLimits | None = None, *, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.limits = limits or ChatLimits()
        self._clock = clock
        self._sleep = sleep
        stretch = 1.0 + self.limits.margin
        self._second = self.limits.second * stretch
        self._minute = 60.0 * self.limits.second * stretch
        self._overall = SlidingWindow(self.limits.overall_per_second, self._second)
        self._chats: dict[int, SlidingWindow] = {}
        self._groups: dict[int, SlidingWindow] = {}
        self._paused_until = 0.0
        self._chat_paused_until: dict[int, float] = {}
        self._recent_floods: deque[tuple[float, int]] = deque()
        self._recent_answers: deque[float] = deque()
        self._tickets = itertools.count()
        self._line: list[int] = []  # tickets of requests held only by the overall limit, oldest first
        self._lock = threading.Lock()

    def delay(self, chat_id: int) -> float:
        """How long a send to this chat, asked now, must still wait (0: it may go now)."""
        with self._lock:
            now = self._clock()
            return max(self._own_wait(chat_id, now), self._overall.wait(now, len(self._line)))

    async def acquire(self, chat_id: int) -> None:
        """Wait for a slot and take it; `release` must follow when the request is over."""
        ticket = next(self._tickets)
        in_line = False
        try:
            while True:
                with self._lock:
                    now = self._clock()
                    wait = self._own_wait(chat_id, now)
                    if wait <= 0:
                        if not in_line:
                            bisect.insort(self._line, ticket)
                            in_line = True
                        ahead = bisect.bisect_left(self._line, ticket)
                        wait = self._overall.wait(now, ahead)
                        if wait <= 0:
                            del self._line[ahead]
                            in_line = False
                            for window in self._windows(chat_id):
                                window.take()
                            return
                await self._sleep(wait)
        finally:
            if in_line:  # cancelled while waiting: give up the place in line
                with self._lock:
                    index = bisect.bisect_left(self._line, ticket)
                    if index < len(self._line) and self._line[index] == ticket:
                        del self._line[index]

    def release(self, chat_id: int) -> None:
        """The request is over (whatever its outcome): its slot counts for one window more."""
        with self._lock:
            now = self._clock()
            for window in self._windows(chat_id):
                window.release(now)
            self._recent_answers.append(now)
            self._forget_idle(now)

    def cancel(self, chat_id: int) -> None:
        """The request was refused outright (429): it took no message, so it leaves no trace."""
        with self._lock:
            for window in self._windows(chat_id):
                window.in_flight = max(window.in_flight - 1, 0)
            self._recent_answers.append(self._clock())

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[Slot]:
        """Hold a slot for one request; mark it `refused` if the server turned it away unread."""
        await self.acquire(chat_id)
        held = Slot()
        try:
            yield held
        finally:
            if held.refused:
                self.cancel(chat_id)
            else:
                self.release(chat_id)

    def retry_after(self, chat_id: int, seconds: float) -> None:
        """Telegram said wait: hold this chat that long; a bot-wide flood holds every chat."""
        with self._lock:
            now = self._clock()
            until = now + seconds  # the server's seconds are real ones, whatever `second` is
            self._chat_paused_until[chat_id] = max(self._chat_paused_until.get(chat_id, 0.0), until)
            self._recent_floods.append((now, chat_id))
            since = now - FLOOD_WINDOW
            while self._recent_floods and self._recent_floods[0][0] < since:
                self._recent_floods.popleft()
            while self._recent_answers and self._recent_answers[0] < since:
                self._recent_answers.popleft()
            refused = len(self._recent_floods)
            share = refused / max(len(self._recent_answers), refused)
            if len({chat for _, chat in self._recent_floods}) >= FLOOD_CHATS and share >= FLOOD_SHARE:
                self._paused_until = max(self._paused_until, until)

    def _own_wait(self, chat_id: int, now: float) -> float:
        """How long this chat must wait whatever the other chats do: its pauses, its own windows."""
        waits = [
            self._paused_until - now,
            self._chat_paused_until.get(chat_id, 0.0) - now,
            self._chat_window(chat_id).wait(now),
        ]
        if is_group(chat_id):
            waits.append(self._group_window(chat_id).wait(now))
        return max(0.0, *waits)

    def _windows(self, chat_id: int) -> list[SlidingWindow]:
        windows = [self._overall, self._chat_window(chat_id)]
        if is_group(chat_id):
            windows.append(self._group_window(chat_id))
        return windows

    def _chat_window(self, chat_id: int) -> SlidingWindow:
        window = self._chats.get(chat_id)
        if window is None:
            window = self._chats[chat_id] = SlidingWindow(self.limits.chat_per_second, self._second)
        return window

    def _group_window(self, chat_id: int) -> SlidingWindow:
        window = self._groups.get(chat_id)
        if window is None:
            window = self._groups[chat_id] = SlidingWindow(self.limits.group_per_minute, self._minute)
        return window

    def _forget_idle(self, now: float) -> None:
        # Thousands of chats a day: drop windows that no longer constrain anything.
        if len(self._chats) > 4096:
            for chat in [c for c, w in self._chats.items() if w.idle(now)]:
                del self._chats[chat]
            for chat in [c for c, w in self._groups.items() if w.idle(now)]:
                del self._groups[chat]
            for chat in [c for c, t in self._chat_paused_until.items() if t <= now]:
                del self._chat_paused_until[chat]


# Methods that post a new message: the ones Telegram's flood control counts.
SEND_ENDPOINTS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendVoice", "sendAnimation",
    "sendSticker", "sendLocation", "sendContact", "sendPoll", "sendMediaGroup", "copyMessage",
    "forwardMessage",
})


def retry_after_seconds(exc: RetryAfter) -> float:
    """RetryAfter's wait in seconds, whether PTB gives an int or (PTB 23 and later) a timedelta."""
    import datetime as dt
    import warnings

    from telegram.warnings import PTBDeprecationWarning

    with warnings.catch_warnings():
        # PTB 22 warns on every read of the int form; the value is what we need, not the warning.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class PacedRateLimiter(BaseRateLimiter[None]):
    """The same limits for the interactive bot (python-telegram-bot's rate-limiter interface).

    Replies to a coordinator's command are paced like broadcast messages; a RetryAfter holds
    the chat as told and the request is tried again (up to `max_retries` times).
    """

    def __init__(self, limits: ChatLimits | None = None, *, max_retries: int = 2) -> None:
        self.limiter = ChatRateLimiter(limits)
        self.max_retries = max_retries

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        paced = endpoint in SEND_ENDPOINTS and isinstance(chat_id, int)
        for attempt in range(self.max_retries + 1):
            try:
                if paced:
                    async with self.limiter.slot(chat_id) as slot:  # type: ignore[arg-type]
                        try:
                            return await callback(*args, **kwargs)
                        except RetryAfter:
                            slot.refused = True
                            raise
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= self.max_retries:
                    raise
                seconds = retry_after_seconds(exc)
                if paced:
                    self.limiter.retry_after(chat_id, seconds)  # type: ignore[arg-type]
                else:
                    await asyncio.sleep(seconds)
        raise AssertionError("unreachable")  # pragma: no cover
