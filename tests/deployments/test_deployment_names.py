"""The Deployments and Runs pages as a leader reads them: each deployment its own name, when it runs in Beijing time, what it does; its upcoming runs named by their day."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pendulum
import pytest

from deployments.describe import when_words
from deployments.schedules import DEFAULT_SPECS, deployment_specs, read_overrides
from deployments.serve import build_deployments, remove_legacy_deployments
from tests.support.serving import wait_registered, yinhui_serve
from tests.support.stack import app_database, prefect_client, tail
from yinhui.cli import main

NAMED_WITHIN = 45.0  # from the deployments registered: the scheduler's first runs (within 5 s), a naming pass every 15 s


def _schedules_json(capsys) -> dict[str, dict]:
    assert main(["schedules", "--format", "json", "--count", "1"]) == 0
    return {row["deployment"]: row for row in json.loads(capsys.readouterr().out)}


def test_each_deployment_has_its_own_name_and_says_when_in_beijing_time():
    deployments = {d.flow_name: d for d in build_deployments(list(DEFAULT_SPECS))}
    names = [d.name for d in deployments.values()]
    assert len(set(names)) == len(names) and "yinhui" not in names
    assert deployments["daily-plan"].name == "每日计划"
    assert deployments["daily-plan"].description.startswith("每天 06:30 北京时间：制定当日计划")
    assert "daily 06:30 Beijing time: plan the day" in deployments["daily-plan"].description
    # The sweep acts on working days only, and says so in both languages.
    sweep = deployments["escalation-sweep"].description
    assert sweep.startswith("工作日 10:00、15:00 北京时间") and "working days 10:00, 15:00 Beijing time" in sweep
    assert "every day" not in sweep and "每天" not in sweep
    assert deployments["weekly-report"].description.startswith("每周一 08:00 北京时间")
    assert deployments["monthly-coverage-snapshot"].description.startswith("每月 1 日 07:00 北京时间")
    assert deployments["dispatch-outbox"].description.startswith("07:00–21:30 每 30 分钟 北京时间；22:00–06:00 每小时 北京时间：")
    for deployment in deployments.values():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in deployment.name)
        tags = set(deployment.tags)
        assert "yinhui" in tags
        assert any(t.isascii() and t != "yinhui" for t in tags) and any(not t.isascii() for t in tags)
        assert "北京时间" in deployment.description and "Beijing time" in deployment.description


def test_yinhui_schedules_prints_what_the_deployments_register(capsys):
    rows = _schedules_json(capsys)
    registered = {f"{d.flow_name}/{d.name}": d.description for d in build_deployments(deployment_specs())}
    assert {name: row["description"] for name, row in rows.items()} == registered

    assert main(["schedules"]) == 0
    printed = capsys.readouterr().out
    for name, description in registered.items():
        assert name in printed and description in printed


def test_a_playbook_time_shows_in_the_name_page_and_in_yinhui_schedules(tmp_path: Path, monkeypatch, capsys):
    from yinhui.settings import reset_settings

    playbook = tmp_path / "playbook.toml"
    playbook.write_text('[schedules.daily-plan]\ncron = "0 6 * * *"\n[schedules.escalation-sweep]\ncron = "0 9 * * *"\n',
                        encoding="utf-8")
    specs = {s.flow_name: s for s in deployment_specs(read_overrides(playbook))}
    assert specs["daily-plan"].description.startswith("每天 06:00 北京时间")
    assert specs["daily-plan"].name == "每日计划"  # the name stays: a schedule moved, not a new deployment
    assert specs["escalation-sweep"].description.startswith("工作日 09:00 北京时间")

    monkeypatch.setenv("YINHUI_PLAYBOOK", str(playbook))
    reset_settings()
    try:
        rows = _schedules_json(capsys)
    finally:
        monkeypatch.undo()
        reset_settings()
    assert rows["daily-plan/每日计划"]["description"] == specs["daily-plan"].description


def test_times_in_words_for_any_cron_and_zone():
    assert when_words(["0 8 * * 0"], "Asia/Shanghai", "zh") == "每周日 08:00 北京时间"
    assert when_words(["0 8 * * 1"], "Asia/Urumqi", "en") == "Mondays 08:00 Asia/Urumqi"
    # What it cannot put in words is shown as the cron itself, still with its zone.
    assert when_words(["0 6 * * 1-5", "30 17 * * *"], "Asia/Shanghai", "zh") == "cron 0 6 * * 1-5 北京时间；每天 17:30 北京时间"
    # Every N minutes or hourly within hours, across midnight too; hours with a hole stay a cron.
    assert when_words(["*/15 8-17 * * *"], "Asia/Shanghai", "zh") == "08:00–17:45 每 15 分钟 北京时间"
    assert when_words(["5 22-23,0-5 * * *"], "Asia/Shanghai", "en") == "hourly 22:05–05:05 Beijing time"
    assert when_words(["0 1-3,5 * * *"], "Asia/Shanghai", "en") == "cron 0 1-3,5 * * * Beijing time"


@pytest.mark.prefect
def test_registering_replaces_the_old_deployments_all_called_yinhui(prefect_harness):
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from deployments.schedules import load_flow

    specs = [s for s in DEFAULT_SPECS if s.flow_name in ("daily-plan", "weekly-report")]
    old = load_flow(specs[0].entrypoint).to_deployment(name="yinhui")
    old.apply()
    for deployment in build_deployments(specs):
        deployment.apply()
    assert remove_legacy_deployments(specs) == 1
    with get_client(sync_client=True) as client:
        with pytest.raises(ObjectNotFound):
            client.read_deployment_by_name("daily-plan/yinhui")
        shown = client.read_deployment_by_name("daily-plan/每日计划")
        assert shown.description == specs[0].description
        assert client.read_deployment_by_name("weekly-report/周报").description.startswith("每周一 08:00 北京时间")
    assert remove_legacy_deployments(specs) == 0


def _scheduled_names(client: Any) -> list[tuple[str, str, pendulum.DateTime]]:
    """(flow, run name, expected start in Beijing time) of every run waiting on the server."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    flows = {flow.id: flow.name for flow in client.read_flows()}
    waiting = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])))
    found: list[tuple[str, str, pendulum.DateTime]] = []
    while page := client.read_flow_runs(flow_run_filter=waiting, limit=200, offset=len(found)):
        found += [(flows[run.flow_id], run.name, pendulum.from_timestamp(run.expected_start_time.timestamp(), tz="Asia/Shanghai"))
                  for run in page]
    return found


@pytest.mark.prefect
def test_yinhui_serve_names_the_runs_its_server_schedules(tmp_path: Path):
    from deployments.schedules import load_flow

    app_url, _ = app_database("sqlite", tmp_path)
    specs = {spec.flow_name: spec for spec in DEFAULT_SPECS}
    prefix = {flow: "dispatch " if flow == "dispatch-outbox" else f"{flow} " for flow in specs}  # random names hold no space

    def named(client: Any) -> list | None:
        runs = _scheduled_names(client)
        if {flow for flow, _, _ in runs} != set(specs) or any(not name.startswith(prefix[flow]) for flow, name, _ in runs):
            return None
        return runs

    with yinhui_serve(tmp_path, app_url) as served, prefect_client(served.api_url, tmp_path) as client:
        wait_registered(client, [spec.full_name for spec in specs.values()], served.log)
        deadline = time.monotonic() + NAMED_WITHIN
        while not (runs := named(client)):
            assert time.monotonic() < deadline, f"scheduled runs not named within {NAMED_WITHIN:.0f} s\n{tail(served.log)}"
            time.sleep(1)
    assert sum(flow == "daily-plan" for flow, _, _ in runs) >= 3  # days ahead, each for its own day
    for flow, name, at in runs:
        if flow == "dispatch-outbox":
            assert name == f"dispatch {at.strftime('%Y-%m-%d %H:%M')}"
        if flow == "daily-plan":
            assert name == f"daily-plan {at.date().isoformat()}"
        assert name == load_flow(specs[flow].entrypoint).flow_run_name.for_run(at, dict(specs[flow].parameters))
