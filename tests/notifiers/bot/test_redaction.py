"""No bot token, robot key, phone, ID number or note in any log line, even with chatty loggers on."""

from __future__ import annotations

import logging
import re

import pytest

from notifiers.bot import redaction
from notifiers.bot.redaction import QUIET_LOGGERS, install_log_redaction, mask_url, redact
from tests.notifiers.conftest import (
    IGNORE_RETRY_AFTER_WARNING,
    PHONES,
    VILLAGE_CHAT,
    D,
    build_county,
    find_button,
    plan_day,
    running_bot,
    tasks_of,
)
from yinhui import clock

pytestmark = IGNORE_RETRY_AFTER_WARNING
TOKEN = "987654321:QQQ-other-token-for-redaction-test1"  # not one any fixture registers


def test_redact_masks_secrets_and_personal_data_but_not_chat_ids():
    line = (f"POST https://api.telegram.org/bot{TOKEN}/sendMessage chat=-1001234567890 "
            "phone 13912345678 id 142623195003011234 https://qyapi.weixin.qq.com/send?key=abcd-1234 "
            "mailtos://bureau:hunter2@smtp.example.org")
    clean = redact(line)
    for secret in (TOKEN, "13912345678", "142623195003011234", "abcd-1234", "hunter2"):
        assert secret not in clean
    assert "-1001234567890" in clean and "139****5678" in clean and "142623**********34" in clean
    assert mask_url("wecombot://abcdefghijklmn") == "wecombot://abcd***"
    assert mask_url("mailtos://bureau:hunter2@smtp.example.org?to=a@b.org") == "mailtos://bureau:***@smtp.example.org?to=a@b.org"


def test_records_are_rewritten_as_they_are_made(caplog):
    install_log_redaction("s3cr3t-value")
    caplog.set_level(logging.DEBUG)
    logger = logging.getLogger("yinhui.test")
    logger.info("token %s phone %s", TOKEN, "13800001111")
    logger.info("known secret s3cr3t-value")
    try:
        raise RuntimeError(f"boom at https://x/bot{TOKEN}/getMe for 13800001111")
    except RuntimeError:
        logger.exception("failed")
    text = caplog.text
    assert TOKEN not in text and "13800001111" not in text and "s3cr3t-value" not in text
    assert "<token>" in text and "<secret>" in text and "RuntimeError: boom" in text
    assert redaction._installed


async def test_no_token_or_personal_data_in_any_log_line(database, telegram_env, caplog, monkeypatch):
    """A whole day through the channel and the bot, with httpx's request log switched on."""
    from flows.deliver import deliver_batch

    api = telegram_env
    monkeypatch.setitem(QUIET_LOGGERS, "httpx", logging.INFO)
    monkeypatch.setitem(QUIET_LOGGERS, "telegram", logging.DEBUG)
    logging.getLogger("httpx").setLevel(logging.INFO)
    logging.getLogger("telegram").setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        county = build_county()
        plan_day(D("2026-10-01"))
        api.inject_faults("server_error", "timeout", timeout_seconds=12.0)
        assert deliver_batch()["sent"] == 3
        call, _ = tasks_of(county.cadres["张老"])
        message_id, data = find_button(api, VILLAGE_CHAT, call.id, "接通")
        with clock.frozen_at(D("2026-10-05")):
            async with running_bot(api):
                api.push_text(VILLAGE_CHAT, "/today")
                api.push_callback(VILLAGE_CHAT, message_id, data)
                await api.wait_until_async(lambda: len(api.answered_callbacks) == 1, timeout=15)
                await api.wait_until_async(lambda: api.pending_updates == 0, timeout=5)
    finally:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("telegram").setLevel(logging.INFO)
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert any(r.name == "httpx" for r in caplog.records)  # the request log was on...
    assert re.search(r"bot<(secret|token)>/sendMessage", text)  # ...and shows the method, not the token
    leaks = [s for s in (api.token, *PHONES, *county.id_numbers) if s in text]
    assert leaks == []


@pytest.mark.parametrize("name", ["httpx", "httpcore", "telegram", "apprise"])
def test_chatty_loggers_are_turned_down(name):
    logging.getLogger(name).setLevel(logging.NOTSET)
    install_log_redaction()
    assert logging.getLogger(name).level == QUIET_LOGGERS[name]
