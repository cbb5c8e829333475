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

import itertools
import json
import random
import socket
import threading
import time
from collections import deque
from types import TracebackType
from typing import cast
from urllib.parse import urlsplit

from tests.support.standin_chat import ChatSide
from tests.support.standin_http import _RequestHandler, _Server
from tests.support.standin_inspect import Inspection
from tests.support.standin_model import (
    _TOKEN_SHAPE,
    DEFAULT_TOKEN,
    FAULT_KINDS,
    CallbackAnswer,
    ChatId,
    EditRecord,
    FaultKind,
    FaultPlan,
    JSONDict,
    RequestRecord,
    SentMessage,
    TelegramLimits,
    _ApiError,
    _bad_request,
    _Call,
    _Handler,
    _lenient_chat_id,
    _Outcome,
    _parse_params,
    _ScriptedFault,
    _too_many_requests,
)

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


# --------------------------------------------------------------------------- the stand-in

class BotApiStandIn(ChatSide, Inspection):
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
