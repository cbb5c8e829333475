"""Relatives in chat: the next of kin on a coordinator's own list (never in a group), the 👪 button
(a relative answered: the month's contact), and a grid's relatives' group (亲人群) bound by a code."""

from __future__ import annotations

from sqlalchemy import select

from models.chat import RELATIVES_AUDIENCE, GroupChat
from models.db import session_scope
from models.people import Cadre
from models.tasks import Contact, Task
from tests import factories
from tests.notifiers.conftest import (
    IGNORE_RETRY_AFTER_WARNING,
    VILLAGE_CHAT,
    D,
    build_county,
    deliver,
    find_button,
    first_lists_sent,
    press,
    running_bot,
    say,
    tasks_of,
)
from yinhui import clock
from yinhui.services.chat import create_invite
from yinhui.services.grid_notices import queue_grid_notices, queue_notice
from yinhui.services.relatives import check_relative, save_relative

pytestmark = IGNORE_RETRY_AFTER_WARNING
KIN_PHONE = "13911112222"
RELATIVES_CHAT, GRID_CHAT = -3002, -3001


def county_with_kin():
    county = build_county()
    with session_scope() as s:
        zhang = s.get(Cadre, county.cadres["张老"])
        save_relative(s, zhang, check_relative("张明", relation="子女", phones=[KIN_PHONE], next_of_kin=True),
                      actor="test")
    return county


async def test_the_next_of_kin_shows_in_the_coordinators_chat_and_a_relative_can_answer(database, telegram_env):
    api, county = telegram_env, first_lists_sent(county_with_kin())
    digest = next(m.text for m in api.sent if m.chat_id == VILLAGE_CHAT)
    call, _visit = tasks_of(county.cadres["张老"])
    line = next(ln for ln in digest.splitlines() if ln.startswith(f"#{call.id} "))
    assert f"紧急联系人 张明（子女）☎ {KIN_PHONE}" in line
    assert sum(KIN_PHONE in m.text for m in api.sent) == 1  # only there, not the town's or the leader's list
    message_id, data = find_button(api, VILLAGE_CHAT, call.id, "亲属接听")
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            info = await press(api, VILLAGE_CHAT, message_id, data.split(":")[0] + ":i")
            assert "紧急联系人 张明" in info
            assert await press(api, VILLAGE_CHAT, message_id, data) == "已记录：👪 经亲属联系"
            # Only calls take it: a visit's row has no such button.
            _, visit = tasks_of(county.cadres["王老"])
            visit_message, visit_data = find_button(api, VILLAGE_CHAT, visit.id, "已走访")
            token = visit_data.split(":")[0]
            assert await press(api, VILLAGE_CHAT, visit_message, f"{token}:o:k", strict=False) == "按钮已失效，未作任何更改。"
    with session_scope() as s:
        done = s.get(Task, call.id)
        contact = s.execute(select(Contact).where(Contact.cadre_id == county.cadres["张老"])).scalar_one()
    assert (done.status, done.outcome) == ("done", "reached")
    assert (contact.mode, contact.via) == ("call", "relative")
    assert tasks_of(county.cadres["王老"])[1].status == "open"


async def test_a_relatives_group_is_bound_by_a_code_and_gets_notices_never_counts(database, telegram_env):
    api = telegram_env
    first_lists_sent(county_with_kin())
    with session_scope() as s:
        grid_id = factories.grid(s, "城关镇", "东街村")
        relatives_code = create_invite(s, grid_id=grid_id, audience=RELATIVES_AUDIENCE)
        grid_code = create_invite(s, grid_id=grid_id)  # the grid's own code still works beside it
    with clock.frozen_at(D("2026-10-05")):
        async with running_bot(api):
            [bound] = await say(api, RELATIVES_CHAT, f"/start {relatives_code}", chat_type="group")
            assert bound.startswith("绑定成功：本群现为网格 城关镇/东街村 的亲人群。")
            await say(api, GRID_CHAT, f"/start {grid_code}", chat_type="group")
            [today] = await say(api, RELATIVES_CHAT, "/today", chat_type="group")
            assert today == "本群是网格 城关镇/东街村 的亲人群：老干部局在此发布通知。"
    with session_scope() as s:
        assert {g.chat_id: g.audience for g in s.execute(select(GroupChat)).scalars()} == {
            RELATIVES_CHAT: "relatives", GRID_CHAT: "grid"}
        assert queue_grid_notices(s, D("2026-10-05")) == 1  # the grid's group only
        assert queue_notice(s, grid_id, "重阳节敬老活动：10 月 29 日上午，社区活动室。", relatives=True, actor="test") == 1
    deliver()
    to_relatives = [m.text for m in api.sent if m.chat_id == RELATIVES_CHAT]
    assert to_relatives[-1] == "重阳节敬老活动：10 月 29 日上午，社区活动室。"
    assert not any("网格通报" in t or KIN_PHONE in t or "张明" in t for t in to_relatives)
    assert all(not m.reply_markup for m in api.sent if m.chat_id < 0)
