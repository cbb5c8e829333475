"""The Telegram channel under every fault the Bot API stand-in can throw, through the real outbox.

Each test sends with the real python-telegram-bot client over HTTP to the stand-in on 127.0.0.1,
and checks what a coordinator (or the operator) would notice: what arrived, how often, and what
the outbox says about what did not.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Sequence

import pytest
from sqlalchemy import select

from models.chat import ChatMessage, GroupChat
from models.db import session_scope
from models.outbox import Notification
from models.people import Coordinator
from notifiers import NOTIFIERS
from notifiers.base import AboutToSend, Outbound, PartSent, Progress, Result
from notifiers.rate_limit import ChatLimits
from tests import factories
from tests.notifiers.conftest import (
    IGNORE_RETRY_AFTER_WARNING,
    LEADER_CHAT,
    PHONES,
    READ_TIMEOUT,
    TOWN_CHAT,
    VILLAGE_CHAT,
    D,
    FastTelegram,
    build_county,
    coordinator_id,
    deliver,
    later,
    notifications,
    plan_day,
)
from yinhui.services.delivery import undelivered_report
from yinhui.services.outbox import enqueue

pytestmark = IGNORE_RETRY_AFTER_WARNING


# -- the happy path ------------------------------------------------------------------------------


def test_each_digest_goes_once_and_its_message_id_is_recorded(database, channel):
    api = channel
    build_county()
    assert plan_day(D("2026-10-01")) == 3
    result = deliver()
    assert result["sent"] == 3 and result["claimed"] == 3
    assert sorted(m.chat_id for m in api.sent) == [VILLAGE_CHAT, TOWN_CHAT, LEADER_CHAT]
    village = next(m for m in api.sent if m.chat_id == VILLAGE_CHAT)
    assert village.text.startswith("📋 2026-10-01 工作提醒\n赵村网格，您好！")
    assert PHONES[0] in village.text  # the coordinator's own private chat may show phones
    assert village.reply_markup and village.reply_markup["inline_keyboard"]
    rows = notifications()
    assert {n.status for n in rows} == {"sent"}
    assert {n.external_id for n in rows if n.recipient_id} >= {f"tg:{VILLAGE_CHAT}:{village.message_id}"}
    with session_scope() as s:
        assert len(s.execute(select(ChatMessage)).all()) == 3
    # Nothing is sent twice, however often the dispatcher runs.
    assert deliver().get("sent", 0) == 0
    assert len(api.sent) == 3 and api.duplicates() == {}


def test_overlapping_dispatchers_never_send_a_message_twice(database, channel):
    api = channel
    build_county()
    with session_scope() as s:
        for i in range(30):
            enqueue(s, dedupe_key=f"alert:{i}", recipient_id=None if False else coordinator_id(s, i),
                    channel="telegram", kind="alert", subject="提醒", body=f"第 {i} 条提醒")
    results: list[dict[str, int]] = []
    threads = [threading.Thread(target=lambda: results.append(deliver(limit=12))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    while deliver(limit=12).get("claimed"):
        pass
    assert api.duplicates() == {}
    assert len(api.sent) == 30
    assert {n.status for n in notifications()} == {"sent"}


# -- faults ----------------------------------------------------------------------------------------


def test_retry_after_waits_as_long_as_told(database, channel):
    api = channel
    build_county()
    plan_day(D("2026-10-01"))
    api.inject_faults("retry_after", retry_after=2)
    assert deliver()["sent"] == 3
    sends = [r for r in api.requests if r.method == "sendMessage"]
    refused = next(r for r in sends if r.status == 429)
    again = next(r for r in sends if r.chat_id == refused.chat_id and r.at > refused.at)
    assert again.at - refused.at >= 2.0
    assert len(api.sent) == 3 and api.duplicates() == {}


def test_timeouts_server_errors_and_dropped_connections_are_retried(database, channel):
    api = channel
    build_county()
    plan_day(D("2026-10-01"))
    api.inject_faults("timeout", "server_error", "drop_before", timeout_seconds=READ_TIMEOUT + 1.0)
    assert deliver()["sent"] == 3
    faults = [r.fault for r in api.requests if r.method == "sendMessage" and r.fault]
    assert faults == ["timeout", "server_error", "drop_before"]
    assert len(api.sent) == 3 and api.duplicates() == {}


def test_a_response_dropped_after_acceptance_is_the_only_way_to_a_duplicate(database, channel):
    api = channel
    build_county()
    plan_day(D("2026-10-01"))
    api.inject_faults("drop_after")
    assert deliver()["sent"] == 3
    assert api.dropped_after_accept == 1
    [(chat, copies)] = [(key[0], msgs) for key, msgs in api.duplicates().items()]
    assert [m.response_dropped for m in copies] == [True, False]
    assert len(api.sent) == 4


def test_lasting_network_trouble_leaves_the_message_in_the_outbox_with_its_reason(database, channel, monkeypatch):
    api = channel
    build_county()
    plan_day(D("2026-10-01"))
    api.inject_faults(*["server_error"] * 5)  # FastTelegram tries five times
    monkeypatch.setitem(NOTIFIERS, "telegram", lambda: FastTelegram(concurrency=1))  # one chat after another
    result = deliver()
    assert result["sent"] == 2 and result["failed"] == 1
    [failed] = [n for n in notifications() if n.status == "failed"]
    assert "Internal Server Error" in failed.last_error and "5 tries" in failed.last_error
    with session_scope() as s:
        [row] = undelivered_report(s)
    assert row["status"] == "failed" and row["retry_after"] is not None and "Internal Server Error" in row["reason"]
    # Not before its retry time...
    assert deliver().get("sent", 0) == 0
    # ...then it goes, once.
    with later():
        assert deliver()["sent"] == 1
    assert len(api.sent) == 3 and api.duplicates() == {}


@pytest.mark.parametrize("fault", ["blocked", "missing"])
def test_an_unreachable_chat_breaks_the_channel_and_the_leader_is_told_once(database, channel, fault):
    api = channel
    county = build_county()
    plan_day(D("2026-10-01"))
    (api.block_chat if fault == "blocked" else api.missing_chat)(VILLAGE_CHAT)
    result = deliver()
    assert result["sent"] == 2 and result["dead"] == 1
    with session_scope() as s:
        village = s.get(Coordinator, county.village)
        assert village.channel_broken and ("blocked" in village.channel_broken or "not found" in village.channel_broken)
        [dead] = [n for n in s.execute(select(Notification).where(Notification.status == "dead")).scalars()]
        assert dead.recipient_id == county.village
        alerts = list(s.execute(select(Notification).where(Notification.kind == "alert")).scalars())
    assert [a.recipient_id for a in alerts] == [county.leader]
    # The dispatcher delivers the leader's alert in the same run of the flow (here: the next batch).
    deliver()
    alert = next(m for m in api.sent if m.chat_id == LEADER_CHAT and "送达失败" in m.text)
    assert "赵村网格" in alert.text and "yinhui coordinator invite 赵村网格" in alert.text
    # Another failure the next day does not tell the leader again.
    plan_day(D("2026-10-02"))
    with session_scope() as s:
        enqueue(s, dedupe_key="x", recipient_id=county.village, channel="telegram", kind="alert", subject="s", body="again")
    deliver()
    with session_scope() as s:
        assert s.execute(select(Notification).where(Notification.kind == "alert")).all().__len__() == 2  # 1 alert + "x"
    assert sum(1 for r in api.requests if r.chat_id == VILLAGE_CHAT and r.method == "sendMessage") == 2


def test_a_migrated_group_is_followed_and_its_new_id_stored(database, channel):
    api = channel
    county = build_county()
    new_id = -1009876543210
    with session_scope() as s:
        group = GroupChat(chat_id=-4001, grid_id=factories.grid(s, "城关镇", "东街村"), title="东街村网格群")
        s.add(group)
        s.flush()
        enqueue(s, dedupe_key="grid-notice:1", recipient_id=None, channel="telegram", kind="notice",
                subject="网格通报", body="📣 网格通报\n在办任务 3 项", payload={"group_chat_id": group.id})
        enqueue(s, dedupe_key="grid-notice:2", recipient_id=None, channel="telegram", kind="notice",
                subject="网格通报", body="📣 网格通报\n第二条", payload={"group_chat_id": group.id})
    api.migrate_chat(-4001, new_id)
    assert deliver()["sent"] == 2
    assert [m.chat_id for m in api.sent] == [new_id, new_id]
    with session_scope() as s:
        assert s.execute(select(GroupChat.chat_id)).scalar_one() == new_id
    assert county.leader  # nobody was told anything: a migration is not a failure


def test_bad_request_is_permanent_and_never_retried(database, channel, monkeypatch):
    api = channel
    build_county()
    plan_day(D("2026-10-01"))

    class TooLongTokens(FastTelegram):
        # A button whose data is over Telegram's 64 bytes: the Bot API answers 400 Bad Request.
        def notify_all(self, messages: Sequence[Outbound], progress: Progress | None = None) -> list[Result]:
            longer = [dataclasses.replace(m, buttons={t: token * 5 for t, token in m.buttons.items()}) for m in messages]
            return super().notify_all(longer, progress)

    monkeypatch.setitem(NOTIFIERS, "telegram", TooLongTokens)
    result = deliver()
    assert result["dead"] == 3
    assert sum(1 for r in api.requests if r.method == "sendMessage") == 3  # one try each
    reasons = {n.last_error for n in notifications()}
    assert reasons == {"BadRequest: Button_data_invalid"}
    with session_scope() as s:
        assert all(c.channel_broken is None for c in s.execute(select(Coordinator)).scalars())


def test_a_long_digest_resumes_where_it_failed(database, channel, monkeypatch):
    api = channel
    build_county()
    with session_scope() as s:
        for i in range(8):
            factories.cadre(s, f"东街{i}", village="东街村", phones=f"1391000{i:04d}")
    plan_day(D("2026-10-01"))  # the village coordinator has 22 tasks: three messages

    class FailAfterFirstPart(FastTelegram):
        # As soon as part 1 of the village digest is on record, the Bot API starts failing.
        def notify_all(self, messages: Sequence[Outbound], progress: Progress | None = None) -> list[Result]:
            def watch(event: PartSent | Result) -> None:
                assert progress is not None
                progress(event)
                if isinstance(event, PartSent) and event.chat_id == VILLAGE_CHAT and event.part == 0:
                    api.inject_faults(*(["server_error"] * 5))

            return super().notify_all(messages, watch)

    monkeypatch.setitem(NOTIFIERS, "telegram", lambda: FailAfterFirstPart(concurrency=1))
    result = deliver()
    assert result["failed"] == 1
    assert [m.text.split("\n", 1)[0] for m in api.sent if m.chat_id == VILLAGE_CHAT] == ["📋 2026-10-01 工作提醒（1/3）"]
    with session_scope() as s:
        parts = s.execute(select(ChatMessage.part).where(ChatMessage.chat_id == VILLAGE_CHAT)).scalars().all()
    assert parts == [0]  # the part the channel reported is on record
    monkeypatch.setitem(NOTIFIERS, "telegram", FastTelegram)
    with later():
        assert deliver()["sent"] == 1
    heads = [m.text.split("\n", 1)[0] for m in api.sent if m.chat_id == VILLAGE_CHAT]
    assert heads == [f"📋 2026-10-01 工作提醒（{i}/3）" for i in (1, 2, 3)]
    assert api.duplicates() == {}
    [village] = [n for n in notifications() if n.external_id and n.external_id.startswith(f"tg:{VILLAGE_CHAT}:")]
    assert village.external_id == f"tg:{VILLAGE_CHAT}:1,2,3" and village.attempts == 2


def test_a_missing_token_keeps_messages_in_the_outbox(database, monkeypatch, prefect_harness):
    from yinhui.settings import reset_settings

    monkeypatch.delenv("YINHUI_TELEGRAM_TOKEN", raising=False)
    monkeypatch.setenv("YINHUI_TELEGRAM_TOKEN_BLOCK", "no-such-block-anywhere")
    reset_settings()
    build_county()
    plan_day(D("2026-10-01"))
    result = deliver()
    assert result["failed"] == 3
    assert all("no Telegram token" in n.last_error for n in notifications())


def test_the_token_can_come_from_a_prefect_secret_block(database, monkeypatch, prefect_harness, api):
    from prefect.blocks.system import Secret

    from yinhui.settings import reset_settings

    Secret(value=api.token).save("yinhui-test-telegram-token", overwrite=True)
    monkeypatch.delenv("YINHUI_TELEGRAM_TOKEN", raising=False)
    monkeypatch.setenv("YINHUI_TELEGRAM_TOKEN_BLOCK", "yinhui-test-telegram-token")
    monkeypatch.setenv("YINHUI_TELEGRAM_API_URL", api.base_url)
    monkeypatch.setitem(NOTIFIERS, "telegram", FastTelegram)
    reset_settings()
    build_county()
    plan_day(D("2026-10-01"))
    assert deliver()["sent"] == 3
    assert len(api.sent) == 3


def test_the_channel_alone_sends_and_reports_without_a_database(telegram_env, monkeypatch, tmp_path):
    """No database at all: whatever the channel needs comes with the message, whatever happened comes back."""
    from notifiers.base import Recipient
    from yinhui.messages.notices import stored_text
    from yinhui.settings import reset_settings

    monkeypatch.setenv("YINHUI_DATABASE_URL", f"sqlite:///{tmp_path / 'absent' / 'nothing.sqlite3'}")  # unopenable
    reset_settings()
    api = telegram_env
    hello = stored_text(kind="alert", subject="s", body="你好", language="zh")
    notifier = FastTelegram(limits=ChatLimits())
    heard: list[PartSent | Result | AboutToSend] = []
    [sent] = notifier.notify_all([Outbound(1, "alert", Recipient(None, "x", chat_id=42), hello)], heard.append)
    assert (sent.outcome, sent.parts, sent.external_id) == ("sent", (1,), "tg:42:1")
    # Asked before the part goes (is it still ours?), the part on record before anything else goes.
    assert heard == [AboutToSend(1, 0), PartSent(1, 0, 42, 1), sent]
    # The same message again, with its one part passed in as sent: nothing goes out twice.
    again = notifier.notify(Outbound(1, "alert", Recipient(None, "x", chat_id=42), hello, sent_parts={0: 1}))
    assert (again.outcome, again.external_id) == ("sent", "tg:42:1")
    assert len(api.sent) == 1
    api.block_chat(43)
    refused = notifier.notify(Outbound(2, "alert", Recipient(None, "x", chat_id=43), hello))
    assert (refused.outcome, refused.unreachable) == ("refused", True)
    assert "你好" not in json.dumps(dataclasses.asdict(refused), ensure_ascii=False)  # the reason names no text
    unbound = notifier.notify(Outbound(3, "alert", Recipient(None, "x"), hello))
    assert unbound.outcome == "refused" and "yinhui coordinator invite" in unbound.reason
    api.migrate_chat(-4001, -1004001)
    moved = notifier.notify(Outbound(4, "notice", Recipient(None, "g", chat_id=-4001, private=False), hello))
    assert (moved.outcome, moved.moved_to, moved.external_id) == ("sent", -1004001, "tg:-1004001:1")
    reset_settings()


@pytest.mark.prefect
def test_the_daily_plan_flow_delivers_over_telegram_and_tells_the_leader_in_the_same_run(
    database, channel, prefect_harness
):
    from flows.daily_plan import daily_plan
    from yinhui import clock

    api = channel
    county = build_county()
    api.block_chat(TOWN_CHAT)
    with clock.frozen_at(D("2026-10-01")):  # the morning run of that day
        result = daily_plan(D("2026-10-01"))
        assert result["dispatch"]["sent"] == 3  # village, leader, and the leader's alert about the town
        assert result["dispatch"]["dead"] == 1 and result["dispatch"]["channels_broken"] == 1
        leader_texts = [m.text for m in api.sent if m.chat_id == LEADER_CHAT]
        assert any("王网格" in t and "blocked" in t for t in leader_texts)
        assert daily_plan(D("2026-10-01"))["dispatch"].get("sent", 0) == 0
    with session_scope() as s:
        assert s.get(Coordinator, county.town).channel_broken


@pytest.mark.prefect
def test_the_dispatch_flow_overlaps_batches_and_sends_each_message_once(database, channel, prefect_harness):
    from flows.dispatch_outbox import dispatch_outbox

    api = channel
    build_county()
    with session_scope() as s:
        for i in range(9):
            enqueue(s, dedupe_key=f"alert:{i}", recipient_id=coordinator_id(s, i), channel="telegram",
                    kind="alert", subject="提醒", body=f"第 {i} 条提醒")
    result = dispatch_outbox(limit=2)  # five batches, two in flight at a time
    assert result["sent"] == 9 and result["claimed"] == 9
    assert {n.status for n in notifications()} == {"sent"}
    assert len(api.sent) == 9 and api.duplicates() == {}
    for k, chat in enumerate((VILLAGE_CHAT, TOWN_CHAT, LEADER_CHAT)):
        assert sorted(m.text for m in api.sent if m.chat_id == chat) == [f"第 {i} 条提醒" for i in range(k, 9, 3)]
    assert api.max_rate_per_chat() == 1
