"""Keeps secrets and personal data out of log lines: bot tokens, robot keys, phones, ID numbers.

httpx logs every request URL at INFO, and a Bot API URL carries the bot token; python-telegram-bot
logs request parameters (message texts, with phones) at DEBUG. `install_log_redaction` turns those
loggers down and rewrites every log record as it is made, so nothing slips through a handler
someone adds later (Prefect's included).
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Callable
from typing import Any

from yinhui.privacy import mask_id_number, mask_phone

_BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
_URL_SECRET = re.compile(r"(?i)\b(key|access_token|token|secret|sign|password|pass)=([^&\s\"']+)")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+):([^@/\s]+)@")
_MOBILE = re.compile(r"(?<![\d])1[3-9]\d{9}(?![\d])")
_ID_NUMBER = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")

_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False

# Loggers whose chatter carries URLs or message texts below these levels.
QUIET_LOGGERS = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "telegram": logging.INFO,
                 "apprise": logging.INFO, "tornado.access": logging.WARNING}


def redact(text: str) -> str:
    """The text with known secrets, token-shaped strings, URL keys, phones and ID numbers masked."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, "<secret>")
    text = _BOT_TOKEN.sub("<token>", text)
    text = _URL_SECRET.sub(lambda m: f"{m.group(1)}=***", text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:***@", text)
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    return _MOBILE.sub(lambda m: mask_phone(m.group(0)), text)


def mask_url(url: str) -> str:
    """An Apprise or webhook URL fit to show an operator: keys and passwords starred."""
    text = _URL_SECRET.sub(lambda m: f"{m.group(1)}=***", url)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:***@", text)
    # wecombot://KEY and dingtalk://TOKEN carry the secret as the host part.
    return re.sub(r"^((?:wecombot|dingtalk)://)([^/?]{4})[^/?]*", r"\1\2***", text)


def _redacting_factory(previous: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call; the handler reports it as logging always does
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            clean = redact(text)
            if clean != text:
                record.exc_text = clean  # formatters use exc_text when it is already set
        return record

    make._yinhui_redacting = True  # type: ignore[attr-defined]
    return make


def install_log_redaction(*secrets: str | None) -> None:
    """Silence the chatty loggers and redact every record from now on; idempotent."""
    global _installed
    with _lock:
        _secrets.update(s for s in secrets if s)
        for name, level in QUIET_LOGGERS.items():
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET or logger.level < level:
                logger.setLevel(level)
        factory = logging.getLogRecordFactory()
        if not _installed or not getattr(factory, "_yinhui_redacting", False):
            logging.setLogRecordFactory(_redacting_factory(factory))
            _installed = True
