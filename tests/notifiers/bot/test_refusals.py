"""A press refused by the task service is answered in the coordinator's language, never with its English."""

from __future__ import annotations

import pytest

import notifiers.bot.buttons as buttons
from tests.notifiers.bot.test_handlers import planned, press  # noqa: F401  (fixture)
from tests.notifiers.conftest import (
    IGNORE_RETRY_AFTER_WARNING,
    VILLAGE_CHAT,
    D,
    find_button,
    running_bot,
    tasks_of,
)
from yinhui import clock
from yinhui.services.errors import TaskClosedError, TaskError

pytestmark = IGNORE_RETRY_AFTER_WARNING


async def test_a_task_closed_during_the_press_names_who_and_when(planned, telegram_env, monkeypatch):  # noqa: F811
    api, county = telegram_env, planned
    call, _ = tasks_of(county.cadres["张老"])
    message_id, data = find_button(api, VILLAGE_CHAT, call.id, "接通")

    def closed_meanwhile(*args, **kwargs):  # another chat or the CLI won the race
        raise TaskClosedError(call.id, "done", by="王芳", at="2026-10-05 10:15", outcome="reached")

    monkeypatch.setattr(buttons, "complete_task", closed_meanwhile)
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            answer = await press(api, VILLAGE_CHAT, message_id, data)
    assert answer == "该任务已由王芳于 2026-10-05 10:15 完成，未作任何更改。"


@pytest.mark.parametrize("message", ["task #241 opens on 2026-11-01; it cannot be done before then",
                                     "task #241 kept changing while this change was made; nothing was changed"])
async def test_any_other_refusal_is_a_translated_line_without_the_english(planned, telegram_env, monkeypatch,  # noqa: F811
                                                                          message):
    api, county = telegram_env, planned
    call, _ = tasks_of(county.cadres["张老"])
    message_id, data = find_button(api, VILLAGE_CHAT, call.id, "接通")

    def refused(*args, **kwargs):
        raise TaskError(message)

    monkeypatch.setattr(buttons, "complete_task", refused)
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            answer = await press(api, VILLAGE_CHAT, message_id, data)
    assert answer == "未能完成：当前无法进行此项操作，未作任何更改。"
    assert "task" not in answer


def test_refusal_texts_in_english():
    closed = TaskClosedError(7, "missed", by="flow:daily-plan", at=None)
    assert buttons.refusal("en", closed) == "This task was already closed as missed by flow:daily-plan; nothing was changed."
    assert buttons.refusal("en", TaskError("x")) == "Not done: this change cannot be made now; nothing was changed."


def test_the_note_limit_is_the_task_services():
    from yinhui.services.tasks import MAX_TASK_NOTE

    assert buttons.MAX_TASK_NOTE == MAX_TASK_NOTE and not hasattr(buttons, "NOTE_LIMIT")
