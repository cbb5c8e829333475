"""One sending loop per bot in a process, shared by every batch in flight, paced by one rate limiter.

The outbox dispatcher overlaps two batches. Their chats queue behind each other for the same
`concurrency` workers, first come first served, so while one batch is down to its last retries the
next already fills the free slots; a chat with messages in both batches is handed to the worker
already sending to it, so its messages go one after another and in order.

What the channel reports while sending (each part about to go, each part accepted, each result)
is handed to the caller's `progress` in the caller's context (its clock, its Prefect run), one
report at a time, and the sending waits for it: a part is on record before the next part goes, and
a part goes only once the caller let it (what the caller raises stops that chat's sending).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import hashlib
import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from notifiers.base import AboutToSend, NotifyError, Outbound, PartSent, Progress, Result
from notifiers.rate_limit import ChatLimits, ChatRateLimiter
from notifiers.telegram.chat_format import ChatText


class TelegramNotifier(Protocol):
    """What the sending loop needs of the channel (notifiers.telegram.channel), without importing it."""

    base_url: str
    limits: ChatLimits
    read_timeout: float
    connect_timeout: float
    time_budget: float
    concurrency: int

    async def send_chat(
        self, bot: Bot, limiter: ChatRateLimiter, chat_id: int, plans: list[Plan], batch: Batch
    ) -> None: ...

log = logging.getLogger(__name__)


@dataclass
class Plan:
    """One message ready to go: its chat, its parts, and the parts accepted before (part → message id)."""

    message: Outbound
    chat_id: int
    parts: list[ChatText]
    done: dict[int, int] = field(default_factory=dict)

    @property
    def to_send(self) -> int:
        return sum(1 for number in range(len(self.parts)) if number not in self.done)


@dataclass
class Batch:
    """One `notify_all` call in flight: its channel, where its reports go, what is left."""

    notifier: TelegramNotifier
    finish: Callable[[Result], Awaitable[None]]
    report: Callable[[PartSent | AboutToSend], Awaitable[None]]
    results: dict[int, Result]
    deadline: float
    left: int
    done: asyncio.Future[None]


@dataclass
class _ChatJob:
    chat_id: int
    plans: list[Plan]
    batch: Batch


# One limiter per bot and process, kept across batches: the next batch must not start a fresh
# second while the last one's messages still count in Telegram's.
_LIMITERS: dict[tuple[str, ChatLimits], ChatRateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def _bot_key(base_url: str, token: str) -> str:
    return hashlib.sha256(f"{base_url}|{token}".encode()).hexdigest()


def shared_limiter(token: str, base_url: str, limits: ChatLimits) -> ChatRateLimiter:
    key = (_bot_key(base_url, token), limits)
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None:
            limiter = _LIMITERS[key] = ChatRateLimiter(limits)
        return limiter


class Sender:
    """One bot's sending loop (its own thread and event loop)."""

    def __init__(self, token: str, notifier: TelegramNotifier, limiter: ChatRateLimiter) -> None:
        self.limiter = limiter
        self.users = 0  # batches using it; the last one out stops it
        self._token = token
        self._base_url = notifier.base_url
        self._concurrency = notifier.concurrency
        self._timeouts = (notifier.read_timeout, notifier.connect_timeout)
        self._request: HTTPXRequest | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="telegram-sender", daemon=True)
        self._bot: Bot | None = None
        self._bot_up = False
        self._queue: asyncio.Queue[_ChatJob] | None = None
        self._working: dict[int, deque[_ChatJob]] = {}
        self._workers: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start the loop and greet the Bot API (getMe); NotifyError if it refuses or cannot be reached."""
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start(), self._loop).result()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Called when no batch uses it any more: nothing is queued or in flight."""
        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result()
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
        self._loop.close()

    def deliver(self, notifier: TelegramNotifier, chats: list[tuple[int, list[Plan]]], progress: Progress | None,
                results: dict[int, Result]) -> None:
        """Queue one batch's chats behind those already queued; return when each message has its result."""
        context = contextvars.copy_context()
        reporter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="telegram-report")
        try:
            asyncio.run_coroutine_threadsafe(
                self._deliver(notifier, chats, progress, results, reporter, context), self._loop
            ).result()
        finally:
            reporter.shutdown(wait=True)

    async def _start(self) -> None:
        read_timeout, connect_timeout = self._timeouts
        self._request = HTTPXRequest(
            connection_pool_size=self._concurrency + 8,
            read_timeout=read_timeout,
            write_timeout=read_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=read_timeout,
        )
        self._bot = Bot(self._token, base_url=self._base_url, request=self._request)
        try:
            await self._bot.initialize()
        except InvalidToken:
            raise NotifyError("Telegram refused the bot token (InvalidToken)", permanent=False) from None
        except TelegramError as exc:
            raise NotifyError(f"cannot reach the Bot API: {type(exc).__name__}", permanent=False) from None
        self._bot_up = True
        self._queue = asyncio.Queue()
        self._workers = [asyncio.create_task(self._work()) for _ in range(self._concurrency)]

    async def _stop(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        if self._bot is not None and self._bot_up:
            await self._bot.shutdown()
        elif self._request is not None:
            await self._request.shutdown()  # getMe failed: the bot never came up, its connections did

    async def _deliver(self, notifier: TelegramNotifier, chats: list[tuple[int, list[Plan]]],
                       progress: Progress | None, results: dict[int, Result], reporter: ThreadPoolExecutor,
                       context: contextvars.Context) -> None:
        loop = asyncio.get_running_loop()
        assert self._queue is not None

        async def tell(event: PartSent | Result | AboutToSend) -> None:
            if progress is not None:
                await loop.run_in_executor(reporter, functools.partial(context.run, progress, event))

        async def finish(result: Result) -> None:
            results[result.notification_id] = result
            await tell(result)

        batch = Batch(notifier, finish, tell, results, loop.time() + notifier.time_budget, len(chats),
                      loop.create_future())
        for chat_id, plans in chats:
            self._queue.put_nowait(_ChatJob(chat_id, plans, batch))
        await batch.done

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            job = await self._queue.get()
            chat_id = job.chat_id
            later = self._working.get(chat_id)
            if later is not None:  # an earlier batch's worker has this chat: it sends these next
                later.append(job)
                continue
            self._working[chat_id] = later = deque()
            try:
                while True:
                    await self._run(job)
                    if not later:
                        break
                    job = later.popleft()
            finally:
                del self._working[chat_id]

    async def _run(self, job: _ChatJob) -> None:
        batch = job.batch
        assert self._bot is not None
        try:
            await batch.notifier.send_chat(self._bot, self.limiter, job.chat_id, job.plans, batch)
        except Exception as exc:  # one chat's surprise must not stop the other chats
            log.error("telegram chat worker stopped by %s", type(exc).__name__)
            reason = f"sending stopped: {type(exc).__name__}"
            try:
                for plan in job.plans:
                    if plan.message.notification_id not in batch.results:
                        await batch.finish(Result.failed(plan.message.notification_id, reason))
            except Exception as again:  # the caller's report failed: notify_all reports what is left
                log.error("telegram results not reported: %s", type(again).__name__)
        finally:
            batch.left -= 1
            if batch.left == 0 and not batch.done.done():
                batch.done.set_result(None)


# One sending loop per bot and channel settings in this process, while some batch uses it.
_SENDERS: dict[tuple[Any, ...], Sender] = {}
_SENDERS_LOCK = threading.Lock()


@contextlib.contextmanager
def sender_for(notifier: TelegramNotifier, token: str) -> Iterator[Sender]:
    key = (_bot_key(notifier.base_url, token), notifier.limits, notifier.read_timeout, notifier.connect_timeout,
           notifier.concurrency)
    with _SENDERS_LOCK:
        sender = _SENDERS.get(key)
        if sender is None:
            sender = Sender(token, notifier, shared_limiter(token, notifier.base_url, notifier.limits))
            sender.start()
            _SENDERS[key] = sender
        sender.users += 1
    try:
        yield sender
    finally:
        with _SENDERS_LOCK:
            sender.users -= 1
            last = sender.users == 0
            if last:
                del _SENDERS[key]
        if last:
            sender.stop()
