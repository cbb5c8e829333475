"""Run logs as a leader reads them under a run: counts, warnings and failures in the bureau's language, detail at debug."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

# Prefect sets up logging when first imported (dictConfig replaces the root handlers): import it at
# collection, so that pytest's caplog handler, installed per test, is not swept away mid-test.
import flows.daily_plan  # noqa: F401
from flows.run_logs import in_bureau_words
from models.db import session_scope
from tests import factories
from yinhui import clock

D = dt.date.fromisoformat


def _lines(caplog, level: int = logging.INFO) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("prefect.") and r.levelno >= level]


@pytest.mark.prefect
def test_a_days_run_log_speaks_chinese_and_keeps_raw_detail_at_debug(database, prefect_harness, caplog):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    from flows.daily_plan import daily_plan

    caplog.set_level(logging.DEBUG, logger="prefect")
    with clock.frozen_at(D("2026-09-20")), session_scope() as s:
        factories.small_county(s)
        factories.cadre(s, "东一")
    with clock.frozen_at(D("2026-10-01")):
        state = daily_plan(D("2026-10-01"), dispatch=False, return_state=True)
    assert state.is_completed()

    said = _lines(caplog)
    assert "开始运行 daily-plan 2026-10-01（流程 daily-plan）" in said
    assert "运行结束：已完成" in said and not any(line.startswith("Finished in state") for line in said)
    assert any(line.startswith("2026-10-01 每日计划完成：生成提醒 ") for line in said)
    assert any(line.startswith("关怀计划 2026-10-01：必访及回访 ") for line in said)
    assert any(line.startswith("必访：新建或回访 ") for line in said)
    assert not any("{'" in line for line in said), [line for line in said if "{'" in line]  # no raw dicts
    detail = _lines(caplog, logging.DEBUG)
    assert any(line.startswith("must-visits by rule {") for line in detail)

    # The UI shows the same words: the run's own log, read back from the server.
    APILogWorker.drain_all(timeout=10)
    with get_client(sync_client=True) as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    shown = [entry.message for entry in logs]
    assert any(line.startswith("2026-10-01 每日计划完成") for line in shown)
    assert not any(line.startswith("Finished in state") for line in shown)


@pytest.mark.prefect
def test_a_failed_run_ends_in_words_and_the_day_off_is_said(database, prefect_harness, caplog):
    from flows.escalation_sweep import escalation_sweep
    from flows.reports import monthly_coverage_snapshot

    caplog.set_level(logging.INFO, logger="prefect")
    with clock.frozen_at(D("2026-09-20")), session_scope() as s:
        factories.small_county(s)
    with clock.frozen_at(D("2026-10-31")):
        assert monthly_coverage_snapshot("2026-10", return_state=True).is_failed()
    assert "运行结束：失败" in _lines(caplog)
    with clock.frozen_at(D("2026-10-03")):  # National Day holiday
        escalation_sweep(D("2026-10-03"))
    assert "2026-10-03 是法定放假日：不巡查。" in _lines(caplog)


def test_prefects_own_lines_in_the_bureau_language_and_others_left_alone():
    assert in_bureau_words("Finished in state Completed()") == "运行结束：已完成"
    assert in_bureau_words("Finished in state Failed('Flow run encountered an exception: ValueError: x')") == "运行结束：失败"
    assert in_bureau_words("Finished in state Crashed('Execution was cancelled')") == "运行结束：中断（进程已停止）"
    assert in_bureau_words("Beginning subflow run 'contact-cadence 2026-10-01' for flow 'contact-cadence'") == (
        "开始运行 contact-cadence 2026-10-01（流程 contact-cadence）"
    )
    assert in_bureau_words("Flow run was cancelled.") == "运行已取消。"
    assert in_bureau_words("Finished in state Weird()") is None
    assert in_bureau_words("Created task run 'x'") is None
