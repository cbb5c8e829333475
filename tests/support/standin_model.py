"""The Bot API stand-in's vocabulary: fault plans and limits, what it records, Telegram's errors, request parameters.

Standard library only, like the stand-in itself (benchmarks import it without pytest).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl

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
