"""Deployments as code: when each flow runs in Beijing time, what the playbook may change, how it is labelled."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from deployments.schedules import DEFAULT_SPECS, deployment_specs, next_runs, read_overrides
from deployments.serve import build_deployment
from yinhui.rules.playbook import PlaybookError
from yinhui.settings import reset_settings

SPECS = {spec.flow_name: spec for spec in DEFAULT_SPECS}
# Sunday 2026-11-29 00:00 in Beijing is Saturday 16:00 UTC.
SAT_NIGHT_UTC = dt.datetime(2026, 11, 28, 16, 0, tzinfo=dt.UTC)


def beijing(runs) -> list[str]:
    return [r.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%a %Y-%m-%d %H:%M") for r in runs]


def test_every_flow_runs_at_its_hour_in_beijing_time():
    assert beijing(next_runs(SPECS["daily-plan"], after=SAT_NIGHT_UTC, count=2)) == [
        "Sun 2026-11-29 06:30", "Mon 2026-11-30 06:30",
    ]
    # Delivery's safety sweep: hourly at night, every half hour from 07:00 (after the 06:30 plan has sent its own).
    assert beijing(next_runs(SPECS["dispatch-outbox"], after=SAT_NIGHT_UTC, count=10)) == [
        "Sun 2026-11-29 00:00", "Sun 2026-11-29 01:00", "Sun 2026-11-29 02:00", "Sun 2026-11-29 03:00",
        "Sun 2026-11-29 04:00", "Sun 2026-11-29 05:00", "Sun 2026-11-29 06:00", "Sun 2026-11-29 07:00",
        "Sun 2026-11-29 07:30", "Sun 2026-11-29 08:00",
    ]
    # The sweep fires every day; the flow itself skips official days off (and works on 调休 Saturdays).
    assert beijing(next_runs(SPECS["escalation-sweep"], after=SAT_NIGHT_UTC, count=3)) == [
        "Sun 2026-11-29 10:00", "Sun 2026-11-29 15:00", "Mon 2026-11-30 10:00",
    ]
    assert beijing(next_runs(SPECS["weekly-report"], after=SAT_NIGHT_UTC, count=2)) == [
        "Mon 2026-11-30 08:00", "Mon 2026-12-07 08:00",
    ]
    assert beijing(next_runs(SPECS["monthly-coverage-snapshot"], after=SAT_NIGHT_UTC, count=3)) == [
        "Tue 2026-12-01 07:00", "Fri 2027-01-01 07:00", "Mon 2027-02-01 07:00",
    ]


def test_a_day_of_schedules_makes_39_dispatch_runs_and_no_message_waits_longer_than_the_sweep():
    """Not 288 empty runs: the run list stays readable. The gaps bound how long a message queued
    outside a flow (`yinhui chat notice send`) or a killed planning run's slot (work-pool path) waits."""
    runs = [r for r in next_runs(SPECS["dispatch-outbox"], after=SAT_NIGHT_UTC, count=100)
            if r < SAT_NIGHT_UTC + dt.timedelta(days=1)]
    assert len(runs) == 39
    gaps = {beijing([earlier])[0][-5:]: later - earlier for earlier, later in zip(runs, runs[1:], strict=False)}
    assert max(gaps.values()) == dt.timedelta(hours=1)
    assert all(gap == dt.timedelta(minutes=30) for start, gap in gaps.items() if "07:00" <= start < "21:30")
    plan = next_runs(SPECS["daily-plan"], after=SAT_NIGHT_UTC, count=1)[0]
    assert min(r for r in runs if r > plan) - plan == dt.timedelta(minutes=30)  # the plan's leftovers, by 07:00
    assert [(s.schedule.cron, s.schedule.timezone) for s in build_deployment(SPECS["dispatch-outbox"]).schedules] == [
        ("*/30 7-21 * * *", "Asia/Shanghai"), ("0 0-6,22-23 * * *", "Asia/Shanghai"),
    ]
    sweep = SPECS["dispatch-outbox"].description
    assert sweep.startswith("07:00–21:30 每 30 分钟 北京时间；22:00–06:00 每小时 北京时间：发送待发消息")
    assert "every 30 minutes 07:00–21:30 Beijing time and hourly 22:00–06:00 Beijing time" in sweep


def test_each_deployment_names_its_flow_by_module_and_reads_well_in_the_ui():
    deployment = build_deployment(SPECS["daily-plan"])
    assert deployment.name == "每日计划" and deployment.flow_name == "daily-plan"
    assert deployment.entrypoint == "flows.daily_plan.daily_plan"
    assert [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules] == [("30 6 * * *", "Asia/Shanghai")]
    assert deployment.concurrency_limit == 1
    assert deployment.concurrency_options.collision_strategy.value == "ENQUEUE"
    assert deployment.paused is False
    assert {"yinhui", "planning", "计划"} <= set(deployment.tags)
    assert "每天" in deployment.description and "daily" in deployment.description
    dispatch = build_deployment(SPECS["dispatch-outbox"])
    assert dispatch.concurrency_options.collision_strategy.value == "CANCEL_NEW"
    for spec in DEFAULT_SPECS:  # every flow can be imported by module path and carries both languages
        d = build_deployment(spec)
        assert d.entrypoint == spec.entrypoint and d.flow_name == spec.flow_name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in d.description) and any(ch.isascii() and ch.isalpha() for ch in d.description)


def _playbook(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "playbook.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_playbook_moves_and_stops_schedules(tmp_path):
    path = _playbook(tmp_path, """
[schedules.daily-plan]
cron = "0 6 * * *"
[schedules.escalation-sweep]
cron = ["0 9 * * *", "0 14 * * *", "0 17 * * *"]
active = false
""")
    specs = {s.flow_name: s for s in deployment_specs(read_overrides(path))}
    assert specs["daily-plan"].crons == ("0 6 * * *",) and specs["daily-plan"].active
    assert specs["escalation-sweep"].crons == ("0 9 * * *", "0 14 * * *", "0 17 * * *")
    assert specs["escalation-sweep"].active is False
    assert specs["weekly-report"] == SPECS["weekly-report"]  # untouched
    sweep = build_deployment(specs["escalation-sweep"])
    assert [s.active for s in sweep.schedules] == [False] * 3
    assert beijing(next_runs(specs["daily-plan"], after=SAT_NIGHT_UTC, count=1)) == ["Sun 2026-11-29 06:00"]


def test_the_shipped_playbook_keeps_the_defaults():
    assert deployment_specs() == list(DEFAULT_SPECS)


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ('[schedules.daily-plans]\ncron = "0 6 * * *"\n', "schedules.daily-plans", "no such scheduled flow"),
        ('[schedules.daily-plan]\ncron = "0 25 * * *"\n', "schedules.daily-plan.cron", "Invalid cron"),
        ('[schedules.daily-plan]\ncorn = "0 6 * * *"\n', "schedules.daily-plan.corn", "unknown key"),
        ('[schedules.daily-plan]\ncron = []\n', "schedules.daily-plan.cron", "at least one cron"),
        ('schedules = "daily"\n', "schedules", "must be a table"),
    ],
)
def test_a_wrong_schedule_names_file_and_key(tmp_path, text, key, reason):
    path = _playbook(tmp_path, text)
    with pytest.raises(PlaybookError) as caught:
        read_overrides(path)
    assert caught.value.key == key and reason in caught.value.reason and caught.value.file == str(path)


def test_the_time_zone_setting_moves_every_schedule(monkeypatch):
    monkeypatch.setenv("YINHUI_TIMEZONE", "Asia/Urumqi")  # UTC+6
    reset_settings()
    try:
        deployment = build_deployment(SPECS["weekly-report"])
        runs = next_runs(SPECS["weekly-report"], after=SAT_NIGHT_UTC, count=1)
    finally:
        reset_settings()
    assert deployment.schedules[0].schedule.timezone == "Asia/Urumqi"
    assert runs[0].astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") == "2026-11-30 02:00"
