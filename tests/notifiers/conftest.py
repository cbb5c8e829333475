"""Fixtures for the chat channels: the Bot API stand-in, a small county bound to chats, a planned day."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

# Prefect sets up logging when first imported (dictConfig replaces the root handlers); import it
# at collection so pytest's caplog handler, installed per test, is not swept away mid-test.
import flows.dispatch_outbox  # noqa: F401
from notifiers.telegram import TelegramNotifier
from tests import factories
from tests.support.bot_api_standin import BotApiStandIn
from tests.support.robots import mailbox, robots  # noqa: F401  (the robot and mail stand-ins: fixtures)

D = dt.date.fromisoformat
VILLAGE_CHAT, TOWN_CHAT, LEADER_CHAT = 1001, 1002, 1003
PHONES = ("13912345678", "13800001111", "13700002222", "13600003333", "13500004444")

# PTB 22 warns whenever RetryAfter.retry_after is read as an int, inside PTB itself too.
IGNORE_RETRY_AFTER_WARNING = pytest.mark.filterwarnings("ignore:.*retry_after.*")


@pytest.fixture
def api() -> Iterator[BotApiStandIn]:
    with BotApiStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def telegram_env(api: BotApiStandIn, monkeypatch: pytest.MonkeyPatch) -> Iterator[BotApiStandIn]:
    """Settings pointing the channel and the bot at the stand-in (never at Telegram)."""
    from yinhui.settings import reset_settings

    monkeypatch.setenv("YINHUI_TELEGRAM_TOKEN", api.token)
    monkeypatch.setenv("YINHUI_TELEGRAM_API_URL", api.base_url)
    reset_settings()
    yield api
    reset_settings()


READ_TIMEOUT = 3.0  # seconds


class FastTelegram(TelegramNotifier):
    """The real channel with short backoff, so fault tests take seconds.

    The timeouts stay well above what a busy machine adds to a loopback answer (a second or two):
    a reply that merely came late must not count as lost, or the channel rightly sends it again and
    a test counting messages sees a copy it did not cause. Timeout faults wait longer than these.
    """

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("read_timeout", READ_TIMEOUT)
        kwargs.setdefault("connect_timeout", READ_TIMEOUT)
        kwargs.setdefault("backoff", (0.05, 0.1, 0.2, 0.4))
        super().__init__(**kwargs)  # type: ignore[arg-type]


@pytest.fixture
def channel(monkeypatch, telegram_env):
    """The stand-in, with the real Telegram channel (short timeouts) registered for the outbox."""
    from notifiers import NOTIFIERS

    monkeypatch.setitem(NOTIFIERS, "telegram", FastTelegram)
    return telegram_env


def deliver(**kwargs: object) -> dict[str, int]:
    from flows.deliver import deliver_batch

    return deliver_batch(**kwargs)  # type: ignore[arg-type]


def notifications() -> list[Any]:
    from sqlalchemy import select

    from models.db import session_scope
    from models.outbox import Notification

    with session_scope() as s:
        return list(s.execute(select(Notification).order_by(Notification.id)).scalars())


def later(hours: int = 2) -> Any:
    """Move the clock past a failed message's retry time."""
    import pendulum

    from yinhui import clock

    return clock.frozen_at(pendulum.now("Asia/Shanghai").add(hours=hours))


def coordinator_id(session: Any, i: int) -> int:
    """The village, town and leader coordinators in turn (build_county binds their chats)."""
    from sqlalchemy import select

    from models.people import Coordinator

    chats = [VILLAGE_CHAT, TOWN_CHAT, LEADER_CHAT]
    return session.execute(select(Coordinator.id).where(Coordinator.chat_id == chats[i % 3])).scalar_one()


@dataclass
class County:
    leader: int
    town: int
    village: int
    cadres: dict[str, int] = field(default_factory=dict)
    id_numbers: list[str] = field(default_factory=list)


def bind(session: Any, coordinator_id: int, chat_id: int) -> None:
    from models.people import Coordinator

    coordinator = session.get(Coordinator, coordinator_id)
    coordinator.chat_id, coordinator.channel = chat_id, "telegram"
    session.add(coordinator)
    session.flush()


def build_county(*, bound: bool = True) -> County:
    """small_county plus five cadres; the village, town and leader coordinators on Telegram."""
    from models.db import session_scope

    with session_scope() as s:
        people = factories.small_county(s)
        county = County(people["leader"].id, people["town"].id, people["village"].id)
        placed = [("张老", "东街村", "城关镇"), ("王老", "东街村", "城关镇"), ("刘老", "东街村", "城关镇"),
                  ("陈老", "西街村", "城关镇"), ("赵老", "上村", "河底镇")]
        for (name, village, town), phone in zip(placed, PHONES, strict=True):
            cadre = factories.cadre(s, name, village=village, township=town, phones=phone)
            county.cadres[name] = cadre.id
            county.id_numbers.append(cadre.id_number)
        if bound:
            bind(s, county.village, VILLAGE_CHAT)
            bind(s, county.town, TOWN_CHAT)
            bind(s, county.leader, LEADER_CHAT)
    return county


def plan_day(day: dt.date) -> int:
    """Create the day's cadence tasks and queue the digests (what the daily-plan flow does)."""
    from flows.digests import write_digests
    from models.db import session_scope
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.cadence import due_cadence
    from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners

    playbook = current_playbook()
    with session_scope() as s:
        assignment = refresh_grid_owners(s)
        for due in due_cadence(playbook, day):
            create_cadence_tasks(s, due, day=day, prio=playbook.priority, leader_id=assignment.leader_id, actor="test")
    return write_digests(day)


def tasks_of(cadre_id: int) -> list[Any]:
    from sqlalchemy import select

    from models.db import session_scope
    from models.tasks import Task

    with session_scope() as s:
        return list(s.execute(select(Task).where(Task.cadre_id == cadre_id).order_by(Task.id)).scalars())


def find_button(api: BotApiStandIn, chat_id: int, task_id: int, label: str) -> tuple[int, str]:
    """(message id, callback data) of the button whose label contains `label` on the task's answer row."""
    for sent in reversed(api.sent):
        if sent.chat_id != chat_id:
            continue
        rows = (api.message(chat_id, sent.message_id).get("reply_markup") or {}).get("inline_keyboard", [])
        for i, row in enumerate(rows):
            if row and row[0]["text"].startswith(f"#{task_id} "):
                for button in rows[i + 1] if i + 1 < len(rows) else []:
                    if label in button["text"]:
                        return sent.message_id, button["callback_data"]
    raise LookupError(f"no {label!r} button for task #{task_id} in chat {chat_id}")


@contextlib.asynccontextmanager
async def running_bot(api: BotApiStandIn) -> AsyncIterator[Any]:
    """The real Application polling the stand-in; stopped cleanly at the end."""
    from notifiers.bot.app import build_application

    app = build_application(api.token, base_url=api.base_url, read_timeout=3.0)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def press(api: BotApiStandIn, chat_id: int, message_id: int, data: str, *, user_id: int | None = None,
                strict: bool = True) -> str:
    """Press a button and wait for the bot's answer to that callback; returns the answer text."""
    query_id = api.push_callback(chat_id, message_id, data, user_id=user_id, strict=strict)
    await api.wait_until_async(lambda: any(a.callback_query_id == query_id for a in api.answered_callbacks), timeout=5)
    return next(a.text for a in api.answered_callbacks if a.callback_query_id == query_id)


async def say(api: BotApiStandIn, chat_id: int, text: str, **kwargs: Any) -> list[str]:
    """Write to the bot and wait for its replies (one, unless more are expected)."""
    before = len([m for m in api.sent if m.chat_id == chat_id])
    api.push_text(chat_id, text, **kwargs)
    await api.wait_until_async(lambda: api.pending_updates == 0, timeout=5)
    await api.wait_until_async(lambda: len([m for m in api.sent if m.chat_id == chat_id]) > before, timeout=5)
    return [m.text for m in api.sent if m.chat_id == chat_id][before:]


def first_lists_sent(county: County) -> County:
    """The county's 1 October planned and its three lists (village, town, leader) sent with their buttons."""
    plan_day(D("2026-10-01"))
    assert deliver()["sent"] == 3
    return county


@pytest.fixture
def planned(database: Any, telegram_env: BotApiStandIn) -> County:
    """The small county, bound to its chats, with the first lists sent: the start of most chat tests."""
    return first_lists_sent(build_county())
