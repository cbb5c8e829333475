"""The page a leader opens first (今日概况), read back from a real Prefect server; and a re-run that adds to its day."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from models.db import session_scope
from tests import factories
from tests.flows.test_artifacts import markdown_counts, run_artifacts
from yinhui import clock

pytestmark = pytest.mark.prefect
D = dt.date.fromisoformat


def _county() -> None:
    with clock.frozen_at(D("2026-09-20")), session_scope() as s:
        factories.small_county(s)
        for i in range(3):
            factories.cadre(s, f"东{i}", village="东街村")
        factories.cadre(s, "上村一", township="河底镇", village="上村")


def _at(day: str, hour: int) -> pendulum.DateTime:
    return pendulum.datetime(*map(int, day.split("-")), hour, tz=clock.tz())


def test_todays_summary_comes_first_and_a_rerun_adds_to_the_days_record(database, prefect_harness):
    from flows.daily_plan import daily_plan

    _county()
    with clock.frozen_at(_at("2026-10-01", 6)):
        morning = daily_plan(D("2026-10-01"), dispatch=False, return_state=True)
    assert morning.is_completed()
    artifacts = run_artifacts(morning.state_details.flow_run_id)
    assert {"today", "daily-plan-counts", "coverage-by-township", "must-visit-deadlines"} <= set(artifacts)
    assert min(artifacts.values(), key=lambda a: a.created).key == "today"  # the first thing on the run
    counts = markdown_counts(artifacts["daily-plan-counts"].data)
    assert counts["新建任务"] > 0 and counts["生成提醒"] > 0

    today = artifacts["today"].data
    assert today.startswith("## 今日概况 2026-10-01")
    # A space after the bold: the UI's Markdown does not close ** before a full-width bracket.
    assert "本月至今覆盖率：**0%** （应联系 4 人，已联系 0 人）" in today
    assert "本月必访：无到期事项。" in today
    assert f"今日计划：新建任务 {counts['新建任务']} 项，生成联络员提醒 {counts['生成提醒']} 条" in today
    assert artifacts["today"].description.startswith("2026-10-01 今日概况")

    # Re-run in the afternoon: nothing new is written, and the day still shows what the morning did.
    with clock.frozen_at(_at("2026-10-01", 16)):
        afternoon = daily_plan(D("2026-10-01"), dispatch=False, return_state=True)
    again = run_artifacts(afternoon.state_details.flow_run_id)
    assert markdown_counts(again["daily-plan-counts"].data) == counts
    assert f"今日计划：新建任务 {counts['新建任务']} 项，生成联络员提醒 {counts['生成提醒']} 条" in again["today"].data


def test_the_summary_names_what_failed_and_the_command_that_redoes_it(database, prefect_harness):
    from flows.daily_plan import daily_plan
    from flows.reports import monthly_coverage_snapshot

    _county()
    with clock.frozen_at(D("2026-10-31")):  # October is not over: this run fails
        assert monthly_coverage_snapshot("2026-10", return_state=True).is_failed()
    with clock.frozen_at(_at("2026-11-01", 6)):
        plan = daily_plan(D("2026-11-01"), dispatch=False, return_state=True)
    today = run_artifacts(plan.state_details.flow_run_id)["today"].data
    assert "### 失败的运行" in today
    assert "- monthly-coverage-snapshot 2026-10 运行失败。重跑：`yinhui snapshot --month 2026-10`" in today
    assert plan.result()["artifacts"]["failed_runs"] >= 1

    # Redone: the failure is mended and no longer listed.
    with clock.frozen_at(_at("2026-11-01", 7)):
        assert monthly_coverage_snapshot("2026-10", return_state=True).is_completed()
        plan = daily_plan(D("2026-11-01"), dispatch=False, return_state=True)
    today = run_artifacts(plan.state_details.flow_run_id)["today"].data
    assert "monthly-coverage-snapshot 2026-10" not in today


def test_summary_in_english_and_without_data():
    from flows.today import Failure, today_markdown
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.coverage import CoverageReport, GridCoverage
    from yinhui.services.day_record import DayRecord
    from yinhui.services.snapshots import DeadlineRecord

    empty = CoverageReport(month=period_from_key("2026-10"), grids=[GridCoverage(1, 1, "老干部局", "老干部局", None)], missed=[])
    text = today_markdown(
        D("2026-10-01"), record=DayRecord(created={}, events={}, digests=0), report=empty,
        deadlines=DeadlineRecord(kinds=("must_visit",), first_day=D("2026-10-01"), last_day=D("2026-10-31")),
        failures=[Failure("daily-plan 2026-09-30", True, "yinhui rerun --date 2026-09-30")], undelivered_count=2, lang="en",
    )
    assert "Coverage this month so far: no data yet" in text and "100%" not in text
    assert "- daily-plan 2026-09-30 stopped without finishing. To redo: `yinhui rerun --date 2026-09-30`" in text
    assert "- 2 message(s) could not be delivered. To see them: `yinhui chat undelivered`" in text

    # A run list that could not be read is said so, never taken for "nothing failed".
    unknown = today_markdown(
        D("2026-10-01"), record=DayRecord(created={"call": 3}, events={}, digests=1), report=empty,
        deadlines=DeadlineRecord(kinds=("must_visit",), first_day=D("2026-10-01"), last_day=D("2026-10-31")),
        failures=None, undelivered_count=0, lang="zh",
    )
    assert "无法从 Prefect 服务器读取运行列表" in unknown and "没有失败的运行" not in unknown
    assert "今日计划：新建任务 3 项，生成联络员提醒 1 条" in unknown
