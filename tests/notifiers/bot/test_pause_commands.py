"""/pause and /resume in chat: a coordinator who learns that a cadre is away records it where they work,
in their own name, and the same pause service as `yinhui cadre pause|resume` does the rest."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from models.db import session_scope
from models.people import CadreEvent, CadrePause
from models.tasks import TaskEvent
from notifiers.bot.plugins import ChatContext, CommandRefused, pause_until
from tests import factories
from tests.notifiers.conftest import (
    IGNORE_RETRY_AFTER_WARNING,
    VILLAGE_CHAT,
    D,
    running_bot,
    say,
    tasks_of,
)
from yinhui import clock
from yinhui.playbook_loader import current_playbook
from yinhui.services.chat import create_invite

pytestmark = IGNORE_RETRY_AFTER_WARNING
LATIN = re.compile(r"[A-Za-z]")  # a Chinese reply holds no English word
GROUP_CHAT = -3001


def plan(day: dt.date) -> dict[str, int]:
    """The day's plan as the flow runs it: pauses first, then the cadence's tasks."""
    with session_scope() as s:
        return factories.plan_contacts(s, day, current_playbook())


def live(cadre_id: int) -> set[tuple[str, str]]:
    return {(t.rule, t.period) for t in tasks_of(cadre_id) if t.status in ("open", "overdue")}


def pauses_and_events() -> tuple[int, int]:
    with session_scope() as s:
        return (s.execute(select(func.count()).select_from(CadrePause)).scalar_one(),
                s.execute(select(func.count()).select_from(CadreEvent)).scalar_one())


async def test_a_pause_from_chat_cancels_the_calls_and_visits_in_the_coordinators_name(planned, telegram_env):
    api, county = telegram_env, planned
    zhang = county.cadres["张老"]
    assert live(zhang) == {("monthly_call", "2026-10"), ("quarterly_visit", "2026-Q4")}
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            [helped] = await say(api, VILLAGE_CHAT, "/help")
            # 02-28 is the next such day: February of next year.
            [paused] = await say(api, VILLAGE_CHAT, "/pause 张老 02-28 异地居住 随女儿过冬")
    assert "/pause 姓名 截止日期 原因" in helped and "/resume 姓名" in helped
    assert paused == ("已暂停：张老 至 2027-02-28（异地居住 随女儿过冬），期间不安排电话和走访；必访照常。"
                      "已取消 2 项待办任务。")
    call, visit = tasks_of(zhang)
    assert (call.status, call.outcome, visit.status) == ("cancelled", "paused", "cancelled")
    assert "异地居住" in call.note
    actor = f"coordinator:{county.village}"
    with session_scope() as s:
        event = s.execute(select(CadreEvent).where(CadreEvent.cadre_id == zhang)).scalar_one()
        cancelled = s.execute(select(TaskEvent).where(TaskEvent.task_id == call.id)).scalar_one()
        pause = s.execute(select(CadrePause)).scalar_one()
    assert (event.action, event.actor) == ("pause", actor)
    assert json.loads(event.detail) == {"from": "2026-10-05", "until": "2027-02-28", "reason": "异地居住 随女儿过冬"}
    assert (cancelled.action, cancelled.actor) == ("cancelled", actor)
    assert (pause.starts, pause.until, pause.created_by) == (D("2026-10-05"), D("2027-02-28"), actor)
    # The others of the grid keep theirs.
    assert live(county.cadres["王老"]) == {("monthly_call", "2026-10"), ("quarterly_visit", "2026-Q4")}


async def test_resume_from_chat_brings_the_call_back_in_the_same_month(planned, telegram_env):
    api, county = telegram_env, planned
    zhang = county.cadres["张老"]
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            await say(api, VILLAGE_CHAT, "/pause 张老 2026-12-31 异地居住")
    assert plan(D("2026-10-06"))["monthly_call"] == 0 and live(zhang) == set()
    with clock.frozen_at(D("2026-10-20")):
        async with running_bot(api):
            [resumed] = await say(api, VILLAGE_CHAT, f"/resume #{zhang}")
            [again] = await say(api, VILLAGE_CHAT, "/resume 张老")
    assert resumed == "已恢复：张老 的电话和走访照常安排（2 项任务重新开放）。"
    assert again == "未能恢复：张老 未处于暂停联系状态"
    assert live(zhang) == {("monthly_call", "2026-10"), ("quarterly_visit", "2026-Q4")}
    call = tasks_of(zhang)[0]
    assert (call.rule, call.due) == ("monthly_call", D("2026-10-31"))
    # The next plan keeps them and plans nothing twice.
    counts = plan(D("2026-10-21"))
    assert (counts["paused_cancelled"], counts["pause_reopened"], counts["monthly_call"]) == (0, 0, 0)
    assert len(tasks_of(zhang)) == 2 and live(zhang) == {("monthly_call", "2026-10"), ("quarterly_visit", "2026-Q4")}
    with session_scope() as s:
        trail = s.execute(select(CadreEvent.action, CadreEvent.actor).where(CadreEvent.cadre_id == zhang)
                          .order_by(CadreEvent.id)).all()
    assert [tuple(row) for row in trail] == [("pause", f"coordinator:{county.village}"),
                                             ("resume", f"coordinator:{county.village}")]


async def test_each_refusal_is_one_chinese_line_and_changes_nothing(planned, telegram_env):
    api, county = telegram_env, planned
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            await say(api, VILLAGE_CHAT, "/pause 王老 2026-11-30 住院疗养")
            before, tasks_before = pauses_and_events(), tasks_of(county.cadres["张老"]) + tasks_of(county.cadres["赵老"])
            replies = {
                "bad_date": "/pause 张老 2027-02-30 异地居住",
                "past": "/pause 张老 2026-10-01 异地居住",
                "too_far": "/pause 张老 2027-12-01 异地居住",
                "unknown": "/pause 钱老 2027-02-28 异地居住",
                "not_mine": "/pause 赵老 2027-02-28 异地居住",  # 河底镇: another coordinator's
                "overlap": "/pause 王老 12-31 异地居住",
                "no_reason": "/pause 张老 2027-02-28",
                "not_a_date": "/pause 张老 明年春天 异地居住",
                "resume_not_mine": "/resume 赵老",
            }
            for key, command in replies.items():
                [replies[key]] = await say(api, VILLAGE_CHAT, command)
    assert replies == {
        "bad_date": "未能暂停：“2027-02-30”不是有效日期，请写成 2027-02-28 或 02-28。",
        "past": "未能暂停：2026-10-01 已过（今天是 2026-10-05），暂停须在今天或以后结束。",
        "too_far": "未能暂停：2027-12-01 超过一年，暂停最晚到 2027-10-06 结束，到期后请再次登记。",
        "unknown": "在您负责的老干部中没有找到“钱老”。",
        "not_mine": "在您负责的老干部中没有找到“赵老”。",
        "overlap": "未能暂停：王老 已暂停联系（2026-10-05 至 2026-11-30）；请先 /resume 王老 再登记新的暂停。",
        "no_reason": replies["not_a_date"],
        "not_a_date": ("用法：/pause 姓名 截止日期 原因，如 /pause 张老 2027-02-28 异地居住"
                       "（截止日期写成 2027-02-28，或 02-28 表示下一个该日）"),
        "resume_not_mine": "在您负责的老干部中没有找到“赵老”。",
    }
    for key, reply in replies.items():
        assert "\n" not in reply, key
        assert not LATIN.search(reply.replace("/pause", "").replace("/resume", "")), key
    assert pauses_and_events() == before
    after = tasks_of(county.cadres["张老"]) + tasks_of(county.cadres["赵老"])
    assert [(t.id, t.status) for t in after] == [(t.id, t.status) for t in tasks_before]
    assert all(t.status == "open" for t in after)


async def test_a_group_chat_refuses_pause_and_resume(planned, telegram_env):
    api, county = telegram_env, planned
    with session_scope() as s:
        code = create_invite(s, grid_id=factories.grid(s, "城关镇", "东街村"))
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            await say(api, GROUP_CHAT, f"/start {code}", chat_type="group")
            [pause] = await say(api, GROUP_CHAT, "/pause 张老 2027-02-28 异地居住", chat_type="group")
            [resume] = await say(api, GROUP_CHAT, "/resume 张老", chat_type="group")
    assert pause == resume == "本群可用命令：/today — 网格通报（只有统计数字）。"
    assert pauses_and_events() == (0, 0)
    assert live(county.cadres["张老"]) == {("monthly_call", "2026-10"), ("quarterly_visit", "2026-Q4")}


async def test_two_cadres_of_one_name_are_told_apart_by_number(planned, telegram_env):
    api = telegram_env
    with session_scope() as s:
        first, second = (factories.cadre(s, "李老").id for _ in range(2))
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            [ambiguous] = await say(api, VILLAGE_CHAT, "/pause 李老 2027-02-28 异地居住")
            [paused] = await say(api, VILLAGE_CHAT, f"/pause #{second} 2027-02-28 异地居住")
    assert ambiguous == f"有多位“李老”：#{first}、#{second}，请用编号代替姓名，例如 #{first}"
    assert paused == "已暂停：李老 至 2027-02-28（异地居住），期间不安排电话和走访；必访照常。"
    with session_scope() as s:
        assert s.execute(select(CadrePause.cadre_id)).scalars().all() == [second]


@pytest.mark.parametrize(("word", "today", "until"), [
    ("2027-02-28", "2026-10-05", "2027-02-28"),
    ("02-28", "2026-10-05", "2027-02-28"),
    ("10-05", "2026-10-05", "2026-10-05"),  # today: a pause of one day
    ("10-04", "2026-10-05", "2027-10-04"),
    ("02-29", "2026-10-05", "2028-02-29"),  # the next leap year's (the service then finds it too far)
    ("异地", "2026-10-05", None),
])
def test_the_last_day_of_a_pause_is_the_next_such_day(word, today, until):
    ctx = ChatContext(1, "赵村网格", "zh", D(today))
    assert pause_until(word, ctx) == (D(until) if until else None)


def test_a_day_that_never_comes_is_refused():
    with pytest.raises(CommandRefused, match="不是有效日期"):
        pause_until("02-30", ChatContext(1, "赵村网格", "zh", D("2026-10-05")))
