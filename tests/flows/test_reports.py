"""The weekly report and the monthly coverage snapshot under a real Prefect test server, read back as the UI sees them."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from flows.trend import axis_floor, trend_chart, trend_table
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
SVG = "{http://www.w3.org/2000/svg}"
IMAGE = re.compile(r"!\[([^\]]+)\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)")


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
    assert "2026-10：条形从 0%（空）到 100%（满）。" in chart and "█" not in chart
    alt, svg = chart_image(chart)
    assert alt.startswith("2026-10 各二级网格覆盖率条形图") and "菱形标出 2026-09" in alt
    assert drawn(svg, "grid") == ["老干部局（合计）", "河底镇", "城关镇"]
    assert drawn(svg, "figure") == ["75% (+50)", "0% (±0)", "100% (+67)"]
    assert "| 城关镇 | 33% | 100% | +67 |" in chart and "| 河底镇 | 0% | 0% | ±0 |" in chart
    assert chart_image(chart, 1)[0] == "全县覆盖率逐月折线图，2026-09 至 2026-10，坐标从 20% 到 100%。"

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


def chart_image(markdown: str, which: int = 0) -> tuple[str, ET.Element]:
    """An image's alternative text and its SVG, decoded from the Markdown image's data address."""
    found = IMAGE.findall(markdown)
    assert len(found) > which, f"no SVG image #{which} in the chart"
    alt, data = found[which]
    return alt, ET.fromstring(base64.b64decode(data).decode("utf-8"))


def drawn(svg: ET.Element, cls: str) -> list[str]:
    """The texts of one kind (grid names, figures, no data) in the order they are drawn."""
    return [t.text or "" for t in svg.iter(SVG + "text") if t.get("class") == cls]


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
    assert "| **老干部局 (total)** | 50% | 100% | +50 |" in chart and "| 新社区 | — | 0% | — |" in chart
    alt, svg = chart_image(chart)
    assert alt.startswith("Coverage of 2026-09 per level-2 grid as bars from 0% to 100%, each with a diamond at 2026-08")
    assert drawn(svg, "grid") == ["老干部局 (total)", "新社区", "城关镇"]
    assert drawn(svg, "figure") == ["100% (+50)", "0%", "100% (+50)"]
    alt, line = chart_image(chart, 1)  # then the county month by month
    assert alt == "The county's coverage month by month, 2026-08 to 2026-09, on an axis from 40% to 100%."
    assert drawn(line, "month") == ["2026-08", "2026-09"] and drawn(line, "figure") == ["50%", "100%"]
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
    assert "| 河底镇 | — | 92% | — |" in chart and "| 城关镇 | 无数据 | 100% | — |" in chart  # no change from no data
    _alt, svg = chart_image(chart)
    widths = {b.find(SVG + "title").text: float(b.get("width")) for b in svg.iter(SVG + "rect") if b.get("class") == "bar"}
    assert list(widths) == ["老干部局（合计） 95%", "河底镇 92%", "城关镇 100%"]
    assert abs(widths["河底镇 92%"] / widths["城关镇 100%"] - 0.2) < 0.01  # 92% and 100% look different
    assert drawn(svg, "tick-label")[0] == "90%" and drawn(svg, "tick-label")[-1] == "100%"
    assert not [m for m in svg.iter(SVG + "polygon") if m.get("class") == "before"]  # September had no data: no marks
    assert len(IMAGE.findall(chart)) == 1  # nor a county line of one point

    # A grid without data that month says so in the chart and gets no bar, never a full one.
    history["2026-10"].append(_row("2026-10", 4, 2, "新社区", 0, 0))
    _alt, svg = chart_image(trend_chart(history, "zh"))
    assert drawn(svg, "grid")[-1] == "新社区" and drawn(svg, "no-data") == ["无数据"]
    assert len([b for b in svg.iter(SVG + "rect") if b.get("class") == "bar"]) == 3
    table = trend_table(history, "zh")
    assert table[0] == {"网格": "老干部局（合计）", "2026-09": "无数据", "2026-10": "95%", "较上月（百分点）": "—"}
    assert "100%" not in json.dumps(table[0], ensure_ascii=False)
