"""The Telegram channel: sends outbox messages through python-telegram-bot within Telegram's limits, and says what happened.

A batch is sent concurrently, one worker per chat at a time, paced by `ChatRateLimiter` (overall,
per chat, per group) in the bot's shared sending loop (notifiers.telegram.sender). Each error is
taken as Telegram means it:

- `RetryAfter`: hold the chat as long as told, then send again (a longer wait: retry later);
- `ChatMigrated`: send to the new chat id, and report it (`Result.moved_to`) so the id is stored;
- `Forbidden` (bot blocked) and "chat not found": refused, the recipient is unreachable;
- `BadRequest` (a subclass of `NetworkError`, so caught first): refused, never retried;
- `TimedOut` and other `NetworkError`s (5xx, dropped connections): tried again with backoff.

Each accepted part is reported at once (`PartSent`) and the next part waits until the report is
taken, so a retry of a long digest — after a failure or a crash — sends only the parts missing
(`Outbound.sent_parts`). Right before each request the channel asks whether the message is still
its to send (`AboutToSend`): a dispatcher stopped past its claim's lease, and taken over meanwhile,
hears so there (the callback raises) and stops that chat's sending instead of sending a copy.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

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

from notifiers.base import AboutToSend, Notifier, NotifyError, Outbound, PartSent, Progress, Result
from notifiers.bot.redaction import install_log_redaction
from notifiers.rate_limit import ChatLimits, ChatRateLimiter, retry_after_seconds
from notifiers.telegram.chat_format import ChatText, to_chat
from notifiers.telegram.config import api_base_url, resolve_token
from notifiers.telegram.keyboard import to_markup
from notifiers.telegram.sender import Batch, Plan, sender_for

log = logging.getLogger(__name__)
UNREACHABLE_MARKERS = ("chat not found", "user not found", "chat_id is empty", "peer_id_invalid",
                       "bot was kicked", "not a member")


@dataclass
class _ChatState:
    chat_id: int
    moved_to: int | None = None
    gone: NotifyError | None = None


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
    ) -> None:
        self._token = token
        self.base_url = base_url or api_base_url()
        self.limits = limits or ChatLimits()
        self.read_timeout = read_timeout
        self.connect_timeout = connect_timeout
        self.max_network_tries = max_network_tries
        self.backoff = tuple(backoff) or (1.0,)
        self.max_wait = max_wait  # a longer RetryAfter is left to the outbox's next run
        self.time_budget = time_budget  # a batch that reports nothing for 10 minutes stops renewing its claims (services.outbox)
        self.concurrency = concurrency or 2 * self.limits.overall_per_second + 8

    def notify(self, message: Outbound) -> Result:
        return self.notify_all([message])[0]

    def notify_all(self, messages: Sequence[Outbound], progress: Progress | None = None) -> list[Result]:
        results: dict[int, Result] = {}

        def settle(result: Result) -> None:
            results[result.notification_id] = result
            if progress is not None:
                progress(result)

        try:
            token = self._token or resolve_token()
        except NotifyError as exc:
            for message in messages:
                settle(Result.of_error(message.notification_id, exc))
            return [results[m.notification_id] for m in messages]
        install_log_redaction(token)
        try:
            ready: dict[int, list[Plan]] = {}
            for message in messages:
                plan = self._plan(message)
                if isinstance(plan, Result):
                    settle(plan)
                else:
                    ready.setdefault(plan.chat_id, []).append(plan)
            if ready:
                # One chat gets one message a second, so a group with five notices needs five seconds
                # whatever the rest does: the chats with the most to send start first, and finish
                # within the batch instead of trailing after it (the sort keeps outbox order among equals).
                chats = sorted(ready.items(), key=lambda chat: -sum(plan.to_send for plan in chat[1]))
                with sender_for(self, token) as sender:
                    sender.deliver(self, chats, progress, results)
        except Exception as exc:
            error = exc if isinstance(exc, NotifyError) else NotifyError(f"sending stopped: {type(exc).__name__}")
            if not isinstance(exc, NotifyError):
                log.error("telegram batch stopped by %s", type(exc).__name__)
            for message in messages:
                if message.notification_id not in results:
                    settle(Result.of_error(message.notification_id, error))
        return [results[m.notification_id] for m in messages]

    @staticmethod
    def _plan(message: Outbound) -> Plan | Result:
        """The message in Telegram's format for its chat: phones and buttons only in a private chat."""
        nid, chat_id = message.notification_id, message.recipient.chat_id
        if chat_id is None:
            return Result.refused(nid, "no Telegram chat is bound (send them `yinhui coordinator invite NAME`)")
        private = message.recipient.private and chat_id > 0
        parts = to_chat(message.message, private=private, tokens=message.buttons if private else None)
        if not parts:
            return Result.refused(nid, "empty message")
        return Plan(message, chat_id, parts, dict(message.sent_parts))

    # -- sending (in the bot's sending loop) --------------------------------------------------------

    async def send_chat(self, bot: Bot, limiter: ChatRateLimiter, chat_id: int, plans: list[Plan], batch: Batch) -> None:
        """One chat's messages of one batch, in order; each gets its result as soon as it is known."""
        loop = asyncio.get_running_loop()
        state = _ChatState(chat_id)
        for plan in plans:
            nid = plan.message.notification_id
            if state.gone is not None:  # one refusal is enough: do not hammer the chat
                await batch.finish(Result.of_error(nid, state.gone, moved_to=state.moved_to))
                continue
            if loop.time() > batch.deadline:
                await batch.finish(Result.retry(nid, 30, "deferred: this batch used its time", moved_to=state.moved_to))
                continue
            try:
                message_ids = []
                for number, part in enumerate(plan.parts):
                    if number in plan.done:
                        message_ids.append(plan.done[number])
                        continue
                    ready = functools.partial(batch.report, AboutToSend(nid, number))
                    message_id = await self._send_part(bot, limiter, state, part, batch.deadline, ready)
                    await batch.report(PartSent(nid, number, state.chat_id, message_id))
                    message_ids.append(message_id)
                external_id = f"tg:{state.chat_id}:{','.join(map(str, message_ids))}"[:200]
                result = Result.sent(nid, external_id, parts=message_ids, moved_to=state.moved_to)
            except NotifyError as exc:
                if exc.recipient_unreachable:
                    state.gone = exc
                result = Result.of_error(nid, exc, moved_to=state.moved_to)
            await batch.finish(result)

    async def _send_part(self, bot: Bot, limiter: ChatRateLimiter, state: _ChatState, part: ChatText,
                         deadline: float, ready: Callable[[], Awaitable[None]]) -> int:
        """Send one part (again on a network error); `ready` is asked first each time, once the slot is ours."""
        loop = asyncio.get_running_loop()
        network_failures = 0
        markup = to_markup(part.keyboard)
        while True:
            try:
                async with limiter.slot(state.chat_id) as slot:
                    await ready()  # after any wait: raises (ClaimLost) if the message is no longer ours
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
                state.chat_id = state.moved_to = int(exc.new_chat_id)
                log.info("a group chat became a supergroup; sending to its new id")
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
