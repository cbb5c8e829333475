"""A refusal in chat (a press, /report, /attend) is answered in the coordinator's language, never with the service's English."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

import notifiers.bot.buttons as buttons
from models.db import session_scope
from models.must_visits import Occurrence
from tests.notifiers.conftest import (
    IGNORE_RETRY_AFTER_WARNING,
    VILLAGE_CHAT,
    D,
    find_button,
    press,
    running_bot,
    say,
    tasks_of,
)
from yinhui import clock
from yinhui.i18n import N_
from yinhui.services.errors import TaskClosedError, TaskError

pytestmark = IGNORE_RETRY_AFTER_WARNING
LATIN = re.compile(r"[A-Za-z]")  # a Chinese reply holds no English word


async def test_a_task_closed_during_the_press_names_who_and_when(planned, telegram_env, monkeypatch):
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


OPENS_LATER = TaskError(N_("task #{task_id} opens on {opens}; it cannot be done before then (not on {on})"),
                        task_id=241, opens="2026-11-01", on="2026-10-05")


@pytest.mark.parametrize(("refused", "expected"), [
    (OPENS_LATER, "未能完成：任务 #241 从 2026-11-01 起才能办理，此前不能记为完成（不能记在 2026-10-05）"),
    (TaskError(N_("task #{task_id} kept changing while this change was made; nothing was changed, try again"),
               task_id=241), "未能完成：任务 #241 正在被同时修改；未作任何更改，请重试"),
    # A message with no Chinese (not a catalogue text) is never shown: a general line instead.
    (TaskError("task #241 opens on 2026-11-01; it cannot be done before then"),
     "未能完成：当前无法进行此项操作，未作任何更改。"),
    (ValueError("unconverted data remains: 99"), "未能完成：当前无法进行此项操作，未作任何更改。"),
])
async def test_any_other_refusal_is_worded_in_chinese_never_in_the_services_english(
        planned, telegram_env, monkeypatch, refused, expected):
    api, county = telegram_env, planned
    call, _ = tasks_of(county.cadres["张老"])
    message_id, data = find_button(api, VILLAGE_CHAT, call.id, "接通")

    def refuse(*args, **kwargs):
        raise refused

    monkeypatch.setattr(buttons, "complete_task", refuse)
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            answer = await press(api, VILLAGE_CHAT, message_id, data)
    assert answer == expected
    assert not LATIN.search(answer)


async def test_a_task_closed_as_missed_meanwhile_says_so_in_chinese(planned, telegram_env, monkeypatch):
    api, county = telegram_env, planned
    call, _ = tasks_of(county.cadres["张老"])
    message_id, data = find_button(api, VILLAGE_CHAT, call.id, "接通")

    def missed_meanwhile(*args, **kwargs):  # the daily plan closed it while the coordinator pressed
        raise TaskClosedError(call.id, "missed", by="每日计划", at=None)

    monkeypatch.setattr(buttons, "complete_task", missed_meanwhile)
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            answer = await press(api, VILLAGE_CHAT, message_id, data)
    assert answer == "该任务已由每日计划过期关闭，未作任何更改。"


async def test_report_and_attend_refusals_are_wholly_chinese(planned, telegram_env):
    api = telegram_env
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            bad_date = (await say(api, VILLAGE_CHAT, "/report 住院 张老 2026-10-99"))[0]
            ahead = (await say(api, VILLAGE_CHAT, "/report 住院 张老 10-09 县医院"))[0]
            long_ago = (await say(api, VILLAGE_CHAT, "/report 住院 张老 2025-09-01"))[0]
            no_event = (await say(api, VILLAGE_CHAT, "/attend 999 张老"))[0]
            dated = (await say(api, VILLAGE_CHAT, "/report 住院 张老 10-03 县医院"))[0]
    assert bad_date == "未能上报：“2026-10-99”不是有效日期，请写成 2026-11-05 或 11-05。"
    assert ahead == "未能上报：2026-10-09 的住院还没有发生；只有家有大事可以提前上报"
    assert long_ago == "未能上报：2025-09-01 距今超过一年；请核对日期"
    assert no_event == "未能登记：没有活动 #999（见 `yinhui event list`）"
    for reply in (bad_date, ahead, long_ago):
        assert not LATIN.search(reply)
    # A good date is the day reported: the visit is planned from it.
    assert dated.startswith("已上报：张老（住院），必访任务 #")
    with session_scope() as s:
        occurrence = s.execute(select(Occurrence)).scalar_one()
    assert occurrence.on_date == D("2026-10-03") and occurrence.note == "县医院"


def test_a_closed_task_error_in_each_language():
    closed = TaskClosedError(12, "done", by="王芳", at="2026-11-29 10:15", outcome="reached")
    assert str(closed) == "task #12 is already done by 王芳 at 2026-11-29 10:15 (reached); nothing was changed"
    assert closed.render("en") == str(closed)
    assert closed.render("zh") == "任务 #12 已由王芳于 2026-11-29 10:15 完成（已接通），未作任何更改"
    missed = TaskClosedError(7, "missed", by="flow:daily-plan", at=None)
    assert str(missed) == "task #7 is already closed as missed by flow:daily-plan; nothing was changed"
    assert missed.render("zh") == "任务 #7 已由flow:daily-plan过期关闭，未作任何更改"


def test_refusal_texts_in_english():
    closed = TaskClosedError(7, "missed", by="flow:daily-plan", at=None)
    assert buttons.refusal("en", closed) == "This task was already closed as missed by flow:daily-plan; nothing was changed."
    assert buttons.refusal("en", TaskError("x")) == "Not done: x"
    assert buttons.refusal("en", ValueError("x")) == "Not done: this change cannot be made now; nothing was changed."
    assert buttons.refusal("en", OPENS_LATER) == (
        "Not done: task #241 opens on 2026-11-01; it cannot be done before then (not on 2026-10-05)")


def test_the_note_limit_is_the_task_services():
    from yinhui.services.tasks import MAX_TASK_NOTE

    assert buttons.MAX_TASK_NOTE == MAX_TASK_NOTE and not hasattr(buttons, "NOTE_LIMIT")
