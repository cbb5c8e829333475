"""The demo: a synthetic county goes through the real import path and the daily-plan flow."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from yinhui.demo.simulate import planned_day

pytestmark = pytest.mark.prefect


def test_planned_day_is_stable_and_mostly_on_time():
    opens, due = dt.date(2026, 10, 1), dt.date(2026, 10, 30)
    days = [planned_day(i, opens, due, 0.9, 7) for i in range(2000)]
    assert days == [planned_day(i, opens, due, 0.9, 7) for i in range(2000)]
    on_time = sum(1 for d in days if d is not None and d <= due)
    never = sum(1 for d in days if d is None)
    assert 0.85 < on_time / 2000 < 0.95
    assert 0 < never < 100


def test_demo_runs_a_short_season_end_to_end(tmp_path, capsys, monkeypatch, prefect_harness):
    from models.db import dispose_engines, session_scope
    from models.people import Cadre
    from models.tasks import Contact, Task
    from yinhui.cli import main
    from yinhui.settings import reset_settings

    # The demo sets both for its own database; monkeypatch puts them back afterwards.
    monkeypatch.setenv("YINHUI_DATABASE_URL", "sqlite:///ignored-by-the-demo.sqlite3")
    monkeypatch.setenv("YINHUI_DATA_DIR", str(tmp_path))
    code = main(["demo", "--dir", str(tmp_path / "demo"), "--days", "6", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    assert (tmp_path / "demo" / "roster.xlsx").exists()
    assert "1988 cadres" in out
    assert "工作提醒" in out  # what a coordinator receives
    assert "coverage 2026-10" in out
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Cadre)).scalar_one() == 1988
        assert s.execute(select(func.count()).select_from(Task)).scalar_one() >= 2 * 1988
        assert s.execute(select(func.count()).select_from(Contact)).scalar_one() > 0
    dispose_engines()
    reset_settings()
    # The quarter is one flow run the Prefect UI shows, its simulated days as its task runs.
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with get_client(sync_client=True) as client:
        [run] = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["demo-quarter-2026-10-01"])))
    assert run.state is not None and run.state.is_completed()
