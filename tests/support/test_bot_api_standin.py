"""The Bot API stand-in, exercised through the real python-telegram-bot client.

These tests pin down two things the rest of the suite relies on: that PTB can talk to
the stand-in as to Telegram, and which PTB exception each injected fault turns into.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, MessageEntityType
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)
from telegram.request import HTTPXRequest

from tests.support.bot_api_standin import (
    BotApiStandIn,
    FaultKind,
    FaultPlan,
    TelegramLimits,
)

PRIVATE = 1001
GROUP = -4001
SUPERGROUP = -1001234567890
READ_TIMEOUT = 0.5  # seconds; every "timeout" fault below waits longer than this

# PTB 22.2+ warns whenever RetryAfter.retry_after is read as an int, including inside
# RetryAfter.__init__ itself; the warning is about PTB's future, not about this code.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)


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


# --------------------------------------------------------------------------- happy path


async def test_send_with_inline_keyboard_reads_back(api: BotApiStandIn, bot: Bot) -> None:
    assert bot.username == "yinhui_test_bot"

    first = await bot.send_message(PRIVATE, "请确认走访任务", reply_markup=_keyboard("ack:1"))
    second = await bot.send_message(PRIVATE, "第二条", parse_mode="HTML")

    assert (first.message_id, second.message_id) == (1, 2)
    assert first.chat.type == "private"
    assert first.from_user is not None and first.from_user.id == bot.id
    assert first.reply_markup == _keyboard("ack:1")
    assert second.reply_markup is None

    record = api.sent[0]
    assert (record.chat_id, record.message_id, record.text) == (PRIVATE, 1, "请确认走访任务")
    assert record.reply_markup == {
        "inline_keyboard": [[{"text": "ack:1", "callback_data": "ack:1"}]]
    }
    assert api.sent[1].parse_mode == "HTML"
    assert api.sent[0].accepted_at <= api.sent[1].accepted_at
    assert api.message(PRIVATE, 1)["reply_markup"] == record.reply_markup
    assert [r.status for r in api.requests] == [200, 200, 200]  # getMe + two sends


async def test_chat_types_and_per_chat_message_ids(bot: Bot) -> None:
    group_msg = await bot.send_message(GROUP, "group")
    super_msg = await bot.send_message(SUPERGROUP, "supergroup")
    private_msg = await bot.send_message(PRIVATE, "private")

    assert (group_msg.chat.type, super_msg.chat.type) == ("group", "supergroup")
    # Message ids are counted per chat.
    assert group_msg.message_id == super_msg.message_id == private_msg.message_id == 1


async def test_edits(api: BotApiStandIn, bot: Bot) -> None:
    sent = await bot.send_message(PRIVATE, "待办", reply_markup=_keyboard("done"))

    edited = await bot.edit_message_text(
        "已办", chat_id=PRIVATE, message_id=sent.message_id, reply_markup=_keyboard("undo")
    )
    assert isinstance(edited, type(sent))
    assert edited.text == "已办" and edited.edit_date is not None
    assert edited.reply_markup == _keyboard("undo")

    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text(
            "已办", chat_id=PRIVATE, message_id=sent.message_id, reply_markup=_keyboard("undo")
        )
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=PRIVATE, message_id=999)

    # Removing the keyboard via editMessageReplyMarkup, then doing it again.
    await bot.edit_message_reply_markup(chat_id=PRIVATE, message_id=sent.message_id)
    assert "reply_markup" not in api.message(PRIVATE, sent.message_id)
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_reply_markup(chat_id=PRIVATE, message_id=sent.message_id)

    # Like Telegram, editMessageText without reply_markup drops the keyboard.
    await bot.edit_message_reply_markup(PRIVATE, sent.message_id, reply_markup=_keyboard("a"))
    await bot.edit_message_text("最终", chat_id=PRIVATE, message_id=sent.message_id)
    assert "reply_markup" not in api.message(PRIVATE, sent.message_id)

    assert [(e.method, e.text) for e in api.edits] == [
        ("editMessageText", "已办"),
        ("editMessageReplyMarkup", "已办"),
        ("editMessageReplyMarkup", "已办"),
        ("editMessageText", "最终"),
    ]


async def test_validation_errors(api: BotApiStandIn, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(PRIVATE, "长" * 4097)
    await bot.send_message(PRIVATE, "长" * 4096)

    # callback_data is limited in bytes, not characters: 22 CJK characters are 66 bytes.
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(PRIVATE, "x", reply_markup=_keyboard("确" * 22))
    await bot.send_message(PRIVATE, "x", reply_markup=_keyboard("确" * 21))

    assert [m.text[:1] for m in api.sent] == ["长", "x"]


async def test_wrong_token_and_unknown_method(api: BotApiStandIn, bot: Bot) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("42:wrong-token", base_url=api.base_url, request=_request()):
            pass
    assert api.requests[-1].status == 401

    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("frobnicate_everything")
    assert api.requests[-1].status == 404


async def test_commands_and_chat_action(bot: Bot) -> None:
    commands = [BotCommand("start", "开始"), BotCommand("tasks", "我的任务")]
    assert await bot.set_my_commands(commands)
    assert await bot.get_my_commands() == tuple(commands)
    assert await bot.send_chat_action(PRIVATE, ChatAction.TYPING)


# --------------------------------------------------------------------------- per-chat faults


async def test_blocked_chat_raises_forbidden(api: BotApiStandIn, bot: Bot) -> None:
    api.block_chat(PRIVATE)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(PRIVATE, "hello")
    assert api.sent == [] and api.requests[-1].status == 403


async def test_missing_chat_raises_bad_request(api: BotApiStandIn, bot: Bot) -> None:
    api.missing_chat(PRIVATE)
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(PRIVATE, "hello")


async def test_migrated_group_raises_chat_migrated(api: BotApiStandIn, bot: Bot) -> None:
    api.migrate_chat(GROUP, SUPERGROUP)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(GROUP, "hello")
    assert caught.value.new_chat_id == SUPERGROUP

    moved = await bot.send_message(caught.value.new_chat_id, "hello")
    assert moved.chat.type == "supergroup"
    assert [m.chat_id for m in api.sent] == [SUPERGROUP]


# --------------------------------------------------------------------------- infrastructure faults


@pytest.mark.parametrize(
    ("kind", "expected", "accepted"),
    [
        ("retry_after", RetryAfter, False),
        ("server_error", NetworkError, False),
        ("timeout", TimedOut, False),
        ("drop_before", NetworkError, False),
        ("drop_after", NetworkError, True),
    ],
)
async def test_fault_maps_to_ptb_exception(
    api: BotApiStandIn,
    bot: Bot,
    kind: FaultKind,
    expected: type[TelegramError],
    accepted: bool,
) -> None:
    api.inject_faults(kind, retry_after=2, timeout_seconds=READ_TIMEOUT + 1.0)
    started = time.monotonic()
    with pytest.raises(expected) as caught:
        await bot.send_message(PRIVATE, "周报")
    # Exact classes: BadRequest and TimedOut are NetworkError subclasses too.
    assert type(caught.value) is expected
    if isinstance(caught.value, RetryAfter):
        assert _retry_after_seconds(caught.value) == 2
    if kind in ("drop_before", "drop_after"):
        assert "RemoteProtocolError" in caught.value.message
    assert time.monotonic() - started < READ_TIMEOUT + 0.5

    assert len(api.sent) == int(accepted)
    assert api.requests[-1].fault == kind
    # The fault was used up; the next attempt goes through.
    await bot.send_message(PRIVATE, "周报")
    assert len(api.sent) == int(accepted) + 1


async def test_drop_after_accept_creates_a_duplicate_on_retry(api: BotApiStandIn, bot: Bot) -> None:
    api.inject_faults("drop_after")
    for _attempt in range(2):  # a naive retry-on-NetworkError client
        try:
            await bot.send_message(PRIVATE, "请于周五前走访王老")
            break
        except NetworkError:
            continue

    assert api.dropped_after_accept == 1
    dupes = api.duplicates()
    assert list(dupes) == [(PRIVATE, "请于周五前走访王老")]
    assert [m.response_dropped for m in dupes[(PRIVATE, "请于周五前走访王老")]] == [True, False]


async def _fault_sequence(plan: FaultPlan, sends: int) -> tuple[list[FaultKind | None], int]:
    request = _request(read_timeout=0.1)  # keeps the "timeout" faults cheap
    with BotApiStandIn(fault_plan=plan) as stand_in:
        async with Bot(stand_in.token, base_url=stand_in.base_url, request=request) as client:
            for i in range(sends):
                try:
                    await client.send_message(PRIVATE + i, f"m{i}")
                except (NetworkError, RetryAfter):  # what every fault kind turns into
                    pass
        faults = [r.fault for r in stand_in.requests if r.method == "sendMessage"]
        return faults, len(stand_in.sent)


async def test_fault_plan_is_deterministic_per_seed() -> None:
    plan = FaultPlan(rate=0.4, seed=11, timeout_seconds=0.3)
    first, accepted = await _fault_sequence(plan, 25)
    second, _ = await _fault_sequence(plan, 25)
    other_seed, _ = await _fault_sequence(FaultPlan(rate=0.4, seed=12, timeout_seconds=0.3), 25)

    assert first == second
    assert first != other_seed
    assert len(first) == 25  # no hidden client retries
    assert 0 < sum(f is not None for f in first) < 25
    # Accepted = no fault, plus faults that drop the answer after accepting.
    assert accepted == sum(f in (None, "drop_after") for f in first)


def test_fault_plan_validates() -> None:
    with pytest.raises(ValueError):
        FaultPlan(rate=1.5)
    with pytest.raises(ValueError):
        FaultPlan(weights={"gremlins": 1})


# --------------------------------------------------------------------------- updates


async def test_get_updates_delivers_and_offset_confirms(api: BotApiStandIn, bot: Bot) -> None:
    task = await bot.send_message(PRIVATE, "任务 #7", reply_markup=_keyboard("done:7"))
    text_id = api.push_text(PRIVATE, "/start ABC", username="laogan")
    query_id = api.push_callback(PRIVATE, task.message_id, "done:7")

    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [text_id, text_id + 1]

    message = updates[0].message
    assert message is not None and message.text == "/start ABC"
    assert message.from_user is not None and message.from_user.username == "laogan"
    assert message.entities[0].type == MessageEntityType.BOT_COMMAND
    assert message.parse_entities() == {message.entities[0]: "/start"}

    query = updates[1].callback_query
    assert query is not None and query.data == "done:7" and query.id == query_id
    assert query.message is not None and query.message.message_id == task.message_id
    assert await query.answer("已记录")
    assert api.answered_callbacks[0].text == "已记录"
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await query.answer()  # a query can be answered only once

    # Without an offset the same updates come again; a higher offset confirms them.
    assert len(await bot.get_updates(timeout=0)) == 2
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert api.pending_updates == 0


async def test_push_callback_rejects_buttons_that_do_not_exist(
    api: BotApiStandIn, bot: Bot
) -> None:
    task = await bot.send_message(PRIVATE, "任务", reply_markup=_keyboard("done"))
    with pytest.raises(ValueError):
        api.push_callback(PRIVATE, task.message_id, "not-a-button")
    with pytest.raises(KeyError):
        api.push_callback(PRIVATE, 999, "done")
    api.push_callback(PRIVATE, task.message_id, "stale", strict=False)


async def test_long_poll_wakes_on_push(api: BotApiStandIn, bot: Bot) -> None:
    asyncio.get_running_loop().call_later(0.1, api.push_text, PRIVATE, "在吗")
    started = time.monotonic()
    updates = await bot.get_updates(timeout=2)
    assert time.monotonic() - started < 1.0
    assert updates[0].message is not None and updates[0].message.text == "在吗"


async def test_overlapping_pollers_conflict(api: BotApiStandIn, bot: Bot) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=2))
    await asyncio.sleep(0.2)
    assert await bot.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="(?i)terminated by other getUpdates"):
        await asyncio.wait_for(older, timeout=1.0)


async def test_webhook_state(api: BotApiStandIn, bot: Bot) -> None:
    api.push_text(PRIVATE, "hi")
    assert await bot.set_webhook("https://example.invalid/hook", secret_token="s3cret")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.invalid/hook" and info.pending_update_count == 1
    with pytest.raises(Conflict, match="(?i)webhook is active"):
        await bot.get_updates(timeout=0)

    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates(timeout=0) == ()


async def test_application_answers_start_and_button(api: BotApiStandIn) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        code = context.args[0] if context.args else "?"
        await update.message.reply_text(f"绑定 {code}", reply_markup=_keyboard(f"ok:{code}"))

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("收到")
        await query.edit_message_text(f"已确认 {query.data}")

    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .read_timeout(1.0)
        .get_updates_read_timeout(1.0)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))

    api.push_text(PRIVATE, "/start ABC")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            [reply] = await api.wait_for_sent_async(1, timeout=3.0)
            api.push_callback(PRIVATE, reply.message_id, "ok:ABC")
            await api.wait_until_async(lambda: bool(api.edits), timeout=3.0)
        finally:
            await app.updater.stop()
            await app.stop()

    assert reply.text == "绑定 ABC"
    assert [a.text for a in api.answered_callbacks] == ["收到"]
    assert [e.text for e in api.edits] == ["已确认 ok:ABC"]
    # Updater.stop() confirms what it fetched, so nothing is left pending.
    assert api.pending_updates == 0


# --------------------------------------------------------------------------- rate limits


async def test_limits_are_measured(api: BotApiStandIn, bot: Bot) -> None:
    for i in range(3):
        await bot.send_message(PRIVATE, f"p{i}")
    for i in range(2):
        await bot.send_message(GROUP, f"g{i}")

    assert api.max_rate_per_chat() == 3
    assert api.max_rate_per_chat(chat_id=GROUP) == 2
    assert api.max_rate_overall() == 5
    assert api.max_per_group_minute() == 2
    assert api.max_rate_per_chat(window=1e-9) == 1


async def test_enforcement_refuses_a_flooded_private_chat() -> None:
    with BotApiStandIn(enforce_limits=True) as stand_in:
        async with Bot(stand_in.token, base_url=stand_in.base_url, request=_request()) as client:
            await client.send_message(PRIVATE, "1")
            with pytest.raises(RetryAfter) as caught:
                await client.send_message(PRIVATE, "2")
            assert _retry_after_seconds(caught.value) >= 1
            await client.send_message(PRIVATE + 1, "another chat is fine")
        assert stand_in.max_rate_per_chat() == 1
        assert stand_in.requests[-2].status == 429


async def test_enforcement_overall_and_group_limits() -> None:
    limits = TelegramLimits(overall_per_second=5, group_chat_per_minute=3)
    with BotApiStandIn(enforce_limits=True, limits=limits) as stand_in:
        async with Bot(stand_in.token, base_url=stand_in.base_url, request=_request()) as client:
            for i in range(3):
                await client.send_message(GROUP, f"g{i}")
            with pytest.raises(RetryAfter):
                await client.send_message(GROUP, "g3")  # 4th in a minute
            for i in range(2):
                await client.send_message(PRIVATE + i, f"p{i}")
            with pytest.raises(RetryAfter):
                await client.send_message(PRIVATE + 9, "p9")  # 6th in a second
        assert stand_in.max_per_group_minute() == 3
        assert stand_in.max_rate_overall() == 5


# --------------------------------------------------------------------------- raw HTTP and helpers


async def test_raw_http_encodings_and_envelopes(api: BotApiStandIn) -> None:
    root = api.base_url.removesuffix("/bot")
    async with httpx.AsyncClient(base_url=root, timeout=2.0) as http:
        # JSON body, method name in another case: Telegram accepts both.
        reply = await http.post(f"/bot{api.token}/SENDMESSAGE", json={"chat_id": 7, "text": "j"})
        assert reply.status_code == 200 and reply.json()["result"]["text"] == "j"
        # Query string only.
        reply = await http.get(f"/bot{api.token}/sendMessage", params={"chat_id": 7, "text": "q"})
        assert reply.json()["result"]["message_id"] == 2

        reply = await http.post(f"/bot{api.token}/sendMessage", data={"chat_id": 7})
        assert reply.status_code == 400
        assert reply.json() == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: message text is empty",
        }
        assert (await http.get("/bot42:wrong/getMe")).status_code == 401
        assert (await http.get("/botnot-a-token/getMe")).status_code == 404
        assert (await http.get(f"/file/bot{api.token}/photos/1.jpg")).status_code == 404


def test_sync_helpers_for_threads_and_benchmarks(api: BotApiStandIn) -> None:
    def send_later() -> None:
        time.sleep(0.1)
        httpx.post(f"{api.base_url}{api.token}/sendMessage", data={"chat_id": GROUP, "text": "t"})

    sender = threading.Thread(target=send_later)
    sender.start()
    try:
        [message] = api.wait_for_sent(1, chat_id=GROUP, timeout=2.0)
    finally:
        sender.join(timeout=2.0)
    assert message.text == "t"
    with pytest.raises(TimeoutError):
        api.wait_for_sent(2, timeout=0.05)

    api.push_text(GROUP, "🎖打卡 /done@yinhui_test_bot 12", user_id=55, chat_type="supergroup")
    api.wait_until(lambda: api.pending_updates == 1, timeout=0.1)
    raw = api.message(GROUP, 2)
    assert raw["chat"]["type"] == "supergroup" and raw["from"]["id"] == 55
    # Offsets are in UTF-16 code units: "🎖打卡 " is five of them (the medal takes two).
    command = "/done@yinhui_test_bot"
    assert raw["entities"] == [{"type": "bot_command", "offset": 5, "length": len(command)}]
