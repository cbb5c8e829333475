"""The chat side of the Bot API stand-in: updates users make (texts, button presses) and the Bot API methods.

A mixin of `BotApiStandIn`: it works on the state that class sets up, always under its lock.
"""

from __future__ import annotations

import bisect
import copy
import math
import time
from typing import Any

from tests.support.standin_model import (
    _CHAT_ACTIONS,
    _COMMAND,
    _COMMAND_NAME,
    _NOT_MODIFIED,
    _POLL_CONFLICT,
    _QUERY_INVALID,
    _SUPERGROUP_ID_CEILING,
    _WEBHOOK_CONFLICT,
    CallbackAnswer,
    ChatId,
    EditRecord,
    JSONDict,
    SentMessage,
    TelegramLimits,
    _ApiError,
    _bad_request,
    _bool_param,
    _Call,
    _chat_id_param,
    _commands_key,
    _float_param,
    _has_inline_keyboard,
    _int_param,
    _json_param,
    _markup_param,
    _str_param,
    _text_param,
    _too_many_requests,
    _utf16_len,
)


class ChatSide:
    """Pushing updates, and answering getMe, sendMessage, edits, callback answers, getUpdates and the rest."""

    # State owned by BotApiStandIn (set in its __init__).
    _cond: Any
    _lock: Any
    _stopping: Any
    limits: TelegramLimits
    bot_user: JSONDict
    _chat_types: dict[ChatId, str]
    _messages: dict[tuple[ChatId, int], JSONDict]
    _next_message_id: dict[ChatId, int]
    _sent: list[SentMessage]
    _edits: list[EditRecord]
    _answers: list[CallbackAnswer]
    _accept_times: dict[ChatId, list[float]]
    _all_accept_times: list[float]
    _updates: list[JSONDict]
    _next_update_id: int
    _poll_generation: int
    _callback_ids: Any
    _open_callbacks: set[str]
    _webhook: JSONDict
    _commands: dict[str, list[JSONDict]]
    _blocked: set[ChatId]
    _missing: set[ChatId]
    _migrated: dict[ChatId, int]
    enforce_limits: bool

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
