"""Telegram's limits kept under load: never a 429 from a strict stand-in, two batches sharing the pace, fair order."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import pytest

from models.chat import GroupChat
from models.db import session_scope
from notifiers import NOTIFIERS
from tests import factories
from tests.notifiers.conftest import (
    IGNORE_RETRY_AFTER_WARNING,
    FastTelegram,
    build_county,
    coordinator_id,
    deliver,
)
from tests.support.bot_api_standin import BotApiStandIn, TelegramLimits
from yinhui.services.outbox import enqueue

pytestmark = IGNORE_RETRY_AFTER_WARNING


@contextlib.contextmanager
def strict_standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[BotApiStandIn]:
    """A stand-in that refuses (429) anything above Telegram's limits, with the channel pointed at it."""
    from yinhui.settings import reset_settings

    with BotApiStandIn(enforce_limits=True, limits=TelegramLimits(tolerance=0.0)) as strict:
        monkeypatch.setenv("YINHUI_TELEGRAM_TOKEN", strict.token)
        monkeypatch.setenv("YINHUI_TELEGRAM_API_URL", strict.base_url)
        reset_settings()
        monkeypatch.setitem(NOTIFIERS, "telegram", FastTelegram)
        yield strict
    reset_settings()


def test_limits_hold_under_a_burst(database, monkeypatch, api):
    """Forty chats at once, five messages to one chat, five to one group: never a 429."""
    with strict_standin(monkeypatch) as strict:
        with session_scope() as s:
            factories.small_county(s)
            busy = factories.coordinator(s, "忙人", "staff")
            busy.chat_id, busy.channel = 7, "telegram"
            for i in range(40):
                c = factories.coordinator(s, f"协调员{i}", "staff")
                c.chat_id, c.channel = 100 + i, "telegram"
                enqueue(s, dedupe_key=f"a{i}", recipient_id=c.id, channel="telegram", kind="alert", subject="s", body=f"消息 {i}")
            for i in range(5):
                enqueue(s, dedupe_key=f"b{i}", recipient_id=busy.id, channel="telegram", kind="alert", subject="s", body=f"忙 {i}")
            group = GroupChat(chat_id=-555, grid_id=factories.grid(s, "城关镇", "东街村"))
            s.add(group)
            s.flush()
            for i in range(5):
                enqueue(s, dedupe_key=f"g{i}", recipient_id=None, channel="telegram", kind="notice", subject="s",
                        body=f"群 {i}", payload={"group_chat_id": group.id})
        started = time.monotonic()
        assert deliver()["sent"] == 50
        elapsed = time.monotonic() - started
        assert all(r.status == 200 for r in strict.requests), [r for r in strict.requests if r.status != 200][:3]
        assert strict.max_rate_overall() <= 30
        assert strict.max_rate_per_chat() == 1
        assert strict.max_per_group_minute() <= 20
        # Five messages to one chat need four seconds and a little; the rest fits in between.
        assert 4.0 <= elapsed < 10.0


def test_two_batches_in_flight_share_the_limits_and_keep_each_chats_order(database, monkeypatch, api):
    """The dispatcher overlaps batches: a chat in both still gets its messages in order, one a second."""
    with strict_standin(monkeypatch) as strict:
        chats = (201, 202, 203)
        with session_scope() as s:
            factories.small_county(s)
            people = []
            for chat in chats:
                person = factories.coordinator(s, f"协调员{chat}", "staff")
                person.chat_id, person.channel = chat, "telegram"
                people.append(person)
            s.flush()
            for turn in range(4):  # turns 0-1 make the first batch of six, 2-3 the second
                for person in people:
                    enqueue(s, dedupe_key=f"t{turn}:{person.chat_id}", recipient_id=person.id, channel="telegram",
                            kind="alert", subject="s", body=f"第{turn}条")
        first: list[dict[str, int]] = []
        sending = threading.Thread(target=lambda: first.append(deliver(limit=6)))
        sending.start()
        strict.wait_until(lambda: len(strict.sent) >= 1)
        second = deliver(limit=6)  # claimed while the first batch still waits out its chats' seconds
        sending.join()
        assert first[0]["sent"] == 6 and second["sent"] == 6
        assert all(r.status == 200 for r in strict.requests), [r for r in strict.requests if r.status != 200][:3]
        assert strict.max_rate_per_chat() == 1 and strict.duplicates() == {}
        for chat in chats:
            assert [m.text for m in strict.sent if m.chat_id == chat] == ["第0条", "第1条", "第2条", "第3条"]


def test_the_chat_with_the_most_to_send_starts_first(database, channel, monkeypatch):
    """A group's notices go one a second; started last they would keep the whole batch waiting."""
    api = channel
    build_county()
    with session_scope() as s:
        for i in range(3):  # one alert to each of the three coordinators
            enqueue(s, dedupe_key=f"alert:{i}", recipient_id=coordinator_id(s, i), channel="telegram",
                    kind="alert", subject="提醒", body=f"提醒 {i}")
        group = GroupChat(chat_id=-4002, grid_id=factories.grid(s, "城关镇", "东街村"), title="东街村网格群")
        s.add(group)
        s.flush()
        for i in range(3):  # queued after the alerts
            enqueue(s, dedupe_key=f"grid-notice:{i}", recipient_id=None, channel="telegram", kind="notice",
                    subject="网格通报", body=f"📣 网格通报 {i}", payload={"group_chat_id": group.id})
    monkeypatch.setitem(NOTIFIERS, "telegram", lambda: FastTelegram(concurrency=1))  # one chat after another
    assert deliver()["sent"] == 6
    assert [m.chat_id for m in api.sent][:3] == [-4002] * 3
