"""The weekly report and the monthly coverage snapshot under a real Prefect test server, read back as the UI sees them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from flows.trend import axis_floor, bar, trend_chart, trend_table
from models.db import session_scope
from models.people import Cadre
from models.snapshots import CoverageSnapshot
from models.tasks import Task
from tests import factories
from tests.flows.test_artifacts import markdown_counts, run_artifacts
from yinhui import clock
from yinhui.playbook_loader import load_playbook
from yinhui.services.tasks import complete_task, record_contact

D = dt.date.fromisoformat
PLAYBOOK = load_playbook()


def _county() -> list[int]:
    with clock.frozen_at(D("2026-08-20")), session_scope() as s:
        factories.small_county(s)
        ids = [factories.cadre(s, f"东{i}").id for i in range(3)]
        ids.append(factories.cadre(s, "上村一", township="河底镇", village="上村").id)
        return ids  # type: ignore[return-value]


def _contact(cadre_id: int, day: str) -> None:
    with session_scope() as s:
        record_contact(session=s, cadre_id=cadre_id, on=D(day), mode="call", actor="test", playbook=PLAYBOOK)


@pytest.mark.prefect
def test_weekly_report_counts_last_week_in_beijing_time(database, prefect_harness):
    from flows.contact_cadence import contact_cadence
    from flows.reports import weekly_report

    cadres = _county()
    with clock.frozen_at(D("2026-10-01")):
        created = contact_cadence(D("2026-10-01"), write_digests=False)["created_total"]
    with clock.frozen_at(D("2026-10-02")), session_scope() as s:
        calls = s.execute(select(Task.id).where(Task.rule == "monthly_call", Task.cadre_id.in_(cadres[:2]))).scalars().all()
        for task_id in calls:
            complete_task(s, task_id, outcome="reached", actor="test", on=D("2026-10-02"), playbook=PLAYBOOK)
    _contact(cadres[2], "2026-10-06")  # the week after: not in this report

    with clock.frozen_at(D("2026-10-05")):  # Monday morning: the default is last week
        state = weekly_report(return_state=True)
    summary = state.result()
    assert summary["week"] == "2026-09-28..2026-10-04"
    artifacts = run_artifacts(state.state_details.flow_run_id)
    assert {"weekly-report", "weekly-coverage-by-township", "weekly-must-visit-deadlines"} <= set(artifacts)
    counts = markdown_counts(artifacts["weekly-report"].data)
    assert (counts["新建任务"], counts["办结"], counts["联系记录"], counts["联系到的老干部"]) == (created, 2, 2, 2)
    assert "2026-09-28 至 2026-10-04 周报" in artifacts["weekly-report"].data
    coverage = {r["网格"]: r for r in json.loads(artifacts["weekly-coverage-by-township"].data)}
    assert (coverage["城关镇"]["应联系"], coverage["城关镇"]["已联系"]) == (3, 3)  # October so far, as the report runs

    # Any day of a week picks that week; its flow run is named after the Monday.
    assert weekly_report(D("2026-10-08"))["week"] == "2026-10-05..2026-10-11"


@pytest.mark.prefect
def test_monthly_snapshot_is_frozen_and_published_as_table_and_chart(database, prefect_harness):
    from prefect.client.orchestration import get_client

    from flows.reports import monthly_coverage_snapshot

    cadres = _county()
    _contact(cadres[0], "2026-09-10")
    for cadre_id in cadres[:3]:
        _contact(cadre_id, "2026-10-10")

    with clock.frozen_at(D("2026-10-01")):  # the scheduled run on Oct 1 freezes September
        september = monthly_coverage_snapshot()
    assert (september["month"], september["created"], september["contacted"], september["cadres"]) == ("2026-09", True, 1, 4)

    with clock.frozen_at(D("2026-11-01")):
        state = monthly_coverage_snapshot("2026-10", return_state=True)
    assert state.result()["created"] is True
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(state.state_details.flow_run_id).name == "monthly-coverage-snapshot 2026-10"
    artifacts = run_artifacts(state.state_details.flow_run_id)
    table = {r["网格"]: r for r in json.loads(artifacts["monthly-coverage-snapshot"].data)}
    assert list(table) == ["老干部局（合计）", "河底镇", "城关镇"]  # the total marked, then worst first
    assert (table["老干部局（合计）"]["已联系"], table["老干部局（合计）"]["覆盖率"]) == (3, "75%")
    assert (table["河底镇"]["应联系"], table["河底镇"]["已联系"]) == (1, 0)
    trend = {r["网格"]: r for r in json.loads(artifacts["monthly-coverage-trend"].data)}
    assert trend["老干部局（合计）"] == {"网格": "老干部局（合计）", "2026-09": "25%", "2026-10": "75%", "较上月（百分点）": "+50"}
    assert trend["城关镇"] == {"网格": "城关镇", "2026-09": "33%", "2026-10": "100%", "较上月（百分点）": "+67"}
    assert trend["河底镇"]["较上月（百分点）"] == "±0"
    chart = artifacts["monthly-coverage-chart"].data
    assert "2026-10：条形从 0%（空）到 100%（满）。" in chart
    assert f"| 城关镇 | 100% | +67 | `{'█' * 20}` |" in chart
    assert f"| 河底镇 | 0% | ±0 | `{'░' * 20}` |" in chart

    # A contact entered late for October changes nothing in the frozen month.
    _contact(cadres[3], "2026-10-30")
    with clock.frozen_at(D("2026-11-03")):
        again = monthly_coverage_snapshot("2026-10", return_state=True)
    assert again.result()["created"] is False and again.result()["contacted"] == 3
    table = {r["网格"]: r for r in json.loads(run_artifacts(again.state_details.flow_run_id)["monthly-coverage-snapshot"].data)}
    assert table["河底镇"]["已联系"] == 0


@pytest.mark.prefect
def test_a_month_still_running_is_not_frozen(database, prefect_harness):
    from flows.reports import monthly_coverage_snapshot

    _county()
    with clock.frozen_at(D("2026-10-31")):
        state = monthly_coverage_snapshot("2026-10", return_state=True)
    assert state.is_failed()
    with session_scope() as s:
        assert s.execute(select(CoverageSnapshot)).first() is None
        assert s.execute(select(Cadre)).first() is not None


def _row(month: str, grid_id: int, level: int, path: str, cadres: int, contacted: int) -> CoverageSnapshot:
    return CoverageSnapshot(month=month, grid_id=grid_id, level=level, grid_path=path, cadres=cadres,
                            contacted=contacted, taken_by="test")


def test_trend_shows_month_by_month_per_grid_and_gaps():
    history = {
        "2026-08": [_row("2026-08", 1, 1, "老干部局", 10, 5), _row("2026-08", 2, 2, "城关镇", 10, 5)],
        "2026-09": [_row("2026-09", 1, 1, "老干部局", 12, 12), _row("2026-09", 2, 2, "城关镇", 10, 10),
                    _row("2026-09", 3, 2, "新社区", 2, 0), _row("2026-09", 4, 3, "城关镇/东街村", 10, 10)],
    }
    assert trend_table(history, "en") == [
        {"Grid": "老干部局 (total)", "2026-08": "50%", "2026-09": "100%", "Change (points)": "+50"},
        {"Grid": "新社区", "2026-08": "—", "2026-09": "0%", "Change (points)": "—"},  # a grid that did not exist yet
        {"Grid": "城关镇", "2026-08": "50%", "2026-09": "100%", "Change (points)": "+50"},
    ]
    chart = trend_chart(history, "en")
    assert chart.startswith("## Monthly coverage (frozen snapshots)")
    assert f"| **老干部局 (total)** | 100% | +50 | `{'█' * 20}` |" in chart
    assert f"| 新社区 | 0% | — | `{'░' * 20}` |" in chart
    assert "No snapshot yet." in trend_chart({}, "en")


def test_the_chart_axis_starts_where_the_data_is_so_close_figures_differ():
    history = {
        "2026-09": [_row("2026-09", 1, 1, "老干部局", 0, 0), _row("2026-09", 2, 2, "城关镇", 0, 0)],  # before any work
        "2026-10": [_row("2026-10", 1, 1, "老干部局", 75, 71), _row("2026-10", 2, 2, "城关镇", 25, 25),
                    _row("2026-10", 3, 2, "河底镇", 50, 46)],
    }
    assert axis_floor([0.92, 1.0, 0.947]) == 0.9
    assert axis_floor([0.9, 1.0]) == 0.8  # the lowest bar is never empty unless its figure is 0
    assert axis_floor([0.05, 1.0]) == 0.0 and axis_floor([]) == 0.0
    chart = trend_chart(history, "zh")
    assert "2026-10：条形从 90%（空）到 100%（满）。" in chart
    assert f"| 河底镇 | 92% | — | `{bar(0.92, 0.9)}` |" in chart and bar(0.92, 0.9) == "█" * 4 + "░" * 16
    assert f"| 城关镇 | 100% | — | `{'█' * 20}` |" in chart  # no change from a month without data
    table = trend_table(history, "zh")
    assert table[0] == {"网格": "老干部局（合计）", "2026-09": "无数据", "2026-10": "95%", "较上月（百分点）": "—"}
    assert "100%" not in json.dumps(table[0], ensure_ascii=False)
