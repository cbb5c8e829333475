"""The Bot API stand-in, exercised through the real python-telegram-bot client.

These tests pin down two things the rest of the suite relies on: that PTB can talk to
the stand-in as to Telegram, and which PTB exception each injected fault turns into.
"""

from __future__ import annotations

import time

import pytest
from telegram import (
    Bot,
    BotCommand,
)
from telegram.constants import ChatAction
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from tests.support.bot_api_standin import (
    BotApiStandIn,
    FaultKind,
    FaultPlan,
)
from tests.support.conftest import (
    GROUP,
    PRIVATE,
    READ_TIMEOUT,
    SUPERGROUP,
    _keyboard,
    _request,
    _retry_after_seconds,
)

# PTB 22.2+ warns whenever RetryAfter.retry_after is read as an int, including inside
# RetryAfter.__init__ itself; the warning is about PTB's future, not about this code.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)





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
