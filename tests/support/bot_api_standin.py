"""A local stand-in for the Telegram Bot API, for tests and benchmarks.

Yinhui's tests must never reach Telegram. They point the real python-telegram-bot
(PTB) client at this server instead: a real HTTP server on 127.0.0.1 (ephemeral
port, background thread) that speaks enough of the Bot API for our coordinators'
workflow — send a task with inline buttons, receive the button press, answer it,
edit the message — and that can misbehave on purpose, deterministically.

Usage::

    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
    from tests.support.bot_api_standin import BotApiStandIn, FaultPlan

    async def demo() -> None:
        with BotApiStandIn(fault_plan=FaultPlan(rate=0.2, seed=7)) as api:
            bot = Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url)
            async with bot:
                keys = InlineKeyboardMarkup([[InlineKeyboardButton("收到", callback_data="ack:42")]])
                msg = await bot.send_message(1001, "请于周五前走访王老", reply_markup=keys)
                api.push_callback(1001, msg.message_id, "ack:42")  # the coordinator presses it
                [update] = await bot.get_updates(timeout=1)
                await update.callback_query.answer("已记录")
            # thread-safe snapshots and measurements
            api.sent, api.edits, api.answered_callbacks, api.requests
            api.duplicates(), api.dropped_after_accept, api.max_rate_per_chat()

(With a 20% fault rate the send above may itself raise; see the table below.) For an
``Application`` under test, push updates with ``push_text``/``push_callback`` and wait
for its answers with ``await api.wait_for_sent_async(n)`` or ``wait_until_async``.

What it speaks: getMe, sendMessage, editMessageText, editMessageReplyMarkup,
answerCallbackQuery, getUpdates (long polling, offset confirmation, 409 when two
pollers overlap), setWebhook/deleteWebhook/getWebhookInfo (state only: updates are
never pushed to a webhook), setMyCommands/getMyCommands/deleteMyCommands and
sendChatAction. Method names are case-insensitive, as on Telegram. Parameters are
accepted the four ways Telegram accepts them: query string, urlencoded form (PTB's
HTTPXRequest sends this, with non-string values JSON-encoded), JSON body and
multipart form.

Errors use Telegram's envelope ``{"ok": false, "error_code", "description",
"parameters"}`` and its wording, because PTB picks the exception class from the
status code and the ``parameters`` (see ``telegram.request.BaseRequest``):

=====================================  ==============================================
stand-in behaviour                     what PTB 22.8 raises
=====================================  ==============================================
``block_chat`` (403)                   ``Forbidden``
``missing_chat`` (400)                 ``BadRequest("Chat not found")``
``migrate_chat`` (400 + migrate id)    ``ChatMigrated`` (``.new_chat_id``)
429 (fault or enforced limit)          ``RetryAfter`` (``.retry_after``)
500 ``server_error``                   ``NetworkError("Internal Server Error")``
``timeout`` (no answer in time)        ``TimedOut``
``drop_before`` / ``drop_after``       ``NetworkError("httpx.RemoteProtocolError: ...")``
wrong token (401) / unknown method     ``InvalidToken`` / ``EndPointNotFound`` via
                                       ``Bot.do_api_request``
=====================================  ==============================================

Rate limits are counted over accepted sendMessage calls only (edits, answers and
other methods are free), which is where Telegram's flood control bites a broadcaster.

The module imports only the standard library so that benchmark scripts can use it
without pytest.
"""

from __future__ import annotations

import asyncio
import bisect
import copy
import email.parser
import email.policy
import itertools
import json
import logging
import math
import random
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, cast, get_args
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "DEFAULT_TOKEN",
    "BotApiStandIn",
    "CallbackAnswer",
    "EditRecord",
    "FaultKind",
    "FaultPlan",
    "RequestRecord",
    "SentMessage",
    "TelegramLimits",
]

_LOGGER = logging.getLogger(__name__)

# Shaped like a real token (numeric bot id, colon, 35 url-safe characters) so PTB and
# any token-format checks in our own code accept it.
DEFAULT_TOKEN = "123456789:AAF-standin-token-for-yinhui-tests0"

ChatId = int | str
JSONDict = dict[str, Any]

FaultKind = Literal["retry_after", "server_error", "timeout", "drop_before", "drop_after"]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)

# Per-message limits from the Bot API docs, always checked.
MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64

_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_INT_LITERAL = re.compile(r"^-?\d+$")
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
# Chat ids at or below this are supergroups/channels ("-100" prefix).
_SUPERGROUP_ID_CEILING = -1_000_000_000_000
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class FaultPlan:
    """Random infrastructure faults, drawn from ``random.Random(seed)``.

    Each request to one of ``methods`` (``None``: every method) draws once: with
    probability ``rate`` it fails, the kind chosen by ``weights``. With requests issued
    one after another the sequence of faults is a pure function of the seed.

    Kinds:
      ``retry_after``  429 with ``parameters.retry_after = retry_after``.
      ``server_error`` 500 "Internal Server Error"; nothing accepted.
      ``timeout``      no answer for ``timeout_seconds`` (set it above the client's read
                       timeout), then the connection is closed; nothing accepted.
      ``drop_before``  connection closed without a response; nothing accepted.
      ``drop_after``   the request takes effect (a message is accepted and recorded),
                       then the connection is closed without a response, so a retrying
                       client creates a duplicate. Counted in ``dropped_after_accept``.
    """

    rate: float = 0.2
    weights: Mapping[str, float] = field(default_factory=lambda: dict.fromkeys(FAULT_KINDS, 1.0))
    retry_after: int = 1
    # PTB's default read timeout is 5 s; anything longer looks like a timeout to it.
    timeout_seconds: float = 6.0
    methods: frozenset[str] | None = frozenset({"sendMessage"})
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be within [0, 1], got {self.rate}")
        unknown = set(self.weights) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if any(w < 0 for w in self.weights.values()) or not any(self.weights.values()):
            raise ValueError("weights must be non-negative and not all zero")
        if self.retry_after < 1:
            raise ValueError("retry_after must be at least 1 second, as on Telegram")

    def applies_to(self, method: str) -> bool:
        return self.methods is None or method.lower() in {m.lower() for m in self.methods}


@dataclass(frozen=True)
class TelegramLimits:
    """Telegram's broadcast limits, used when ``enforce_limits=True``.

    A message is refused with 429 when accepting it would put more than the limit into
    the trailing window shortened by ``tolerance`` (a fraction). Telegram's own limits
    are fuzzy; the tolerance lets a client that paces at exactly the limit, with
    ordinary scheduling jitter, through, while a burst is still caught.
    """

    overall_per_second: int = 30
    private_chat_per_second: int = 1
    group_chat_per_minute: int = 20
    tolerance: float = 0.1

    def __post_init__(self) -> None:
        if not 0.0 <= self.tolerance < 1.0:
            raise ValueError("tolerance is a fraction of the window, within [0, 1)")


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class SentMessage:
    """A message the stand-in accepted (it exists in the chat, whatever the client saw)."""

    chat_id: ChatId
    message_id: int
    text: str
    reply_markup: JSONDict | None
    parse_mode: str | None
    accepted_at: float  # time.monotonic()
    response_dropped: bool = False  # True when the client never got the answer


@dataclass(frozen=True)
class EditRecord:
    chat_id: ChatId
    message_id: int
    method: str  # "editMessageText" or "editMessageReplyMarkup"
    text: str
    reply_markup: JSONDict | None
    edited_at: float  # time.monotonic()


@dataclass(frozen=True)
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    answered_at: float  # time.monotonic()


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP request as the stand-in saw it. ``status`` is None when no answer was sent."""

    method: str
    chat_id: ChatId | None
    status: int | None
    at: float  # time.monotonic() on arrival
    fault: FaultKind | None = None
    description: str | None = None


# --------------------------------------------------------------------------- internals


class _ApiError(Exception):
    """An error answer in Telegram's envelope."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(detail: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {detail}")


def _too_many_requests(retry_after: int) -> _ApiError:
    return _ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


@dataclass(frozen=True)
class _Outcome:
    """What the HTTP handler should do: answer ``status`` with ``body``, or (status None)
    wait ``delay`` seconds and close the connection without answering."""

    status: int | None
    body: bytes = b""
    delay: float = 0.0


@dataclass(frozen=True)
class _ScriptedFault:
    kind: FaultKind
    retry_after: int
    timeout_seconds: float


@dataclass
class _Call:
    method: str
    params: JSONDict
    fault: FaultKind | None


_Handler = Callable[[_Call], Any]


def _utf16_len(text: str) -> int:
    # Telegram measures entity offsets and lengths in UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


def _max_in_window(times: list[float], window: float) -> int:
    """Largest number of (sorted) timestamps inside any half-open window of that length."""
    best = 0
    lo = 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stuck handler thread must never keep the process alive

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (timeouts, cancelled long polls) are normal here.
        _LOGGER.debug("connection from %s ended abruptly", client_address, exc_info=True)


class _RequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive, like Telegram: the client reuses connections, which is what
    # makes a dropped connection mid-stream meaningful.
    protocol_version = "HTTP/1.1"
    server_version = "BotApiStandIn/1.0"
    timeout = 60  # idle keep-alive connections give up eventually
    # Headers and body go out in separate writes; with Nagle's algorithm on, the body
    # waits for the client's delayed ACK (~40 ms per request on Linux).
    disable_nagle_algorithm = True
    standin: BotApiStandIn  # set on the per-instance subclass

    def setup(self) -> None:
        super().setup()
        self.standin._track_connection(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.standin._track_connection(self.connection, open_=False)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        _LOGGER.debug("%s " + format, self.address_string(), *args)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        outcome = self.standin._process(self.path, self.headers.get("Content-Type"), body)
        if outcome.status is None:
            if outcome.delay > 0:
                self.standin._stopping.wait(outcome.delay)
            # Close without a single byte of response: the client sees a dropped connection.
            self.close_connection = True
            return
        self.send_response(outcome.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(outcome.body)))
        self.end_headers()
        self.wfile.write(outcome.body)


# --------------------------------------------------------------------------- the stand-in


class BotApiStandIn:
    """A fake Telegram Bot API server on 127.0.0.1. See the module docstring.

    All public state is guarded by one lock; the properties return snapshots.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        fault_plan: FaultPlan | None = None,
        enforce_limits: bool = False,
        limits: TelegramLimits | None = None,
        bot_username: str = "yinhui_test_bot",
        bot_first_name: str = "银辉测试",
    ) -> None:
        self.token = token
        self.enforce_limits = enforce_limits
        self.limits = limits or TelegramLimits()
        head = token.split(":", 1)[0]
        self.bot_user: JSONDict = {
            # Telegram's bot id is the number in front of the colon.
            "id": int(head) if head.isdigit() else 1,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

        self._fault_plan: FaultPlan | None = None
        self._rng = random.Random(0)
        self._scripted: dict[str, deque[_ScriptedFault]] = {}
        self.set_fault_plan(fault_plan)

        self._blocked: set[ChatId] = set()
        self._missing: set[ChatId] = set()
        self._migrated: dict[ChatId, int] = {}
        self._chat_types: dict[ChatId, str] = {}

        self._messages: dict[tuple[ChatId, int], JSONDict] = {}
        self._next_message_id: dict[ChatId, int] = {}
        self._sent: list[SentMessage] = []
        self._edits: list[EditRecord] = []
        self._answers: list[CallbackAnswer] = []
        self._requests: list[RequestRecord] = []
        self._dropped_after_accept = 0
        self._accept_times: dict[ChatId, list[float]] = {}
        self._all_accept_times: list[float] = []

        self._updates: list[JSONDict] = []
        self._next_update_id = 1
        self._poll_generation = 0
        self._callback_ids = itertools.count(1)
        self._open_callbacks: set[str] = set()
        self._webhook: JSONDict = {}
        self._commands: dict[str, list[JSONDict]] = {}

        self._handlers: dict[str, tuple[str, _Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "answerCallbackQuery": self._answer_callback_query,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendChatAction": self._send_chat_action,
            }.items()
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> BotApiStandIn:
        """Bind an ephemeral port on 127.0.0.1 and serve in a daemon thread. Idempotent."""
        if self._server is not None:
            return self
        self._stopping.clear()
        handler = type("_BoundHandler", (_RequestHandler,), {"standin": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"bot-api-standin:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake long polls and delayed answers, close open connections."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            # Idle keep-alive connections would otherwise keep their threads blocked.
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> BotApiStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("BotApiStandIn is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """For ``Bot(token, base_url=...)``; PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``Bot(token, base_file_url=...)``. No files are served (404)."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ------------------------------------------------------------------ fault configuration

    def set_fault_plan(self, plan: FaultPlan | None) -> None:
        """Replace the random fault plan; reseeds the generator from ``plan.seed``."""
        with self._lock:
            self._fault_plan = plan
            self._rng = random.Random(plan.seed if plan else 0)

    def inject_faults(
        self,
        *kinds: FaultKind,
        method: str = "sendMessage",
        retry_after: int = 1,
        timeout_seconds: float = 6.0,
    ) -> None:
        """Queue faults for the next requests to ``method``, one per request, in order.

        Scripted faults come before (and do not consume) the random plan's draws.
        """
        for kind in kinds:
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}; known: {FAULT_KINDS}")
        with self._lock:
            queue = self._scripted.setdefault(method.lower(), deque())
            queue.extend(_ScriptedFault(k, retry_after, timeout_seconds) for k in kinds)

    def block_chat(self, chat_id: ChatId) -> None:
        """The user blocked the bot: 403 "Forbidden: bot was blocked by the user"."""
        with self._lock:
            self._blocked.add(chat_id)

    def missing_chat(self, chat_id: ChatId) -> None:
        """The chat does not exist (or the bot was never in it): 400 "chat not found"."""
        with self._lock:
            self._missing.add(chat_id)

    def migrate_chat(self, chat_id: ChatId, new_chat_id: int) -> None:
        """The group became a supergroup: 400 with ``parameters.migrate_to_chat_id``."""
        with self._lock:
            self._migrated[chat_id] = new_chat_id
            self._chat_types[new_chat_id] = "supergroup"

    def clear_chat_faults(self, chat_id: ChatId) -> None:
        """Undo ``block_chat``/``missing_chat``/``migrate_chat`` for this chat."""
        with self._lock:
            self._blocked.discard(chat_id)
            self._missing.discard(chat_id)
            self._migrated.pop(chat_id, None)

    # ------------------------------------------------------------------ injecting updates

    def push_text(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        chat_type: str | None = None,
        username: str | None = None,
    ) -> int:
        """A user writes ``text`` in ``chat_id``; returns the new update's ``update_id``.

        Commands ("/start ABC", "/done@yinhui_test_bot") get ``bot_command`` entities, as
        Telegram adds them, so PTB's ``CommandHandler`` matches.
        """
        with self._cond:
            if chat_type is not None:
                self._chat_types[chat_id] = chat_type
            user = self._user(chat_id, user_id, username)
            message = self._new_message(chat_id, sender=user, text=text)
            entities = [
                {
                    "type": "bot_command",
                    "offset": _utf16_len(text[: m.start()]),
                    "length": _utf16_len(m.group()),
                }
                for m in _COMMAND.finditer(text)
            ]
            if entities:
                message["entities"] = entities
            return self._enqueue({"message": message})

    def push_callback(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        user_id: int | None = None,
        *,
        strict: bool = True,
    ) -> str:
        """A user presses an inline button on a message the bot sent; returns the
        callback query id (what ``answerCallbackQuery`` expects).

        With ``strict`` the ``data`` must be on the message's current keyboard, since a
        real user can only press buttons that exist; pass ``strict=False`` to simulate a
        stale client.
        """
        with self._cond:
            message = self._messages.get((chat_id, message_id))
            if message is None:
                raise KeyError(f"no message {message_id} in chat {chat_id}")
            if strict:
                buttons = (message.get("reply_markup") or {}).get("inline_keyboard", [])
                datas = {b.get("callback_data") for row in buttons for b in row}
                if data not in datas:
                    raise ValueError(f"{data!r} is not on message {message_id}'s keyboard")
            query_id = str(next(self._callback_ids))
            self._open_callbacks.add(query_id)
            query = {
                "id": query_id,
                "from": self._user(chat_id, user_id, None),
                "message": copy.deepcopy(message),  # a snapshot, not a live view
                "chat_instance": f"ci{chat_id}",
                "data": data,
            }
            self._enqueue({"callback_query": query})
            return query_id

    def push_update(self, update: JSONDict) -> int:
        """Queue any raw update (``update_id`` is assigned); returns the ``update_id``."""
        with self._cond:
            return self._enqueue(dict(update))

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

    # ------------------------------------------------------------------ request pipeline

    def _track_connection(self, conn: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _process(self, raw_path: str, content_type: str | None, body: bytes) -> _Outcome:
        """Route one HTTP request and decide the answer (runs in a handler thread)."""
        arrived = time.monotonic()
        path = urlsplit(raw_path).path
        method_name = path.rsplit("/", 1)[-1] if path.count("/") >= 2 else ""
        token = path[len("/bot") :].split("/", 1)[0] if path.startswith("/bot") else None

        if token is None or path.count("/") != 2 or not method_name:
            # Paths Telegram does not serve, including file downloads.
            return self._answer_error(method_name, None, arrived, _ApiError(404, "Not Found"))
        if token != self.token:
            # Telegram: 401 for a well-formed but wrong token, 404 for a malformed one.
            err = (
                _ApiError(401, "Unauthorized")
                if _TOKEN_SHAPE.match(token)
                else _ApiError(404, "Not Found")
            )
            return self._answer_error(method_name, None, arrived, err)

        try:
            params = _parse_params(urlsplit(raw_path).query, content_type, body)
        except ValueError as exc:
            return self._answer_error(method_name, None, arrived, _bad_request(str(exc)))
        chat_id = _lenient_chat_id(params.get("chat_id"))

        route = self._handlers.get(method_name.lower())
        if route is None:
            return self._answer_error(method_name, chat_id, arrived, _ApiError(404, "Not Found"))
        canonical, handler = route

        with self._cond:
            fault, retry_after, delay = self._draw_fault(canonical)
            if fault in ("retry_after", "server_error", "timeout", "drop_before"):
                # The request never reaches the "backend": nothing takes effect.
                if fault == "retry_after":
                    return self._answer_error(
                        canonical, chat_id, arrived, _too_many_requests(retry_after), fault
                    )
                if fault == "server_error":
                    return self._answer_error(
                        canonical, chat_id, arrived, _ApiError(500, "Internal Server Error"), fault
                    )
                self._record(canonical, chat_id, None, arrived, fault)
                return _Outcome(None, delay=delay if fault == "timeout" else 0.0)

            try:
                result = handler(_Call(canonical, params, fault))
            except _ApiError as err:
                if fault == "drop_after":
                    self._record(canonical, chat_id, None, arrived, fault, err.description)
                    return _Outcome(None)
                return self._answer_error(canonical, chat_id, arrived, err)

            if fault == "drop_after":
                self._dropped_after_accept += 1
                self._record(canonical, chat_id, None, arrived, fault)
                return _Outcome(None)
            self._record(canonical, chat_id, 200, arrived)
            payload = json.dumps({"ok": True, "result": result}, ensure_ascii=False)
            return _Outcome(200, payload.encode("utf-8"))

    def _answer_error(
        self,
        method: str,
        chat_id: ChatId | None,
        arrived: float,
        err: _ApiError,
        fault: FaultKind | None = None,
    ) -> _Outcome:
        self._record(method, chat_id, err.code, arrived, fault, err.description)
        return _Outcome(err.code, json.dumps(err.payload(), ensure_ascii=False).encode("utf-8"))

    def _record(
        self,
        method: str,
        chat_id: ChatId | None,
        status: int | None,
        arrived: float,
        fault: FaultKind | None = None,
        description: str | None = None,
    ) -> None:
        with self._cond:
            self._requests.append(
                RequestRecord(method, chat_id, status, arrived, fault, description)
            )
            self._cond.notify_all()

    def _draw_fault(self, method: str) -> tuple[FaultKind | None, int, float]:
        """Scripted faults first, then one draw of the random plan. Caller holds the lock."""
        queue = self._scripted.get(method.lower())
        if queue:
            scripted = queue.popleft()
            return scripted.kind, scripted.retry_after, scripted.timeout_seconds
        plan = self._fault_plan
        if plan is None or not plan.applies_to(method):
            return None, 0, 0.0
        # Always consume the same number of draws per request, so that one request's
        # outcome does not shift the faults of every later request.
        roll = self._rng.random()
        kinds = list(plan.weights)
        kind = cast(FaultKind, self._rng.choices(kinds, [plan.weights[k] for k in kinds])[0])
        if roll >= plan.rate:
            return None, 0, 0.0
        return kind, plan.retry_after, plan.timeout_seconds

    # ------------------------------------------------------------------ state helpers
    # (all called with the lock held)

    def _chat_type(self, chat_id: ChatId) -> str:
        known = self._chat_types.get(chat_id)
        if known:
            return known
        if isinstance(chat_id, str):
            return "channel"
        if chat_id > 0:
            return "private"
        return "supergroup" if chat_id <= _SUPERGROUP_ID_CEILING else "group"

    def _chat(self, chat_id: ChatId) -> JSONDict:
        kind = self._chat_type(chat_id)
        chat: JSONDict = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = f"User {chat_id}"
        else:
            chat["title"] = f"Chat {chat_id}"
        return chat

    def _user(self, chat_id: ChatId, user_id: int | None, username: str | None) -> JSONDict:
        if user_id is None:
            # In a private chat the chat id is the user's id.
            user_id = chat_id if isinstance(chat_id, int) and chat_id > 0 else 5_550_001
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        if username:
            user["username"] = username
        return user

    def _new_message(self, chat_id: ChatId, *, sender: JSONDict, text: str) -> JSONDict:
        # Message ids count up per chat, shared by both sides, as in Telegram.
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        message: JSONDict = {
            "message_id": message_id,
            "from": sender,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        self._messages[(chat_id, message_id)] = message
        return message

    def _enqueue(self, update: JSONDict) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        update["update_id"] = update_id
        self._updates.append(update)
        self._cond.notify_all()
        return update_id

    def _check_chat(self, chat_id: ChatId) -> None:
        """Per-chat faults, in the order Telegram would report them."""
        if chat_id in self._migrated:
            raise _ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )
        if chat_id in self._missing or isinstance(chat_id, str):
            # We know no public @usernames.
            raise _bad_request("chat not found")
        if chat_id in self._blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")

    def _check_rate_limits(self, chat_id: ChatId, now: float) -> None:
        lim = self.limits
        shrink = 1.0 - lim.tolerance
        if self._chat_type(chat_id) == "private":
            chat_rule = (lim.private_chat_per_second, 1.0 * shrink)
        else:
            chat_rule = (lim.group_chat_per_minute, 60.0 * shrink)
        checks = [
            (self._all_accept_times, lim.overall_per_second, 1.0 * shrink),
            (self._accept_times.get(chat_id, []), *chat_rule),
        ]
        for times, limit, window in checks:
            first_in_window = bisect.bisect_right(times, now - window)
            if len(times) - first_in_window >= limit:
                # Wait until the oldest message in the window leaves it; Telegram
                # reports whole seconds.
                wait = times[len(times) - limit] + window - now
                raise _too_many_requests(max(1, math.ceil(wait)))

    def _lookup_editable(self, params: JSONDict) -> tuple[ChatId, int, JSONDict]:
        if params.get("inline_message_id"):
            raise _bad_request("MESSAGE_ID_INVALID")  # inline messages are not modelled
        chat_id = _chat_id_param(params)
        self._check_chat(chat_id)
        message_id = _int_param(params, "message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise _bad_request("message to edit not found")
        if message["from"].get("id") != self.bot_user["id"]:
            raise _bad_request("message can't be edited")
        return chat_id, message_id, message

    # ------------------------------------------------------------------ Bot API methods

    def _get_me(self, call: _Call) -> JSONDict:
        return dict(self.bot_user)

    def _send_message(self, call: _Call) -> JSONDict:
        params = call.params
        chat_id = _chat_id_param(params)
        self._check_chat(chat_id)
        text = _text_param(params)
        markup = _markup_param(params)
        now = time.monotonic()
        if self.enforce_limits:
            self._check_rate_limits(chat_id, now)

        message = self._new_message(chat_id, sender=self.bot_user, text=text)
        if _has_inline_keyboard(markup):
            # Telegram echoes only inline keyboards in the returned Message.
            message["reply_markup"] = markup
        self._sent.append(
            SentMessage(
                chat_id=chat_id,
                message_id=message["message_id"],
                text=text,
                reply_markup=markup,
                parse_mode=_str_param(params, "parse_mode"),
                accepted_at=now,
                response_dropped=call.fault == "drop_after",
            )
        )
        self._accept_times.setdefault(chat_id, []).append(now)
        self._all_accept_times.append(now)
        self._cond.notify_all()
        return message

    def _edit_message_text(self, call: _Call) -> JSONDict:
        chat_id, message_id, message = self._lookup_editable(call.params)
        text = _text_param(call.params)
        # Telegram drops the keyboard when editMessageText omits reply_markup.
        markup = _markup_param(call.params)
        new_markup = markup if _has_inline_keyboard(markup) else None
        if text == message["text"] and new_markup == message.get("reply_markup"):
            raise _bad_request(_NOT_MODIFIED)
        return self._apply_edit(call.method, chat_id, message_id, message, text, new_markup)

    def _edit_message_reply_markup(self, call: _Call) -> JSONDict:
        chat_id, message_id, message = self._lookup_editable(call.params)
        markup = _markup_param(call.params)
        new_markup = markup if _has_inline_keyboard(markup) else None
        if new_markup == message.get("reply_markup"):
            raise _bad_request(_NOT_MODIFIED)
        return self._apply_edit(
            call.method, chat_id, message_id, message, message["text"], new_markup
        )

    def _apply_edit(
        self,
        method: str,
        chat_id: ChatId,
        message_id: int,
        message: JSONDict,
        text: str,
        markup: JSONDict | None,
    ) -> JSONDict:
        message["text"] = text
        message["edit_date"] = int(time.time())
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        self._edits.append(EditRecord(chat_id, message_id, method, text, markup, time.monotonic()))
        self._cond.notify_all()
        return copy.deepcopy(message)

    def _answer_callback_query(self, call: _Call) -> bool:
        query_id = _str_param(call.params, "callback_query_id")
        if not query_id or query_id not in self._open_callbacks:
            raise _bad_request(_QUERY_INVALID)
        # A query can be answered once.
        self._open_callbacks.discard(query_id)
        self._answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                text=_str_param(call.params, "text"),
                show_alert=_bool_param(call.params, "show_alert"),
                answered_at=time.monotonic(),
            )
        )
        self._cond.notify_all()
        return True

    def _get_updates(self, call: _Call) -> list[JSONDict]:
        if self._webhook.get("url"):
            raise _ApiError(409, _WEBHOOK_CONFLICT)
        offset = _int_param(call.params, "offset")
        limit = _int_param(call.params, "limit") or 100
        limit = min(max(limit, 1), 100)
        timeout = _float_param(call.params, "timeout") or 0.0

        # A newer getUpdates ends any older one still waiting (409 for the older one).
        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()

        def confirm() -> None:
            if offset is None or offset == 0:
                return
            if offset < 0:
                # -N: keep only the last N updates, forget earlier ones.
                del self._updates[: max(len(self._updates) + offset, 0)]
            else:
                self._updates[:] = [u for u in self._updates if u["update_id"] >= offset]

        confirm()
        deadline = time.monotonic() + timeout
        while not self._updates and not self._stopping.is_set():
            if generation != self._poll_generation:
                raise _ApiError(409, _POLL_CONFLICT)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._cond.wait(remaining)
        if generation != self._poll_generation:
            raise _ApiError(409, _POLL_CONFLICT)
        return copy.deepcopy(self._updates[:limit])

    def _set_webhook(self, call: _Call) -> bool:
        url = _str_param(call.params, "url") or ""
        if _bool_param(call.params, "drop_pending_updates"):
            self._updates.clear()
        self._webhook = {"url": url, "secret_token": _str_param(call.params, "secret_token")}
        return True

    def _delete_webhook(self, call: _Call) -> bool:
        if _bool_param(call.params, "drop_pending_updates"):
            self._updates.clear()
        self._webhook = {}
        return True

    def _get_webhook_info(self, call: _Call) -> JSONDict:
        return {
            "url": self._webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _set_my_commands(self, call: _Call) -> bool:
        commands = _json_param(call.params, "commands")
        if not isinstance(commands, list):
            raise _bad_request("commands must be an array")
        for cmd in commands:
            if not isinstance(cmd, dict) or not _COMMAND_NAME.match(str(cmd.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise _bad_request("command description must be 1-256 characters")
        self._commands[_commands_key(call.params)] = commands
        return True

    def _get_my_commands(self, call: _Call) -> list[JSONDict]:
        return list(self._commands.get(_commands_key(call.params), []))

    def _delete_my_commands(self, call: _Call) -> bool:
        self._commands.pop(_commands_key(call.params), None)
        return True

    def _send_chat_action(self, call: _Call) -> bool:
        chat_id = _chat_id_param(call.params)
        self._check_chat(chat_id)
        if _str_param(call.params, "action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True


# --------------------------------------------------------------------------- parameter parsing


def _parse_params(query: str, content_type: str | None, body: bytes) -> JSONDict:
    """Merge query string and body parameters, whichever encoding the client chose."""
    params: JSONDict = dict(parse_qsl(query, keep_blank_values=True))
    if not body:
        return params
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime == "application/json":
        try:
            decoded = json.loads(body)
        except ValueError as exc:
            raise ValueError("can't parse JSON object") from exc
        if not isinstance(decoded, dict):
            raise ValueError("JSON object expected")
        params.update(decoded)
    elif mime == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str):
                raw = part.get_payload(decode=True)
                if isinstance(raw, bytes):
                    params[name] = raw.decode("utf-8", "replace")
    else:
        # application/x-www-form-urlencoded (PTB's HTTPXRequest) and anything unlabeled.
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _lenient_chat_id(value: Any) -> ChatId | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT_LITERAL.match(value):
        return int(value)
    if isinstance(value, str) and value:
        return value
    return None


def _chat_id_param(params: JSONDict) -> ChatId:
    chat_id = _lenient_chat_id(params.get("chat_id"))
    if chat_id is None:
        raise _bad_request("chat_id is empty")
    return chat_id


def _str_param(params: JSONDict, name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def _int_param(params: JSONDict, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad_request(f"invalid {name} specified") from None


def _float_param(params: JSONDict, name: str) -> float | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _bad_request(f"invalid {name} specified") from None


def _bool_param(params: JSONDict, name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _json_param(params: JSONDict, name: str) -> Any:
    # Form encodings carry objects as JSON strings; a JSON body carries them as objects.
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _bad_request(f"can't parse {name} JSON object") from None
    return value


def _text_param(params: JSONDict) -> str:
    text = _str_param(params, "text")
    if not text or not text.strip():
        raise _bad_request("message text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise _bad_request("message is too long")
    return text


def _markup_param(params: JSONDict) -> JSONDict | None:
    if params.get("reply_markup") in (None, ""):
        return None
    try:
        markup = _json_param(params, "reply_markup")
    except _ApiError:
        raise _bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(markup, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup["inline_keyboard"])
    return markup


def _validate_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request("inline_keyboard must be an array of arrays of buttons")
    for button in _flatten(rows):
        if not isinstance(button, dict) or not button.get("text"):
            raise _bad_request("can't parse inline keyboard button: text is missing")
        if set(button) == {"text"}:
            # An inline button must do something (callback_data, url, ...).
            raise _bad_request("text buttons are unallowed in the inline keyboard")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise _bad_request("BUTTON_DATA_INVALID")


def _flatten(rows: Iterable[list[Any]]) -> Iterable[Any]:
    for row in rows:
        yield from row


def _has_inline_keyboard(markup: JSONDict | None) -> bool:
    return bool(markup and markup.get("inline_keyboard"))


def _commands_key(params: JSONDict) -> str:
    scope = _json_param(params, "scope") or {"type": "default"}
    return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)
