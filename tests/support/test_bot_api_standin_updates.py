"""The Bot API stand-in's updates, limits and raw HTTP, exercised through the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from telegram import (
    Bot,
    Update,
)
from telegram.constants import MessageEntityType
from telegram.error import (
    BadRequest,
    Conflict,
    RetryAfter,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.support.bot_api_standin import (
    BotApiStandIn,
    TelegramLimits,
)
from tests.support.conftest import (
    GROUP,
    PRIVATE,
    _keyboard,
    _request,
    _retry_after_seconds,
)

# PTB 22.2+ warns whenever RetryAfter.retry_after is read as an int, including inside
# RetryAfter.__init__ itself; the warning is about PTB's future, not about this code.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)



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
