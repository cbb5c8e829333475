"""What the Prefect UI shows of a daily plan (artifacts read back from a real Prefect server), and what it never shows."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest
from sqlalchemy import func, select

from flows.artifacts import (
    RedactPersonalData,
    coverage_table,
    deadlines_markdown,
    install_log_redaction,
    redact,
)
from models.db import session_scope
from models.people import Cadre
from models.tasks import Task
from tests import factories
from yinhui import clock
from yinhui.playbook_loader import load_playbook
from yinhui.services.snapshots import DeadlineRecord, LateTask
from yinhui.services.tasks import complete_task

D = dt.date.fromisoformat
PLAYBOOK = load_playbook()


def run_artifacts(flow_run_id) -> dict[str, object]:
    """Every artifact a flow run published, by key, as the UI's API returns them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {a.key: a for a in found}


def markdown_counts(text: str) -> dict[str, int]:
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^\| (.+?) \| (\d+) \|$", text, re.MULTILINE)}


def _county() -> dict[str, int]:
    with clock.frozen_at(D("2026-09-20")), session_scope() as s:
        people = factories.small_county(s)
        for i in range(3):
            factories.cadre(s, f"东{i}", village="东街村", phones="13912345678;0359-7012345")
        factories.cadre(s, "西一", village="西街村")
        factories.cadre(s, "上村一", township="河底镇", village="上村")
        return {k: v.id for k, v in people.items()}


def _must_visit(s, cadre_id: int, assignee: int, due: str, n: int, status: str = "open") -> int:
    task = Task(kind="must_visit", rule="must_visit_family_event", subject_id=cadre_id, period=f"t{n}", cadre_id=cadre_id,
                window_opens=D("2026-10-01"), due=D(due), assignee_id=assignee, status=status)
    s.add(task)
    s.flush()
    return task.id  # type: ignore[return-value]


def _task_count() -> int:
    with session_scope() as s:
        return s.execute(select(func.count()).select_from(Task)).scalar_one()


@pytest.mark.prefect
def test_daily_plan_publishes_counts_coverage_and_must_visits_without_personal_data(database, prefect_harness):
    from flows.daily_plan import daily_plan

    people = _county()
    with clock.frozen_at(D("2026-10-01")):
        first = daily_plan(D("2026-10-01"), dispatch=False, return_state=True)
    assert first.is_completed()
    created_first = _task_count()
    counts = markdown_counts(run_artifacts(first.state_details.flow_run_id)["daily-plan-counts"].data)
    assert counts["新建任务"] == created_first > 0
    assert counts["昨日办结"] == 0 and counts["当前逾期"] == 0

    with session_scope() as s:
        east = s.execute(select(Cadre.id).where(Cadre.name.in_(["东0", "东1"])).order_by(Cadre.name)).scalars().all()
        calls = s.execute(select(Task.id).where(Task.rule == "monthly_call", Task.cadre_id.in_(east))).scalars().all()
        with clock.frozen_at(D("2026-10-01")):  # done "yesterday" as seen from Oct 2
            for task_id in calls:
                complete_task(s, task_id, outcome="reached", actor="test", on=D("2026-10-01"), playbook=PLAYBOOK)
        kept = _must_visit(s, east[0], people["village"], "2026-10-01", 1)
        complete_task(s, kept, outcome="visited", actor="test", on=D("2026-10-01"), playbook=PLAYBOOK)
        _must_visit(s, east[1], people["village"], "2026-10-01", 2)  # still open the next day: missed
        _must_visit(s, east[1], people["village"], "2026-10-09", 3)  # not due yet

    with clock.frozen_at(D("2026-10-02")):
        second = daily_plan(D("2026-10-02"), dispatch=False, return_state=True)
    assert second.is_completed()
    artifacts = run_artifacts(second.state_details.flow_run_id)
    assert {"daily-plan-counts", "coverage-by-township", "must-visit-deadlines"} <= set(artifacts)

    counts = markdown_counts(artifacts["daily-plan-counts"].data)
    assert counts["新建任务"] == _task_count() - created_first - 3  # minus the three must-visits added by hand
    assert counts["昨日办结"] == 2
    with session_scope() as s:
        overdue = s.execute(select(func.count()).select_from(Task).where(Task.status == "overdue")).scalar_one()
    assert counts["新增逾期"] == counts["当前逾期"] == overdue >= 1  # the must-visit due yesterday among them
    coverage = {row["网格"]: row for row in json.loads(artifacts["coverage-by-township"].data)}
    # The county total first and marked as such, then each level-2 grid, the worst covered first.
    assert list(coverage) == ["老干部局（合计）", "河底镇", "城关镇"]
    assert (coverage["城关镇"]["应联系"], coverage["城关镇"]["已联系"], coverage["城关镇"]["覆盖率"]) == (4, 2, "50%")
    assert (coverage["河底镇"]["应联系"], coverage["河底镇"]["已联系"]) == (1, 0)
    assert coverage["老干部局（合计）"]["覆盖率"] == "40%"

    must = artifacts["must-visit-deadlines"].data
    assert "按时完成 **1** 项" in must and "未按时 **1** 项" in must and "未到期 1 项" in must
    assert "| 东1 | 城关镇/东街村 | 赵村网格 | 2026-10-01 | 仍逾期 |" in must

    everything = " ".join(f"{a.data} {a.description}" for a in artifacts.values())
    with session_scope() as s:
        numbers = s.execute(select(Cadre.id_number)).scalars().all()
    assert numbers and not any(n in everything for n in numbers)
    assert "13912345678" not in everything and "7012345" not in everything


def test_redact_masks_id_numbers_phones_and_the_bot_token(monkeypatch):
    from yinhui.settings import reset_settings

    monkeypatch.setenv("YINHUI_TELEGRAM_TOKEN", "7012345678:AAExampleExampleExampleExample_secret")
    reset_settings()
    try:
        text = redact(
            "INSERT failed: (142623195003011234, '张三', '13912345678;0359-7012345') "
            "url=https://api.telegram.org/bot7012345678:AAExampleExampleExampleExample_secret/sendMessage "
            "task #12 due 2026-10-01 chat 123456789"
        )
    finally:
        reset_settings()
    assert "142623195003011234" not in text and "142623**********34" in text
    assert "13912345678" not in text and "139****5678" in text
    assert "0359-7012345" not in text and "035****2345" in text
    assert "AAExample" not in text and "bot***" in text
    assert "张三" in text and "#12" in text and "2026-10-01" in text and "123456789" in text  # names and ids stay


def test_run_log_records_are_scrubbed_exceptions_included():
    install_log_redaction()
    install_log_redaction()  # idempotent: one filter only
    logger = logging.getLogger("prefect.task_runs")
    assert sum(isinstance(f, RedactPersonalData) for f in logger.filters) == 1
    try:
        raise ValueError("duplicate key (id_number)=(142623195003011234), phone 13912345678")
    except ValueError:
        record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "failed for %s", ("13812345678",),
                                   exc_info=__import__("sys").exc_info())
    assert logger.filter(record)
    shown = logging.Formatter().format(record)
    assert "13812345678" not in shown and "13912345678" not in shown and "142623195003011234" not in shown
    assert "138****5678" in shown and "Traceback" in shown


def test_english_artifacts_follow_the_language_setting():
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.coverage import CoverageReport, GridCoverage

    record = DeadlineRecord(kinds=("must_visit",), first_day=D("2026-10-01"), last_day=D("2026-10-31"), kept=3,
                            overdue=1, late=[LateTask(7, "东1", "城关镇/东街村", "赵村网格", D("2026-10-05"), "overdue")])
    text = deadlines_markdown(record, "en")
    assert "Kept **3** · missed **1**" in text and "| #7 | 东1 | 城关镇/东街村 | 赵村网格 | 2026-10-05 | still overdue |" in text
    county = GridCoverage(1, 1, "老干部局", "老干部局", None, cadres=4, contacted=3)
    report = CoverageReport(month=period_from_key("2026-10"), grids=[county], missed=[])
    assert coverage_table(report, "en") == [
        {"Grid": "老干部局 (total)", "Cadres": 4, "Contacted": 3, "Not contacted": 1, "Coverage": "75%"}
    ]


def test_a_month_without_work_shows_no_data_never_100_percent():
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.coverage import CoverageReport, GridCoverage

    grids = [
        GridCoverage(1, 1, "老干部局", "老干部局", None, cadres=3, contacted=1),
        GridCoverage(2, 2, "城关镇", "城关镇", 1, cadres=2, contacted=1),
        GridCoverage(3, 2, "新社区", "新社区", 1, cadres=0, contacted=0),  # nobody to contact yet
        GridCoverage(4, 2, "河底镇", "河底镇", 1, cadres=1, contacted=0),
        GridCoverage(5, 2, "上庄", "上庄", 1, cadres=1, contacted=0, paused=1),  # the only cadre away all month
    ]
    rows = coverage_table(CoverageReport(month=period_from_key("2026-10"), grids=grids, missed=[]), "zh")
    assert [(r["网格"], r["覆盖率"]) for r in rows] == [
        ("老干部局（合计）", "33%"), ("河底镇", "0%"), ("城关镇", "50%"), ("上庄", "无数据"), ("新社区", "无数据"),
    ]
    empty = [GridCoverage(1, 1, "老干部局", "老干部局", None)]
    assert coverage_table(CoverageReport(month=period_from_key("2026-10"), grids=empty, missed=[]), "zh")[0]["覆盖率"] == "无数据"


@pytest.mark.prefect
def test_a_chart_in_a_markdown_artifact_is_checked_as_drawn_and_stays_an_image(prefect_harness):
    """The masking looks into an embedded SVG (what it draws) and leaves its base64 whole; the text around is masked as ever."""
    import base64

    from prefect import flow

    from flows.artifacts import publish_markdown

    drawn = '<svg xmlns="http://www.w3.org/2000/svg"><text>东街村 13912345678</text></svg>'
    encoded = base64.b64encode(drawn.encode("utf-8")).decode("ascii")

    @flow
    def publish() -> None:
        publish_markdown("chart-check", f"电话 13812345678\n\n![图](data:image/svg+xml;base64,{encoded})\n\n"
                         f"![图2](data:image/svg+xml;base64,{encoded})", "说明 13712345678")

    state = publish(return_state=True)
    [artifact] = run_artifacts(state.state_details.flow_run_id).values()
    text = str(artifact.data)
    assert "13812345678" not in text and "138****5678" in text
    images = re.findall(r"\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", text)
    assert len(images) == 2
    for image in images:
        svg = base64.b64decode(image).decode("utf-8")
        assert svg.startswith("<svg") and "东街村 139****5678" in svg and "13912345678" not in svg
    assert "137****5678" in (artifact.description or "")
