"""End to end in chat: plan, dispatch, press buttons (updates fed by the stand-in), see the database.

The real python-telegram-bot Application polls the Bot API stand-in; every press and command is
an update the stand-in serves, every answer an HTTP request it records.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import func, select

from models.db import session_scope
from models.people import Coordinator
from models.tasks import Task, TaskEvent
from tests import factories
from tests.notifiers.conftest import (
    IGNORE_RETRY_AFTER_WARNING,
    PHONES,
    TOWN_CHAT,
    VILLAGE_CHAT,
    D,
    build_county,
    deliver,
    find_button,
    plan_day,
    press,
    running_bot,
    say,
    tasks_of,
)
from yinhui import clock
from yinhui.services.chat import create_invite
from yinhui.services.grid_notices import queue_grid_notices

pytestmark = IGNORE_RETRY_AFTER_WARNING
STRANGER = 5555


def events() -> int:
    with session_scope() as s:
        return s.execute(select(func.count()).select_from(TaskEvent)).scalar_one()


def task(task_id: int) -> Task:
    with session_scope() as s:
        return s.get(Task, task_id)


async def test_a_button_closes_the_task_edits_the_message_and_leaves_an_audit_trail(planned, telegram_env):
    api, county = telegram_env, planned
    call, visit = tasks_of(county.cadres["张老"])
    message_id, data = find_button(api, VILLAGE_CHAT, call.id, "接通")
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            assert await press(api, VILLAGE_CHAT, message_id, data) == "已记录：✅ 已接通"
            await api.wait_until_async(lambda: bool(api.edits), timeout=5)
            # A visit also counts as the month's call (覆盖).
            wang_call, wang_visit = tasks_of(county.cadres["王老"])
            message_id2, visit_data = find_button(api, VILLAGE_CHAT, wang_visit.id, "已走访")
            assert await press(api, VILLAGE_CHAT, message_id2, visit_data) == "已记录：🏠 已走访"
    done = task(call.id)
    assert (done.status, done.outcome, done.closed_by) == ("done", "reached", f"coordinator:{county.village}")
    assert task(visit.id).status == "open"
    assert (task(wang_visit.id).outcome, task(wang_call.id).outcome) == ("visited", "covered")
    with session_scope() as s:
        trail = s.execute(select(TaskEvent).where(TaskEvent.task_id == call.id)).scalars().all()
    assert [(e.action, e.actor, e.to_status) for e in trail] == [("completed", f"coordinator:{county.village}", "done")]
    edited = api.message(VILLAGE_CHAT, message_id)
    line = next(ln for ln in edited["text"].splitlines() if ln.startswith(f"#{call.id} "))
    assert line.endswith("→ ✅ 已接通")
    datas = [b["callback_data"] for row in edited.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
    assert data not in datas and not any(d.startswith(data.split(":")[0]) for d in datas)
    # The other tasks keep their buttons.
    assert find_button(api, VILLAGE_CHAT, visit.id, "已走访")


async def test_forged_foreign_and_replayed_presses_change_nothing(planned, telegram_env):
    api, county = telegram_env, planned
    call, _visit = tasks_of(county.cadres["张老"])
    message_id, data = find_button(api, VILLAGE_CHAT, call.id, "接通")
    token = data.split(":")[0]
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            before_events, before_edits = events(), len(api.edits)
            # Forged: any data we never issued, shaped like ours or not.
            forged = ("A" * 16 + ":o:r", token[:-1] + ("B" if token[-1] != "B" else "C") + ":o:r",
                      f"{token}:o:x", f"{call.id}:o:r", "done:7")
            for fake in forged:
                assert await press(api, VILLAGE_CHAT, message_id, fake, strict=False) == "按钮已失效，未作任何更改。"
            # Foreign: the town coordinator presses the village coordinator's button.
            assert await press(api, VILLAGE_CHAT, message_id, data, user_id=TOWN_CHAT) == "这不是您的任务，未作任何更改。"
            # A stranger presses it.
            assert "仅为老干部局工作人员服务" in await press(api, VILLAGE_CHAT, message_id, data, user_id=STRANGER)
            assert (events(), len(api.edits)) == (before_events, before_edits)
            assert task(call.id).status == "open"
            # The owner presses: done. Then the same press replayed (a stale client) is refused.
            assert await press(api, VILLAGE_CHAT, message_id, data) == "已记录：✅ 已接通"
            after = events()
            # A replay names who closed the task and when (here: the presser themself).
            for replay in (data, f"{token}:o:u"):
                answer = await press(api, VILLAGE_CHAT, message_id, replay, strict=False)
                assert re.fullmatch(r"该任务已由赵村网格于 \d{4}-\d\d-\d\d \d\d:\d\d 完成，未作任何更改。", answer), answer
            assert events() == after
            assert task(call.id).outcome == "reached"


async def test_a_task_closed_elsewhere_refuses_its_old_button(planned, telegram_env):
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.tasks import complete_task

    api, county = telegram_env, planned
    call, _ = tasks_of(county.cadres["刘老"])
    message_id, data = find_button(api, VILLAGE_CHAT, call.id, "未接通")
    with session_scope() as s:
        complete_task(s, call.id, outcome="reached", actor="cli:operator", on=D("2026-10-03"), playbook=current_playbook())
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            answer = await press(api, VILLAGE_CHAT, message_id, data)
            # The operator closed it: named, with the time, so the coordinator knows who to ask.
            assert re.fullmatch(r"该任务已由(\S+)于 \d{4}-\d\d-\d\d \d\d:\d\d 完成，未作任何更改。", answer), answer
            await api.wait_until_async(lambda: bool(api.edits), timeout=5)
    assert task(call.id).outcome == "reached"
    # The message is tidied: the line shows how the task was closed, and its buttons are gone.
    line = next(ln for ln in api.edits[-1].text.splitlines() if ln.startswith(f"#{call.id} "))
    assert line.endswith("→ ✅ 已接通")
    assert not any(b["callback_data"].startswith(data.split(":")[0])
                   for row in (api.edits[-1].reply_markup or {}).get("inline_keyboard", []) for b in row)


async def test_reschedule_with_a_date_picker(planned, telegram_env):
    api, county = telegram_env, planned
    call, _ = tasks_of(county.cadres["王老"])
    message_id, data = find_button(api, VILLAGE_CHAT, call.id, "改期")
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            assert await press(api, VILLAGE_CHAT, message_id, data) == "请选择新的日期"
            await api.wait_until_async(lambda: bool(api.edits), timeout=5)
            rows = api.message(VILLAGE_CHAT, message_id)["reply_markup"]["inline_keyboard"]
            dates = [b for row in rows for b in row if b["callback_data"].startswith(data.split(":")[0] + ":d:")]
            assert [b["callback_data"][-8:] for b in dates][:3] == ["20261006", "20261007", "20261008"]
            pick = next(b for b in dates if b["callback_data"].endswith("20261008"))
            assert pick["text"] == "10-08 四"
            # A forged date beyond the period (a November day for an October call) is refused.
            forged = pick["callback_data"][:-8] + "20261105"
            answer = await press(api, VILLAGE_CHAT, message_id, forged, strict=False)
            assert answer == "该任务只能改到 10-05 至 10-31 之间的日期，未作任何更改。"  # no English inside
            assert task(call.id).due.isoformat() == "2026-10-31"
            assert await press(api, VILLAGE_CHAT, message_id, pick["callback_data"]) == "已改期至 10-08"
    moved = task(call.id)
    assert (moved.status, moved.due.isoformat()) == ("open", "2026-10-08")
    with session_scope() as s:
        [event] = s.execute(select(TaskEvent).where(TaskEvent.task_id == call.id)).scalars().all()
    assert (event.action, event.actor) == ("rescheduled", f"coordinator:{county.village}")
    text = api.message(VILLAGE_CHAT, message_id)["text"]
    assert next(ln for ln in text.splitlines() if ln.startswith(f"#{call.id} ")).endswith("→ 📅 改至 10-08")
    # The task's answer buttons are back.
    assert find_button(api, VILLAGE_CHAT, call.id, "接通")


async def test_a_note_from_chat_goes_to_the_task(planned, telegram_env, caplog):
    api, county = telegram_env, planned
    caplog.set_level(logging.DEBUG)
    _, visit = tasks_of(county.cadres["陈老"])
    message_id, data = find_button(api, TOWN_CHAT, visit.id, "备注")
    note = "老人因高血压住院，下周再去"
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            await press(api, TOWN_CHAT, message_id, data)
            prompt = await api.wait_for_sent_async(2, chat_id=TOWN_CHAT, timeout=5)  # the digest, then the prompt
            assert "请直接回复本条消息" in prompt[-1].text
            assert (await say(api, TOWN_CHAT, note)) == [f"备注已记入任务 #{visit.id}。"]
            # Plain text with no note pending gets a hint.
            assert (await say(api, TOWN_CHAT, "你好"))[0].startswith("发送 /today")
    assert task(visit.id).note == note
    with session_scope() as s:
        [event] = s.execute(select(TaskEvent).where(TaskEvent.task_id == visit.id)).scalars().all()
    assert (event.action, event.actor) == ("noted", f"coordinator:{county.town}")
    # A health note never reaches a log line.
    assert caplog.records and all("高血压" not in r.getMessage() for r in caplog.records)


async def test_views_today_overdue_and_week(planned, telegram_env):
    from yinhui.services.tasks import mark_overdue

    api = telegram_env
    with session_scope() as s:
        mark_overdue(s, day=D("2026-11-03"), actor="test")  # October's calls are late now
    with clock.frozen_at(D("2026-11-03")):
        async with running_bot(api):
            today = await say(api, VILLAGE_CHAT, "/today")
            overdue = await say(api, VILLAGE_CHAT, "/overdue")
            week = await say(api, VILLAGE_CHAT, "/week")
    assert today[0].startswith("📋 今日待办")
    assert "【入户走访】3 项" in today[0] and "【电话联系】3 项" in today[0]
    assert overdue[0].startswith("⏰ 逾期任务") and "【电话联系】3 项" in overdue[0] and "入户走访" not in overdue[0]
    assert all("[逾期]" in ln for ln in overdue[0].splitlines() if ln.startswith("#"))
    # Within the next 7 days: the overdue calls (due Oct 30) are; the visits (Dec 31) are not.
    assert "【电话联系】3 项" in week[0] and "入户走访" not in week[0]
    assert PHONES[0] in today[0]  # private chat


async def test_strangers_get_one_polite_line_and_nothing_more(planned, telegram_env):
    api = telegram_env
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            for text in ("/today", "/start", "你好", "/help", "/report 住院 张老", "/overdue"):
                replies = await say(api, STRANGER, text)
                assert replies == ["您好！本机器人仅为老干部局工作人员服务。如需使用，请向管理员索取邀请码。"]
            assert await say(api, STRANGER, "/start NOTACODE12") == ["邀请码无效、已使用或已过期，请向管理员重新索取。"]
            # An unbound group hears one line on a command, nothing on chatter.
            assert len(await say(api, -7001, "/today", chat_type="group")) == 1
            sent_before = len(api.sent)
            api.push_text(-7001, "大家好", chat_type="group")
            await api.wait_until_async(lambda: api.pending_updates == 0, timeout=5)
    assert len(api.sent) == sent_before
    stranger_texts = [m.text for m in api.sent if m.chat_id in (STRANGER, -7001)]
    assert not any(name in t for t in stranger_texts for name in ("张老", "王老", "#"))


async def test_binding_with_a_one_time_code(database, telegram_env):
    api = telegram_env
    county = build_county(bound=False)
    with session_scope() as s:
        code = create_invite(s, coordinator_id=county.village)
        grid_code = create_invite(s, grid_id=factories.grid(s, "城关镇", "东街村"))
        old = create_invite(s, coordinator_id=county.town)
        newer = create_invite(s, coordinator_id=county.town)  # the older code stops working
    async with running_bot(api):
        assert (await say(api, 2001, f"/start {code}"))[0].startswith("绑定成功：赵村网格。")
        assert await say(api, 2002, f"/start {code}") == ["邀请码无效、已使用或已过期，请向管理员重新索取。"]
        assert await say(api, 2003, f"/start {old}") == ["邀请码无效、已使用或已过期，请向管理员重新索取。"]
        # A grid's code works in a group only; a coordinator's in a private chat only.
        assert (await say(api, 2004, f"/start {grid_code}"))[0].startswith("无法绑定")
        assert (await say(api, -3001, f"/start {newer}", chat_type="group"))[0].startswith("无法绑定")
        assert (await say(api, -3001, f"/start {grid_code}", chat_type="group", user_id=42))[0] == (
            "绑定成功：本群为“城关镇/东街村”网格群，每天将收到网格通报（只有统计数字，不含个人信息）。")
        assert (await say(api, 2001, "/start"))[0].startswith("赵村网格，您好！")
    with session_scope() as s:
        stale = create_invite(s, coordinator_id=county.leader, days=1)
    with clock.frozen_at(D("2099-01-01")):  # long after its one day
        async with running_bot(api):
            assert await say(api, 2005, f"/start {stale}") == ["邀请码无效、已使用或已过期，请向管理员重新索取。"]
    with session_scope() as s:
        village = s.get(Coordinator, county.village)
        assert (village.chat_id, village.channel, village.channel_broken) == (2001, "telegram", None)
        assert s.get(Coordinator, county.town).chat_id is None


async def test_a_chat_guessing_codes_is_not_heard_for_a_while_and_spends_nothing(database, telegram_env):
    api = telegram_env
    county = build_county(bound=False)
    with session_scope() as s:
        code = create_invite(s, coordinator_id=county.village)
    wrong = "0" * len(code) if code != "0" * len(code) else "1" * len(code)
    async with running_bot(api):
        for _ in range(5):
            assert await say(api, 2009, f"/start {wrong}") == ["邀请码无效、已使用或已过期，请向管理员重新索取。"]
        # Even the right code is not looked at now, and so is not spent.
        assert await say(api, 2009, f"/start {code}") == ["错误的邀请码太多，本聊天暂停绑定一小时。请向管理员核对邀请码。"]
        with session_scope() as s:
            assert s.get(Coordinator, county.village).chat_id is None
        assert (await say(api, 2010, f"/start {code}"))[0].startswith("绑定成功：赵村网格。")


def test_wrong_codes_are_forgiven_when_the_window_has_passed():
    from notifiers.bot.guard import CodeAttempts

    now = [0.0]
    book = CodeAttempts(allowed=2, window=60.0, clock=lambda: now[0])
    book.wrong(1)
    now[0] = 30.0
    book.wrong(1)
    assert book.locked(1) and not book.locked(2)
    now[0] = 61.0  # the first wrong code has left the window
    assert not book.locked(1)
    book.wrong(1)
    assert book.locked(1)


async def test_a_grid_group_gets_counts_and_never_personal_data(database, telegram_env):
    api = telegram_env
    county = build_county()
    plan_day(D("2026-10-01"))
    with session_scope() as s:
        grid_code = create_invite(s, grid_id=factories.grid(s, "城关镇", "东街村"))
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            await say(api, -3001, f"/start {grid_code}", chat_type="group")
            [notice] = await say(api, -3001, "/today", chat_type="group")
            assert notice.splitlines()[1] == "在办任务 6 项，其中逾期 0 项；本月已完成 0 项。"
            # Commands that would show cadres are not served in a group.
            assert await say(api, -3001, "/report 住院 张老", chat_type="group") == ["本群可用命令：/today — 网格通报（只有统计数字）。"]
    with session_scope() as s:
        assert queue_grid_notices(s, D("2026-10-05")) == 1
    deliver()
    group_texts = [m.text for m in api.sent if m.chat_id < 0]
    assert len(group_texts) == 4 and group_texts[-1].startswith("📣 2026-10-05 网格通报 · 城关镇/东街村")
    personal = [*county.cadres, *PHONES, *county.id_numbers, "东街村1号"]
    assert not [p for t in group_texts for p in personal if p in t]
    assert all(not m.reply_markup for m in api.sent if m.chat_id < 0)


async def test_plugin_commands_report_and_attend(planned, telegram_env):
    api = telegram_env
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            assert (await say(api, VILLAGE_CHAT, "/report"))[0].startswith("用法：/report")
            assert (await say(api, VILLAGE_CHAT, "/report 住院 陈老"))[0] == "在您负责的老干部中没有找到“陈老”。"
            assert (await say(api, VILLAGE_CHAT, "/report 升职 张老"))[0].startswith("未能上报：")
            reply = (await say(api, VILLAGE_CHAT, "/report 住院 张老 县医院心内科"))[0]
            assert reply.startswith("已上报：张老（住院），必访任务 #")
            assert (await say(api, VILLAGE_CHAT, "/attend"))[0].startswith("用法：/attend")
            assert len(await say(api, VILLAGE_CHAT, "/attend 999 张老")) == 1  # no such event: one clear line
            help_text = (await say(api, VILLAGE_CHAT, "/help"))[0]
    assert "/report 类型 姓名" in help_text and "/attend 活动编号" in help_text and "/today" in help_text
    # The must-visit went through the must-visit service, in the coordinator's name.
    task_id = int(reply.rsplit("#", 1)[1])
    made = task(task_id)
    assert (made.kind, made.cadre_id, made.created_by) == ("must_visit", planned.cadres["张老"], f"coordinator:{planned.village}")
