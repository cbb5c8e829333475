"""The Telegram channel: sends outbox messages through python-telegram-bot, within Telegram's limits.

A batch is sent concurrently, one worker per chat at a time, paced by `ChatRateLimiter`
(overall, per chat, per group). Batches in flight at the same time in one process (the outbox
dispatcher overlaps two) share one sending loop per bot: its workers take chats first come, first
served, so while one batch is down to its last retries the next one already fills the free slots,
and a chat with messages in both still gets them one after another. Each error is treated as
Telegram means it:

- `RetryAfter`: hold the chat as long as told, then send again;
- `ChatMigrated`: store the new chat id and send there;
- `Forbidden` (bot blocked) and "chat not found": permanent, the recipient is unreachable;
- `BadRequest` (a subclass of `NetworkError`, so caught first): permanent, never retried;
- `TimedOut` and other `NetworkError`s (5xx, dropped connections): retried with backoff.

Every accepted part is recorded at once (`models.chat.ChatMessage`), so a retry of a long digest
sends only the parts still missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import hashlib
import logging
import os
import random
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from notifiers.base import Delivery, Notifier, NotifyError, Outbound, Report
from notifiers.bot.redaction import install_log_redaction
from notifiers.rate_limit import ChatLimits, ChatRateLimiter, retry_after_seconds
from notifiers.telegram_render import ChatText, render_digest, render_plain, to_markup
from yinhui.rules.playbook import Playbook

log = logging.getLogger(__name__)
T = TypeVar("T")

TOKEN_BLOCK_ENV = "YINHUI_TELEGRAM_TOKEN_BLOCK"
DEFAULT_TOKEN_BLOCK = "yinhui-telegram-token"
UNREACHABLE_MARKERS = ("chat not found", "user not found", "chat_id is empty", "peer_id_invalid",
                       "bot was kicked", "not a member")


def resolve_token() -> str:
    """The bot token: YINHUI_TELEGRAM_TOKEN, else the Prefect Secret block named by
    YINHUI_TELEGRAM_TOKEN_BLOCK (default `yinhui-telegram-token`). Never from the repository."""
    from yinhui.settings import get_settings

    configured = get_settings().telegram_token
    if configured is not None:
        return configured.get_secret_value().strip()
    block = os.environ.get(TOKEN_BLOCK_ENV, DEFAULT_TOKEN_BLOCK)
    if TOKEN_BLOCK_ENV not in os.environ and not _prefect_api_configured():
        # Without a Prefect server there is no block to read; starting a temporary one to find
        # out would cost seconds and still fail.
        raise NotifyError(
            f"no Telegram token: set YINHUI_TELEGRAM_TOKEN, or save a Prefect Secret block {block!r} "
            f"on your Prefect server (PREFECT_API_URL) or name one in {TOKEN_BLOCK_ENV}",
            permanent=False,
        )
    try:
        from prefect.blocks.system import Secret

        value = Secret.load(block, _sync=True).get()  # type: ignore[call-arg,union-attr]
    except Exception:  # no Prefect API, no such block: both mean "not configured"
        raise NotifyError(
            f"no Telegram token: set YINHUI_TELEGRAM_TOKEN or create a Prefect Secret block named {block!r}",
            permanent=False,
        ) from None
    return str(value).strip()


def _prefect_api_configured() -> bool:
    if os.environ.get("PREFECT_API_URL"):
        return True
    try:
        from prefect.settings import PREFECT_API_URL

        return bool(PREFECT_API_URL.value())
    except Exception:  # Prefect not importable or not configured
        return False


def api_base_url() -> str:
    from yinhui.settings import get_settings

    return get_settings().telegram_api_url


# One limiter per bot and process, kept across batches: the next batch must not start a fresh
# second while the last one's messages still count in Telegram's.
_LIMITERS: dict[tuple[str, ChatLimits], ChatRateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def shared_limiter(token: str, base_url: str, limits: ChatLimits) -> ChatRateLimiter:
    key = (hashlib.sha256(f"{base_url}|{token}".encode()).hexdigest(), limits)
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None:
            limiter = _LIMITERS[key] = ChatRateLimiter(limits)
        return limiter


class TelegramStore:
    """What the channel keeps in the database while it sends (see models.chat)."""

    def prepare(
        self, pairs: Sequence[tuple[int, int]], notification_ids: Sequence[int]
    ) -> tuple[dict[tuple[int, int], str], dict[int, dict[int, tuple[int, int]]]]:
        from models.db import session_scope
        from yinhui.services.chat import issue_callback_tokens
        from yinhui.services.delivery import sent_parts

        with session_scope() as session:
            tokens = issue_callback_tokens(session, pairs) if pairs else {}
            done = sent_parts(session, notification_ids)
        return tokens, done

    def record_part(self, notification_id: int, part: int, chat_id: int, message_id: int) -> None:
        from models.db import session_scope
        from yinhui.services.delivery import record_part

        with session_scope() as session:
            record_part(session, notification_id=notification_id, part=part, chat_id=chat_id, message_id=message_id)

    def chat_moved(self, old_chat_id: int, new_chat_id: int) -> None:
        from models.db import session_scope
        from yinhui.services.chat import move_chat

        with session_scope() as session:
            move_chat(session, old_chat_id, new_chat_id)


@dataclass
class _Plan:
    message: Outbound
    chat_id: int
    parts: list[ChatText]
    done: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def to_send(self) -> int:
        return sum(1 for number in range(len(self.parts)) if number not in self.done)


@dataclass
class _ChatState:
    chat_id: int
    gone: NotifyError | None = None


@dataclass
class _Batch:
    """One `notify_many` call in flight: its channel settings, where its results go, what is left."""

    notifier: TelegramNotifier
    finish: Callable[[Outbound, Delivery | NotifyError], Awaitable[None]]
    in_db: Callable[..., Awaitable[Any]]
    reported: set[int]
    deadline: float
    left: int
    done: asyncio.Future[None]


@dataclass
class _ChatJob:
    chat_id: int
    plans: list[_Plan]
    batch: _Batch


class _Sender:
    """One bot's sending loop (its own thread), shared by every batch in flight in this process.

    `concurrency` workers take chats first come, first served. A chat still being worked for an
    earlier batch is handed to that same worker, so one chat's messages go one after another and
    in order, whichever batch they came in.
    """

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

    def deliver(self, notifier: TelegramNotifier, chats: list[tuple[int, list[_Plan]]], report: Report,
                reported: set[int]) -> None:
        """Queue one batch's chats behind those already queued; return when each has its result."""
        # Results are written in the caller's context (its clock, its Prefect run), one after another.
        context = contextvars.copy_context()
        db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="telegram-db")
        try:
            asyncio.run_coroutine_threadsafe(
                self._deliver(notifier, chats, report, reported, db, context), self._loop
            ).result()
        finally:
            db.shutdown(wait=True)

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

    async def _deliver(self, notifier: TelegramNotifier, chats: list[tuple[int, list[_Plan]]], report: Report,
                       reported: set[int], db: ThreadPoolExecutor, context: contextvars.Context) -> None:
        loop = asyncio.get_running_loop()
        assert self._queue is not None

        async def in_db(fn: Callable[..., T], *args: Any) -> T:
            return await loop.run_in_executor(db, functools.partial(context.run, fn, *args))

        async def finish(message: Outbound, result: Delivery | NotifyError) -> None:
            reported.add(message.notification_id)
            await in_db(report, message, result)

        batch = _Batch(notifier, finish, in_db, reported, loop.time() + notifier.time_budget, len(chats),
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
            await batch.notifier._send_chat(
                self._bot, self.limiter, _ChatState(job.chat_id), job.plans, batch.finish, batch.in_db, batch.deadline
            )
        except Exception as exc:  # one chat's surprise must not stop the other chats
            log.error("telegram chat worker stopped by %s", type(exc).__name__)
            failure = NotifyError(f"sending stopped: {type(exc).__name__}", permanent=False)
            try:
                for plan in job.plans:
                    if plan.message.notification_id not in batch.reported:
                        await batch.finish(plan.message, failure)
            except Exception as again:  # the outbox itself failed: notify_many reports what is left
                log.error("telegram results not recorded: %s", type(again).__name__)
        finally:
            batch.left -= 1
            if batch.left == 0 and not batch.done.done():
                batch.done.set_result(None)


# One sending loop per bot and channel settings in this process, while some batch uses it.
_SENDERS: dict[tuple[Any, ...], _Sender] = {}
_SENDERS_LOCK = threading.Lock()


@contextlib.contextmanager
def _sender_for(notifier: TelegramNotifier, token: str) -> Iterator[_Sender]:
    key = (
        hashlib.sha256(f"{notifier.base_url}|{token}".encode()).hexdigest(), notifier.limits,
        notifier.read_timeout, notifier.connect_timeout, notifier.concurrency,
    )
    with _SENDERS_LOCK:
        sender = _SENDERS.get(key)
        if sender is None:
            sender = _Sender(token, notifier, shared_limiter(token, notifier.base_url, notifier.limits))
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


class TelegramNotifier(Notifier):
    """Outbox messages to coordinators' private chats and grid group chats."""

    kind: ClassVar[str] = "telegram"

    def __init__(
        self,
        *,
        token: str | None = None,
        base_url: str | None = None,
        limits: ChatLimits | None = None,
        read_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        max_network_tries: int = 5,
        backoff: Sequence[float] = (0.25, 0.5, 1.0, 2.0),
        max_wait: float = 60.0,
        time_budget: float = 600.0,
        concurrency: int | None = None,
        store: TelegramStore | None = None,
        playbook: Playbook | None = None,
    ) -> None:
        self._token = token
        self.base_url = base_url or api_base_url()
        self.limits = limits or ChatLimits()
        self.read_timeout = read_timeout
        self.connect_timeout = connect_timeout
        self.max_network_tries = max_network_tries
        self.backoff = tuple(backoff) or (1.0,)
        self.max_wait = max_wait  # a longer RetryAfter is left to the outbox's next run
        self.time_budget = time_budget  # stay well inside the outbox's 15-minute claim
        self.concurrency = concurrency or 2 * self.limits.overall_per_second + 8
        self.store = store or TelegramStore()
        self._playbook = playbook

    # -- the Notifier interface ------------------------------------------------------------------

    def notify(self, message: Outbound) -> Delivery:
        results: dict[int, Delivery | NotifyError] = {}
        self.notify_many([message], lambda m, r: results.__setitem__(m.notification_id, r))
        result = results[message.notification_id]
        if isinstance(result, NotifyError):
            raise result
        return result

    def notify_many(self, messages: Sequence[Outbound], report: Report) -> None:
        if not messages:
            return
        try:
            token = self._token or resolve_token()
        except NotifyError as exc:
            for message in messages:
                report(message, exc)
            return
        install_log_redaction(token)
        reported: set[int] = set()
        try:
            ready: dict[int, list[_Plan]] = {}
            for message, plan in zip(messages, self._plan(messages), strict=True):
                if isinstance(plan, NotifyError):
                    reported.add(message.notification_id)
                    report(message, plan)
                else:
                    ready.setdefault(plan.chat_id, []).append(plan)
            if not ready:
                return
            # One chat gets one message a second, so a group with five notices needs five seconds
            # whatever the rest does: the chats with the most to send start first, and finish
            # within the batch instead of trailing after it (the sort keeps notification order
            # among equals).
            chats = sorted(ready.items(), key=lambda chat: -sum(plan.to_send for plan in chat[1]))
            with _sender_for(self, token) as sender:
                sender.deliver(self, chats, report, reported)
        except Exception as exc:
            failure = exc if isinstance(exc, NotifyError) else NotifyError(
                f"sending stopped: {type(exc).__name__}", permanent=False
            )
            if not isinstance(exc, NotifyError):
                log.error("telegram batch stopped by %s", type(exc).__name__)
            for message in messages:
                if message.notification_id not in reported:
                    report(message, failure)

    # -- planning (in the caller's thread) ----------------------------------------------------------

    @property
    def playbook(self) -> Playbook:
        if self._playbook is None:
            from yinhui.playbook_loader import current_playbook

            self._playbook = current_playbook()
        return self._playbook

    def _plan(self, messages: Sequence[Outbound]) -> list[_Plan | NotifyError]:
        pairs: list[tuple[int, int]] = []
        for m in messages:
            if self._has_buttons(m):
                for item in [*m.payload.get("items", []), *m.payload.get("escalated_items", [])]:
                    pairs.append((int(item["task_id"]), m.recipient.coordinator_id))  # type: ignore[arg-type]
        tokens, done = self.store.prepare(pairs, [m.notification_id for m in messages])
        plans: list[_Plan | NotifyError] = []
        for m in messages:
            chat_id = m.recipient.chat_id
            if chat_id is None:
                plans.append(NotifyError(
                    "no Telegram chat is bound (send them `yinhui coordinator invite NAME`)", permanent=True
                ))
                continue
            private = m.recipient.private and chat_id > 0
            if m.kind == "digest" and isinstance(m.payload.get("items"), list):
                own = (
                    {task: tok for (task, coord), tok in tokens.items() if coord == m.recipient.coordinator_id}
                    if self._has_buttons(m) else None
                )
                parts = render_digest(m.payload, private=private, tokens=own, playbook=self.playbook)
            else:
                parts = render_plain(m.body or m.subject)
            if not parts:
                plans.append(NotifyError("empty message", permanent=True))
                continue
            plans.append(_Plan(m, chat_id, parts, done.get(m.notification_id, {})))
        return plans

    @staticmethod
    def _has_buttons(m: Outbound) -> bool:
        return (
            m.kind == "digest" and m.recipient.private and m.recipient.coordinator_id is not None
            and m.recipient.chat_id is not None and m.recipient.chat_id > 0
        )

    # -- sending ----------------------------------------------------------------------------------

    async def _send_chat(
        self,
        bot: Bot,
        limiter: ChatRateLimiter,
        state: _ChatState,
        plans: list[_Plan],
        finish: Callable[[Outbound, Delivery | NotifyError], Awaitable[None]],
        in_db: Callable[..., Awaitable[Any]],
        deadline: float,
    ) -> None:
        loop = asyncio.get_running_loop()
        for plan in plans:
            if state.gone is not None:
                await finish(plan.message, state.gone)  # one refusal is enough: do not hammer the chat
                continue
            if loop.time() > deadline:
                await finish(plan.message, NotifyError("deferred: this batch used its time", retry_after=30))
                continue
            try:
                message_ids = []
                for number, part in enumerate(plan.parts):
                    if number in plan.done:
                        message_ids.append(plan.done[number][1])
                        continue
                    message_id = await self._send_part(bot, limiter, state, part, in_db, deadline)
                    await in_db(self.store.record_part, plan.message.notification_id, number, state.chat_id, message_id)
                    message_ids.append(message_id)
                result: Delivery | NotifyError = Delivery(
                    external_id=f"tg:{state.chat_id}:{','.join(map(str, message_ids))}"[:200]
                )
            except NotifyError as exc:
                if exc.recipient_unreachable:
                    state.gone = exc
                result = exc
            await finish(plan.message, result)

    async def _send_part(
        self,
        bot: Bot,
        limiter: ChatRateLimiter,
        state: _ChatState,
        part: ChatText,
        in_db: Callable[..., Awaitable[Any]],
        deadline: float,
    ) -> int:
        loop = asyncio.get_running_loop()
        network_failures = 0
        markup = to_markup(part.keyboard)
        while True:
            try:
                async with limiter.slot(state.chat_id) as slot:
                    try:
                        sent = await bot.send_message(state.chat_id, part.text, reply_markup=markup)
                    except RetryAfter:
                        slot.refused = True  # a 429 took no message: it does not use up the window
                        raise
                return int(sent.message_id)
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                limiter.retry_after(state.chat_id, seconds)
                if seconds > self.max_wait or loop.time() + seconds > deadline:
                    raise NotifyError(f"Telegram flood control: retry after {seconds:g}s", retry_after=seconds) from None
            except ChatMigrated as exc:
                new_chat_id = int(exc.new_chat_id)
                await in_db(self.store.chat_moved, state.chat_id, new_chat_id)
                log.info("a group chat became a supergroup; its new id is stored")
                state.chat_id = new_chat_id
            except Forbidden as exc:
                raise NotifyError(f"Forbidden: {exc.message}", permanent=True, recipient_unreachable=True) from None
            except BadRequest as exc:  # before NetworkError: BadRequest is one of them
                gone = any(marker in exc.message.lower() for marker in UNREACHABLE_MARKERS)
                raise NotifyError(f"BadRequest: {exc.message}", permanent=True, recipient_unreachable=gone) from None
            except (TimedOut, NetworkError) as exc:
                network_failures += 1
                if network_failures >= self.max_network_tries:
                    raise NotifyError(
                        f"{type(exc).__name__} after {network_failures} tries: {exc.message}", permanent=False
                    ) from None
                pause = self.backoff[min(network_failures, len(self.backoff)) - 1]
                await asyncio.sleep(pause * random.uniform(0.8, 1.2))  # jitter: retries do not march in step
            except InvalidToken:
                raise NotifyError("Telegram refused the bot token (InvalidToken)", permanent=False) from None
            except TelegramError as exc:
                raise NotifyError(f"{type(exc).__name__}: {exc.message}", permanent=False) from None
