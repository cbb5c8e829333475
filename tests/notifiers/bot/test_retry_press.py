"""再次联系 in chat: the "no answer" button calls the same task service as `yinhui complete`, so the
call stays open with one attempt counted and is due again a few days later; the reply says which
attempt it was and when to try again, and keeps the buttons; the last attempt closes the call and
names the follow-up the playbook plans (a call to the next of kin)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.db import session_scope
from models.tasks import Task, TaskEvent
from tests.notifiers.conftest import (
    IGNORE_RETRY_AFTER_WARNING,
    VILLAGE_CHAT,
    D,
    find_button,
    press,
    running_bot,
    tasks_of,
)
from yinhui import clock

pytestmark = IGNORE_RETRY_AFTER_WARNING


async def test_no_answer_in_chat_keeps_the_call_open_for_the_next_attempt(planned, telegram_env):
    api, county = telegram_env, planned
    call, _visit = tasks_of(county.cadres["张老"])
    message_id, data = find_button(api, VILLAGE_CHAT, call.id, "未接通")
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            assert await press(api, VILLAGE_CHAT, message_id, data) == (
                "已记录：📵 未接通（第 1 次，共 3 次）。任务保持打开，请于 10-08 再次联系。")
            await api.wait_until_async(lambda: bool(api.edits), timeout=5)
    with session_scope() as s:
        task = s.get(Task, call.id)
        assert (task.status, task.attempts, task.due, task.outcome) == ("open", 1, D("2026-10-08"), None)
        trail = s.execute(select(TaskEvent.action, TaskEvent.actor).where(TaskEvent.task_id == call.id)).all()
    assert [tuple(e) for e in trail] == [("retry", f"coordinator:{county.village}")]
    assert _line(api, message_id, call.id).endswith("→ 📵 第 1/3 次未接通，10-08 再联系")
    assert find_button(api, VILLAGE_CHAT, call.id, "未接通") == (message_id, data)  # the buttons stay


async def test_the_last_no_answer_closes_the_call_and_names_the_call_to_the_next_of_kin(planned, telegram_env):
    api, county = telegram_env, planned
    call, _visit = tasks_of(county.cadres["张老"])
    message_id, data = find_button(api, VILLAGE_CHAT, call.id, "未接通")
    for attempt, day in enumerate(("2026-10-05", "2026-10-08"), start=1):
        with clock.frozen_at(D(day)):
            async with running_bot(api):
                assert f"第 {attempt} 次，共 3 次" in await press(api, VILLAGE_CHAT, message_id, data)
                await api.wait_until_async(lambda n=attempt: len(api.edits) >= n, timeout=5)
    assert _line(api, message_id, call.id).endswith("→ 📵 第 2/3 次未接通，10-11 再联系")
    with clock.frozen_at(D("2026-10-11")):
        async with running_bot(api):
            answer = await press(api, VILLAGE_CHAT, message_id, data)
            await api.wait_until_async(lambda: len(api.edits) >= 3, timeout=5)
    follow_up = tasks_of(county.cadres["张老"])[-1]
    assert (follow_up.rule, follow_up.kind, follow_up.due, follow_up.status) == (
        "relative_call", "call", D("2026-10-14"), "open")
    assert answer == (f"已记录：📵 未接通（第 3 次，共 3 次），已按多次未接通办结。"
                      f"下一步：任务 #{follow_up.id} 联系紧急联系人（本人多次未联系上），10-14 前完成。")
    with session_scope() as s:
        task = s.get(Task, call.id)
        assert (task.status, task.outcome, task.attempts) == ("done", "unreachable", 3)
    assert _line(api, message_id, call.id).endswith("→ 📵 尝试 3 次仍未接通")
    with pytest.raises(LookupError):  # the closed call's buttons are gone
        find_button(api, VILLAGE_CHAT, call.id, "未接通")


def _line(api, message_id: int, task_id: int) -> str:
    """The task's line in the message as it reads now."""
    shown = api.message(VILLAGE_CHAT, message_id)["text"]
    return next(line for line in shown.splitlines() if line.startswith(f"#{task_id} "))
