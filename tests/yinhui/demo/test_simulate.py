"""The demo: a synthetic county goes through the real import path and the daily-plan flow."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

pytestmark = pytest.mark.prefect


def test_demo_runs_a_short_season_end_to_end(tmp_path, capsys, monkeypatch, prefect_harness):
    from models.db import dispose_engines, get_engine, session_scope
    from models.people import Cadre
    from models.tasks import Contact, Task
    from yinhui.cli import main
    from yinhui.settings import get_settings, reset_settings

    # The operator's own settings: the demo plays in its own database and leaves these alone.
    monkeypatch.setenv("YINHUI_DATABASE_URL", "sqlite:///ignored-by-the-demo.sqlite3")
    monkeypatch.setenv("YINHUI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "WARNING")  # what `yinhui` sets for its own process
    days: list[str] = []

    @contextlib.contextmanager
    def progress(description: str, total: int | None = None) -> Iterator[object]:
        assert total == 6
        yield lambda steps=1, *, description=None: days.append(description)

    monkeypatch.setattr("yinhui.cli.demo.progress", progress)  # the bar a terminal would show
    environment = dict(os.environ)
    code = main(["demo", "--dir", str(tmp_path / "demo"), "--days", "6", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    assert days == [f"simulated 2026-10-0{n}" for n in range(1, 7)]
    assert dict(os.environ) == environment  # the demo writes no environment variable
    assert get_settings().database_url == "sqlite:///ignored-by-the-demo.sqlite3"
    assert not (tmp_path / "ignored-by-the-demo.sqlite3").exists() and not os.path.exists("ignored-by-the-demo.sqlite3")
    assert (tmp_path / "demo" / "roster.xlsx").exists()
    assert "demo county (seed 2026): " in out and "1988 cadres" in out
    assert "simulated 6 day(s) from 2026-10-01: " in out and " 离休 cadres received every service due" in out
    assert "工作提醒" in out  # what a coordinator receives: the bureau's language
    assert "coverage 2026-10: " in out and "grid (level 2)" in out
    assert "demo finished in " in out
    assert "paused (暂停联系): " in out and "paused, not missed: " in out and "异地居住" in out
    demo_database = get_engine(f"sqlite:///{(tmp_path / 'demo' / 'yinhui.sqlite3').resolve()}")
    with session_scope(demo_database) as s:
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


# The demo's own words in English; a Chinese summary shows none of them (names, paths and commands aside).
ENGLISH = ("demo county", "townships", "roster written", "simulated", "task(s)", "cadres received", "branch(es)",
           "volunteer-hours", "What a coordinator receives", "coverage 2026", "grid (level 2)", "missed, for example",
           "paused, not missed", "festival visits", "demo finished", "Open the task page")


def test_the_demo_speaks_the_operators_language(tmp_path, capsys, monkeypatch, prefect_harness):
    from yinhui.cli import main

    monkeypatch.setenv("YINHUI_CLI_LANGUAGE", "zh")
    monkeypatch.setenv("YINHUI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "WARNING")
    # Three days: the first reports of the quarter (四必访) come on its third.
    code = main(["demo", "--dir", str(tmp_path / "demo"), "--days", "3"])
    out = capsys.readouterr().out
    assert code == 0
    assert "演示县（随机种子 2026）：12 个乡镇 + 15 个社区（二级网格）" in out and "1988 名老干部" in out
    assert "  2026-10-01：新建任务 " in out  # a simulated day's progress
    assert "自 2026-10-01 起模拟 3 天：新建任务 " in out and "已接通 " in out
    assert "本季度协管员上报的事项（四必访）：" in out and " 住院 " in out
    assert "六上门 2026-Q4：" in out and "名离休干部中" in out and "组织生活 2026-10：" in out
    assert "覆盖情况 2026-10：已联系 " in out and "网格（二级）" in out and "暂停联系（不计为未联系）：" in out
    assert "演示完成，用时 " in out and "打开任务页：" in out
    assert [phrase for phrase in ENGLISH if phrase in out] == []
    # Kinds of must-visit and festivals by their names, never their keys.
    assert "生病住院探望" in out and "重阳节" in out
    assert [key for key in ("hospitalisation", "family_event", "hardship", "_festival") if key in out] == []


def test_the_demos_settings_hold_for_its_run_only(tmp_path):
    from yinhui.demo import sandbox
    from yinhui.settings import get_settings, reset_settings, use_settings

    demo_url = f"sqlite:///{(tmp_path / 'yinhui.sqlite3').resolve()}"
    with sandbox.demo_database(tmp_path) as chosen:
        assert get_settings() is chosen
        assert chosen.effective_database_url == demo_url
        reset_settings()  # something reads the environment again mid-demo: the demo's settings hold
        assert get_settings() is chosen
        sandbox.check()
        with pytest.raises(RuntimeError, match="replaced"), use_settings(chosen.model_copy()):
            sandbox.check()  # other settings put in force inside the demo stop it
    assert get_settings().effective_database_url != demo_url
