"""One renderer per message kind, one place for the texts: every format draws the same content."""

from __future__ import annotations

import re
import string

from notifiers.telegram.chat_format import to_chat
from yinhui.i18n import translator
from yinhui.messages.content import as_text
from yinhui.messages.digest import render_digest
from yinhui.messages.notices import render_channel_broken, render_grid_notice
from yinhui.messages.stored import message_for
from yinhui.messages.texts import TEXTS, kind_label, language_of, text
from yinhui.playbook_loader import load_playbook

PLAYBOOK = load_playbook()
SAME_IN_BOTH = {"task.phones", "task.nobody"}  # "☎ {phones}", "—"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_every_text_has_both_languages_with_the_same_placeholders():
    # The English is the msgid; the zh_CN catalogue must carry its Chinese, filling in the same names.
    chinese = translator("zh")
    for key, en in TEXTS.items():
        zh = chinese.gettext(en)
        assert zh and en, key
        assert zh != en or key in SAME_IN_BOTH, key  # untranslated: not in the zh_CN catalogue
        assert _fields(zh) == _fields(en), key
        assert text("en", key) == en and text("zh", key) == zh
    assert text("en", "digest.title", day="2026-10-01") == "Tasks for 2026-10-01"
    assert text("fr", "digest.title", day="2026-10-01") == "2026-10-01 工作提醒"  # unknown: Chinese
    assert (language_of(None, "en"), language_of("fr", None), kind_label("call", "en")) == ("en", "zh", "Phone calls")
    assert kind_label("unheard_of", "zh") == "unheard_of"


def _payload(language: str = "zh") -> dict[str, object]:
    items = [
        {"task_id": 11, "kind": "call", "rule": "monthly_call", "status": "overdue", "due": "2026-10-30",
         "cadre": "张老", "phones": ["13912345678"], "grid": "城关镇/东街村", "label": None, "new": False,
         "escalation_level": 1},
        {"task_id": 12, "kind": "must_visit", "rule": "hospitalisation_visit", "status": "open", "due": "2026-10-03",
         "cadre": "王老", "phones": [], "grid": "城关镇/东街村", "label": "生病住院探望", "new": True,
         "escalation_level": 0},
    ]
    return {"render": "digest", "day": "2026-10-01", "language": language, "horizon_days": 7, "coordinator": "赵村网格",
            "counts": {"total": 5, "new": 1, "overdue": 1, "due_soon": 1, "escalated": 0, "more": 3},
            "items": items, "escalated_items": []}


def test_the_digest_is_built_once_and_each_format_only_lays_it_out():
    message = render_digest(_payload(), playbook=PLAYBOOK)
    subject, body = as_text(message)
    [chat] = to_chat(message, private=True, tokens={11: "a" * 16, 12: "b" * 16})
    [group] = to_chat(message, private=False, tokens={11: "a" * 16})
    assert subject == "2026-10-01 工作提醒" and chat.text.startswith("📋 2026-10-01 工作提醒\n")
    # The same words in every format: greeting, headings (must-visits first), task lines, flags.
    for shown in (body, chat.text, group.text):
        assert "赵村网格，您好！2026-10-01 您共有 5 项待办" in shown
        assert shown.index("【必访】1 项") < shown.index("【电话联系】1 项")
        assert "#12 王老 · 生病住院探望 · 城关镇/东街村" in shown and "[逾期, 升级1级]" in shown
        assert "……另有 3 项未列出。" in shown
    # What differs is layout only: dates in full in plain text, phones and buttons only in a private chat,
    # the answer hint for buttons or for the command line.
    assert "截止 2026-10-30" in body and "截止 10-30" in chat.text
    assert "13912345678" in chat.text and "13912345678" not in body + group.text
    assert "yinhui complete" in body and "yinhui complete" not in chat.text + group.text
    assert "点按任务下方按钮" in chat.text and "点按" not in body + group.text
    assert chat.keyboard and not group.keyboard
    assert as_text(render_digest(_payload("en"), playbook=PLAYBOOK))[0] == "Tasks for 2026-10-01"


def test_a_grid_notice_and_an_alert_read_the_same_everywhere():
    notice = render_grid_notice(grid="城关镇/东街村", day="2026-10-05", live=6, overdue=1, done=2, language="zh")
    subject, body = as_text(notice)
    [chat] = to_chat(notice, private=False)
    assert chat.text == f"📣 {subject}\n{body}"
    assert body == "在办任务 6 项，其中逾期 1 项；本月已完成 2 项。\n请相关网格员尽快处理逾期任务。"
    alert = render_channel_broken(who="王网格", channel="telegram", reason="Forbidden: bot was blocked", language="zh")
    subject, body = as_text(alert)
    [chat] = to_chat(alert, private=True)
    assert subject == "消息送达失败" and chat.text == body and "yinhui coordinator invite 王网格" in body


def test_a_row_is_drawn_again_by_its_renderer_or_sent_as_its_stored_text():
    payload = {"render": "grid_notice", "grid": "上村", "day": "2026-10-05", "live": 1, "overdue": 0, "done": 0,
               "language": "en", "group_chat_id": 3}
    drawn = message_for(kind="notice", payload=payload, subject="old", body="old", language="zh")
    assert as_text(drawn) == ("Grid notice 2026-10-05 · 上村", "1 open tasks, 0 of them overdue; 0 done this month.\n"
                                                              "Nothing overdue. Thank you all!")
    legacy_digest = {k: v for k, v in _payload().items() if k != "render"}  # queued before payloads named it
    assert message_for(kind="digest", payload=legacy_digest, subject="s", body="b", language="zh").sections
    for payload in (None, {"group_chat_id": 3}, {"render": "grid_notice"}):  # nothing to draw from
        stored = message_for(kind="alert", payload=payload, subject="【告警】", body="第一行\n第二行", language="zh")
        assert as_text(stored) == ("【告警】", "第一行\n第二行")
        assert [c.text for c in to_chat(stored, private=True)] == ["第一行\n第二行"]


def test_plain_text_never_carries_a_phone_whatever_the_kind():
    for message in (render_digest(_payload(), playbook=PLAYBOOK), render_digest(_payload("en"), playbook=PLAYBOOK)):
        _, body = as_text(message)
        assert not re.search(r"1[3-9]\d{9}", body)
