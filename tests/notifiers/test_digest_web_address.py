"""Digests through robots and e-mail end with the task page's address (YINHUI_WEB_URL), never a code.

Through the real Apprise channel against the local robot and mail stand-ins of
`test_apprise_channel`; Telegram keeps its buttons and gets no such line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from models.db import session_scope
from models.outbox import Notification
from tests.notifiers.conftest import PHONES, D, build_county, deliver, plan_day
from tests.notifiers.test_apprise_channel import village_reached_by
from tests.support.robots import WECOM_KEY, mail_url

ADDRESS = "https://yinhui.example.gov.cn"


@pytest.fixture
def web_url(monkeypatch) -> Iterator[str]:  # noqa: ANN001
    from yinhui.settings import reset_settings

    monkeypatch.setenv("YINHUI_WEB_URL", ADDRESS)
    reset_settings()
    yield ADDRESS
    monkeypatch.delenv("YINHUI_WEB_URL")
    reset_settings()


def test_a_wecom_digest_ends_with_the_task_page_and_nothing_personal(database, robots, web_url):
    from models.chat import ChatInvite

    village_reached_by("wecom", f"wecombot://{WECOM_KEY}")
    deliver()
    [(_path, body)] = robots.posts
    text = body["text"]["content"]
    assert text.rstrip().splitlines()[-1] == f"在任务页处理：{ADDRESS}/tasks"
    assert not [p for p in PHONES if p in text]
    with session_scope() as s:  # no invitation code was made for the robot's message, none is in it
        assert not list(s.execute(select(ChatInvite)).scalars())
    assert "code" not in text.lower() and "token" not in text.lower()


def test_an_email_digest_ends_with_the_task_page(database, mailbox, web_url):
    import email
    from email.header import decode_header, make_header

    village_reached_by("email", mail_url(mailbox))
    deliver()
    [raw] = mailbox.messages
    parsed = email.message_from_string(raw)
    parts = [p for p in parsed.walk() if p.get_content_maintype() == "text"]
    body = "\n".join(str(p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8")) for p in parts)
    assert f"在任务页处理：{ADDRESS}/tasks" in body, str(make_header(decode_header(parsed["Subject"] or "")))


def test_telegram_keeps_its_buttons_and_gets_no_address_line(database, web_url):
    from notifiers.telegram.chat_format import to_chat
    from yinhui.messages.stored import message_for

    county = build_county(bound=False)
    plan_day(D("2026-10-01"))
    with session_scope() as s:
        row = s.execute(select(Notification).where(Notification.recipient_id == county.village)).scalar_one()
        payload = json.loads(row.payload or "{}")
    assert payload["web_url"] == ADDRESS
    message = message_for(kind="digest", payload=payload, subject="", body="", language="zh")
    buttons = {line.task_id: "tok" for section in message.sections for line in section.lines}
    chat = "\n".join(part.text for part in to_chat(message, tokens=buttons, private=True))
    assert message.answer_hint in chat and "任务页" not in chat


def test_no_address_line_without_the_setting(database, robots):
    village_reached_by("wecom", f"wecombot://{WECOM_KEY}")
    deliver()
    [(_path, body)] = robots.posts
    assert "任务页" not in body["text"]["content"]
