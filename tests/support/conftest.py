"""The Bot API stand-in's test client: a real python-telegram-bot `Bot` with short timeouts, and a fresh stand-in."""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest

from tests.support.bot_api_standin import BotApiStandIn

PRIVATE = 1001
GROUP = -4001
SUPERGROUP = -1001234567890
READ_TIMEOUT = 0.5  # seconds; every "timeout" fault below waits longer than this


def _request(read_timeout: float = READ_TIMEOUT) -> HTTPXRequest:
    return HTTPXRequest(read_timeout=read_timeout, connect_timeout=1.0, pool_timeout=1.0)


def _keyboard(*datas: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in datas]])


def _retry_after_seconds(exc: RetryAfter) -> float:
    # An int today, a timedelta once PTB_TIMEDELTA is on (the PTB 23 default).
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest.fixture
def api() -> Iterator[BotApiStandIn]:
    with BotApiStandIn() as stand_in:
        yield stand_in


@pytest.fixture
async def bot(api: BotApiStandIn) -> AsyncIterator[Bot]:
    client = Bot(
        api.token,
        base_url=api.base_url,
        base_file_url=api.base_file_url,
        request=_request(),
        get_updates_request=_request(),
    )
    async with client:
        yield client
