"""Digest payload → one Message → Telegram messages: order by kind, the 4,096 limit, phones and buttons only in private."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from notifiers.telegram.chat_format import (
    MAX_TEXT,
    TASKS_PER_MESSAGE,
    ChatText,
    split_text,
    tg_len,
    to_chat,
)
from notifiers.telegram.keyboard import (
    Button,
    CallbackData,
    date_rows,
    mark_task,
    parse_callback,
    replace_task_rows,
    task_rows,
)
from yinhui.messages.digest import render_digest as render_message
from yinhui.messages.digest import task_line
from yinhui.playbook_loader import load_playbook

PLAYBOOK = load_playbook()


def render_digest(payload: Mapping[str, Any], *, private: bool, tokens: Mapping[int, str] | None,
                  playbook: Any = PLAYBOOK, limit: int = MAX_TEXT) -> list[ChatText]:
    return to_chat(render_message(payload, playbook=playbook), private=private, tokens=tokens, limit=limit)


def render_plain(text: str, *, limit: int = MAX_TEXT) -> list[ChatText]:
    return split_text(text, limit=limit)


def _item(task_id: int, kind: str = "call", **extra: object) -> dict[str, object]:
    item = {"task_id": task_id, "kind": kind, "rule": "monthly_call" if kind == "call" else "quarterly_visit",
            "status": "open", "due": "2026-10-30", "cadre": f"老{task_id}", "phones": ["13912345678"],
            "grid": "城关镇/东街村", "new": True, "escalation_level": 0}
    item.update(extra)
    return item


def _payload(items: list[dict[str, object]], language: str = "zh") -> dict[str, object]:
    return {"day": "2026-10-01", "language": language, "horizon_days": 7, "coordinator": "赵村网格",
            "counts": {"total": len(items), "new": len(items), "overdue": 0, "due_soon": 0, "escalated": 0, "more": 0},
            "items": items, "escalated_items": []}


def _tokens(items: list[dict[str, object]]) -> dict[int, str]:
    return {int(i["task_id"]): f"{int(i['task_id']):016d}" for i in items}  # type: ignore[call-overload]


def test_sections_come_in_kind_order_must_visits_first():
    items = [_item(1, "call"), _item(2, "event_step"), _item(3, "visit"), _item(4, "must_visit")]
    [message] = render_digest(_payload(items), private=True, tokens=_tokens(items), playbook=PLAYBOOK)
    text = message.text
    assert text.startswith("📋 2026-10-01 工作提醒\n赵村网格，您好！")
    order = [text.index(h) for h in ("【必访】", "【入户走访】", "【电话联系】", "【活动筹备】")]
    assert order == sorted(order)
    assert "#1 老1 · 城关镇/东街村 · 截止 10-30 · ☎ 13912345678 [新]" in text


def test_a_private_digest_has_phones_and_buttons_a_group_has_neither():
    items = [_item(1), _item(2, "visit")]
    [private] = render_digest(_payload(items), private=True, tokens=_tokens(items), playbook=PLAYBOOK)
    [group] = render_digest(_payload(items), private=False, tokens=_tokens(items), playbook=PLAYBOOK)
    assert "13912345678" in private.text and "13912345678" not in group.text
    assert group.keyboard == []
    labels = [[b.label for b in row] for row in private.keyboard]
    # Visits before calls. A call may be reached, unreachable or visited; a visit has no "reached"
    # (the playbook's outcomes decide).
    # A call also takes "a relative answered" (亲属接听).
    assert labels == [["#2 老2"], ["📵未接通", "🏠已走访", "📅改期", "📝备注"],
                      ["#1 老1"], ["✅接通", "📵未接通", "🏠已走访", "👪亲属接听", "📅改期", "📝备注"]]


def test_a_calls_next_of_kin_shows_in_a_private_chat_only():
    items = [{**_item(1), "kin": {"name": "张明", "relation": "子女", "phones": ["13911112222"]}}]
    [private] = render_digest(_payload(items), private=True, tokens=_tokens(items), playbook=PLAYBOOK)
    [group] = render_digest(_payload(items), private=False, tokens=_tokens(items), playbook=PLAYBOOK)
    assert "#1 老1 · 城关镇/东街村 · 截止 10-30 · ☎ 13912345678 · 紧急联系人 张明（子女）☎ 13911112222 [新]" in private.text
    assert "张明" not in group.text and "13911112222" not in group.text


def test_english_digest():
    items = [_item(5)]
    [message] = render_digest(_payload(items, "en"), private=True, tokens=_tokens(items), playbook=PLAYBOOK)
    assert message.text.startswith("📋 Tasks for 2026-10-01\nHello 赵村网格.")
    assert "[Phone calls] 1" in message.text and "due 10-30" in message.text
    assert message.keyboard[1][0].label == "✅ Reached"


def test_long_digests_split_under_the_limit_with_room_for_answers():
    long_name = "欧阳" * 40
    items = [_item(i, "call" if i % 2 else "visit", cadre=long_name, grid="很长的社区名字" * 8) for i in range(1, 61)]
    messages = render_digest(_payload(items), private=True, tokens=_tokens(items), playbook=PLAYBOOK, limit=2000)
    assert len(messages) > 60 // TASKS_PER_MESSAGE
    listed = [t for m in messages for t in m.task_ids]
    assert sorted(listed) == list(range(1, 61))  # every task once
    for i, message in enumerate(messages, 1):
        assert message.text.startswith(f"📋 2026-10-01 工作提醒（{i}/{len(messages)}）")
        assert len(message.task_ids) <= TASKS_PER_MESSAGE
        # Even with every task answered, the edited text still fits.
        answered = message.text
        for task_id in message.task_ids:
            answered = mark_task(answered, task_id, "📅 改至 10-15")
        assert tg_len(answered) <= 2000
    # A section carried over repeats its heading.
    assert any("【电话联系·续】" in m.text or "【入户走访·续】" in m.text for m in messages)
    # Each message's buttons are for its own tasks only.
    for message in messages:
        infos = [row[0].label.split()[0] for row in message.keyboard[::2]]
        assert infos == [f"#{t}" for t in message.task_ids]


def test_default_limit_is_telegrams():
    items = [_item(i, cadre="名" * 50) for i in range(1, 41)]
    messages = render_digest(_payload(items), private=True, tokens=_tokens(items), playbook=PLAYBOOK)
    assert all(tg_len(m.text) <= MAX_TEXT for m in messages)


def test_plain_text_splits_at_lines():
    text = "\n".join(f"第{i}行：" + "字" * 50 for i in range(200))
    parts = render_plain(text, limit=1000)
    assert all(tg_len(p.text) <= 1000 for p in parts)
    assert "\n".join(p.text for p in parts) == text


def test_callback_data_is_short_opaque_and_parsed_strictly():
    token = "AbCdEfGhIjKlMnOp"
    rows = task_rows(token, task_line(_item(7), "zh", PLAYBOOK), "zh") + date_rows(
        token, today=dt.date(2026, 10, 1), latest=dt.date(2026, 10, 31), language="zh")
    datas = [b.data for row in rows for b in row]
    assert all(len(d.encode()) <= 64 for d in datas)
    assert all("7" not in d.removeprefix(token).split(":")[1] for d in datas if ":o:" in d)  # no task id inside
    assert parse_callback(f"{token}:o:r") == CallbackData(token, "o", "r")
    assert parse_callback(f"{token}:d:20261015") == CallbackData(token, "d", "20261015")
    for bad in (f"{token}:o:x", f"{token}:o", f"{token}:s:1", "short:o:r", f"{token}:o:r:extra", "", None,
                f"{token}:d:2026101"):
        assert parse_callback(bad) is None


def test_date_picker_stays_within_the_period():
    rows = date_rows("t" * 16, today=dt.date(2026, 10, 28), latest=dt.date(2026, 10, 31), language="zh")
    days = [b.data.rsplit(":", 1)[1] for row in rows for b in row if ":d:" in b.data]
    assert days == ["20261029", "20261030", "20261031"]
    assert rows[-1][0].label == "« 返回"


def test_marking_and_dropping_one_task():
    text = "title\n#3 老3 · 截止 10-30\n#31 老31 · 截止 10-30"
    once = mark_task(text, 3, "✅ 已接通")
    assert once == "title\n#3 老3 · 截止 10-30 → ✅ 已接通\n#31 老31 · 截止 10-30"
    assert mark_task(once, 3, "📵 未接通").count("→") == 1
    keyboard = [[Button("#3", "a" * 16 + ":i")], [Button("x", "a" * 16 + ":o:r")],
                [Button("#31", "b" * 16 + ":i")], [Button("y", "b" * 16 + ":o:r")]]
    assert replace_task_rows(keyboard, "a" * 16, []) == keyboard[2:]
    swapped = replace_task_rows(keyboard, "b" * 16, [[Button("z", "b" * 16 + ":b")]])
    assert swapped == keyboard[:2] + [[Button("z", "b" * 16 + ":b")]]
