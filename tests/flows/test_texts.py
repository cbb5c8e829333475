"""The flows' texts come from the gettext catalogues: the reader's language in artifacts and alerts,
Chinese then English in what Prefect keeps with a flow, a task or a deployment."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from typing import Any

from flows import alerts
from flows.artifacts import counts_markdown
from flows.daily_plan import daily_plan
from flows.texts import TEXTS, bilingual, chinese, label
from flows.today import publish_day_artifacts
from yinhui.i18n import N_


def test_report_labels_follow_the_language_and_keep_both_kinds_of_missed():
    counts = [("lapsed", 1), ("missed", 2), ("· 电话联系", 3)]
    assert counts_markdown("T", counts, "zh") == (
        "## T\n\n| 项目 | 数量 |\n|---|---:|\n| 逾期关闭（未办） | 1 |\n| 未办关闭 | 2 |\n| · 电话联系 | 3 |\n"
    )
    # One English label for both (the en catalogue gives the lapsed msgid its English text).
    assert counts_markdown("T", counts, "en") == (
        "## T\n\n| Item | Count |\n|---|---:|\n| Closed as missed | 1 |\n| Closed as missed | 2 |\n| · 电话联系 | 3 |\n"
    )


def test_every_report_text_has_its_chinese():
    untranslated = [msgid for msgid in TEXTS.values() if chinese(msgid) == msgid]
    assert untranslated == []
    assert label("more", "zh") == "……另有 {more} 项未列出" and label("no such key", "zh") == "no such key"


def test_prefect_keeps_names_and_descriptions_in_chinese_then_english():
    assert daily_plan.description == (
        "每日计划：联系、节点、必访，再生成提醒并发送，发布当日报表 — plan the day, write digests, deliver them, publish the day's report."
    )
    assert publish_day_artifacts.name == "publish-day-artifacts · 发布当日报表"
    assert bilingual(N_("must-visit deadlines"), " ") == "必访时限 must-visit deadlines"


def test_failure_alert_speaks_each_leaders_language(monkeypatch):
    leaders = [SimpleNamespace(id=1, language="zh", channel="telegram"), SimpleNamespace(id=2, language="en", channel="telegram")]
    queued: list[dict[str, Any]] = []
    monkeypatch.setattr(alerts, "session_scope", contextlib.nullcontext)
    monkeypatch.setattr(alerts, "active_leaders", lambda session: leaders)
    monkeypatch.setattr(alerts, "enqueue", lambda session, **message: queued.append(message) or True)
    assert alerts.alert_leaders(flow_name="daily-plan", run_name="daily-plan-2026-10-12", reason="", link=None,
                                rerun="yinhui rerun --date 2026-10-12", key="run:1") == 2
    zh, en = queued
    assert zh["subject"] == "【银辉告警】daily-plan 运行失败"
    assert zh["body"] == (
        "【银辉告警】定时任务运行失败\n流程：daily-plan（daily-plan-2026-10-12）\n原因：未知\n"
        "详情：请在 Prefect 界面中查看运行 daily-plan-2026-10-12\n处理：yinhui rerun --date 2026-10-12"
    )
    assert en["subject"] == "[Yinhui alert] daily-plan failed"
    assert en["body"] == (
        "[Yinhui alert] A scheduled run failed\nFlow: daily-plan (daily-plan-2026-10-12)\nReason: unknown\n"
        "Details: see run daily-plan-2026-10-12 in the Prefect UI\nTo redo: yinhui rerun --date 2026-10-12"
    )
