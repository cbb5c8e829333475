"""The operator's side of unattended running: a failed day alerts the leader, `yinhui rerun` mends it, snapshots, reports."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import func, select

from models.db import session_scope
from models.outbox import Notification
from models.snapshots import CoverageSnapshot
from models.tasks import Task
from tests import factories
from yinhui import clock
from yinhui.cli import main

pytestmark = pytest.mark.prefect
D = dt.date.fromisoformat


@pytest.fixture
def ready_database(database):
    """The test database as `yinhui init` leaves it (the CLI refuses a database without a schema version)."""
    from alembic import command

    from models.db import alembic_config, get_engine

    command.stamp(alembic_config(get_engine()), "head")
    return database


@pytest.fixture
def console(monkeypatch) -> io.StringIO:
    """What the console channel delivers, captured (the real notifier, writing to a buffer)."""
    from notifiers import NOTIFIERS
    from notifiers.console import ConsoleNotifier

    out = io.StringIO()

    class Captured(ConsoleNotifier):
        def __init__(self) -> None:
            super().__init__(stream=out)

    monkeypatch.setitem(NOTIFIERS, "console", Captured)
    return out


def _county() -> dict[str, int]:
    with clock.frozen_at(D("2026-09-20")), session_scope() as s:
        people = factories.small_county(s)
        second_leader = factories.coordinator(s, "周书记", "leader")
        for i in range(3):
            factories.cadre(s, f"东{i}", phones="13912345678")
        factories.cadre(s, "上村一", township="河底镇", village="上村")
        ids = {k: v.id for k, v in people.items()}
        ids["second_leader"] = second_leader.id  # type: ignore[assignment]
        return ids


def _count(model, *where) -> int:
    with session_scope() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _alerts() -> list[Notification]:
    with session_scope() as s:
        return list(s.execute(select(Notification).where(Notification.kind == "alert").order_by(Notification.id)).scalars())


def test_a_failed_day_alerts_each_leader_once_and_rerun_creates_nothing_twice(ready_database, prefect_harness, console, monkeypatch, capsys):
    import flows.digests
    from flows.daily_plan import daily_plan

    people = _county()
    working = flows.digests.collect_digests

    def broken(*args, **kwargs):
        raise ValueError("digest template broken for 142623195003011234")

    monkeypatch.setattr(flows.digests, "collect_digests", broken)
    with clock.frozen_at(D("2026-10-01")):  # the day's own morning run
        failed = daily_plan(D("2026-10-01"), return_state=True)
    assert failed.is_failed()
    tasks_after_failure = _count(Task)
    assert tasks_after_failure > 0 and _count(Notification, Notification.kind == "digest") == 0

    alerts = _alerts()
    assert sorted(a.recipient_id for a in alerts) == sorted([people["leader"], people["second_leader"]])
    assert all(a.status == "sent" for a in alerts)  # delivered at once, not at the next dispatch
    body = alerts[0].body
    run_id = str(failed.state_details.flow_run_id)
    assert f"/runs/flow-run/{run_id}" in body and "daily-plan" in body
    assert "ValueError" in body and "yinhui rerun --date 2026-10-01" in body
    assert "142623195003011234" not in body and "142623195003011234" not in console.getvalue()
    delivered = console.getvalue()
    assert delivered.count("→ 李局长 · 【银辉告警】daily-plan 运行失败") == delivered.count("→ 周书记 · 【银辉告警】") == 1

    monkeypatch.setattr(flows.digests, "collect_digests", working)  # the fault is fixed
    with clock.frozen_at(D("2026-10-01")):  # the operator mends it the same day
        assert main(["rerun", "--date", "2026-10-01"]) == 0
    out = capsys.readouterr().out
    assert "re-running the plan for 2026-10-01" in out and "2026-10-01: created 0" in out
    assert _count(Task) == tasks_after_failure  # nothing twice
    digests = _count(Notification, Notification.kind == "digest")
    assert digests > 0 and _count(Notification, Notification.kind == "digest", Notification.status == "sent") == digests

    with clock.frozen_at(D("2026-10-01")):
        assert main(["rerun", "--date", "2026-10-01"]) == 0  # and again: still nothing new
    assert (_count(Task), _count(Notification)) == (tasks_after_failure, digests + len(alerts))


def test_a_failing_subflow_raises_one_alert_per_leader_not_two(ready_database, prefect_harness, console, monkeypatch):
    import yinhui.services.tasks.sweeps
    from flows.daily_plan import daily_plan

    _county()

    def broken(session, **kwargs):
        raise ValueError("bad escalation rule")

    monkeypatch.setattr(yinhui.services.tasks.sweeps, "escalate_overdue", broken)
    with clock.frozen_at(D("2026-10-01")):  # else the plan fails on its day, not in the subflow
        assert daily_plan(D("2026-10-01"), dispatch=False, return_state=True).is_failed()
    assert len(_alerts()) == 2  # the parent's hook speaks for the failed contact-cadence subflow
    assert {a.subject for a in _alerts()} == {"【银辉告警】daily-plan 运行失败"}


def test_rerun_refuses_a_day_that_has_not_come(ready_database, capsys):
    tomorrow = clock.today() + dt.timedelta(days=1)
    assert main(["rerun", "--date", tomorrow.isoformat()]) == 1
    assert "is in the future" in capsys.readouterr().err
    assert _count(Task) == 0


def test_snapshot_command_freezes_a_closed_month_once(ready_database, prefect_harness, capsys):
    _county()
    assert main(["snapshot", "--month", "2099-01"]) == 1
    assert "2099-01 is not over yet" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["snapshot", "--month", "2026-13"])
    assert usage.value.code == 2 and "not a month" in capsys.readouterr().err
    assert _count(CoverageSnapshot) == 0

    assert main(["snapshot", "--month", "2026-10"]) == 0
    first = capsys.readouterr().out
    assert "coverage 2026-10: 0 of 4 cadres contacted (frozen now)" in first and "城关镇" in first
    rows = _count(CoverageSnapshot)
    assert main(["snapshot", "--month", "2026-10"]) == 0
    assert "already frozen on" in capsys.readouterr().out
    assert _count(CoverageSnapshot) == rows


def test_report_weekly_command(ready_database, prefect_harness, capsys):
    _county()
    assert main(["report", "weekly", "--week-of", "2026-09-30", "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["week"] == "2026-09-28..2026-10-04"
    assert summary["created"] == 0 and summary["must_visit_kept"] == 0


def test_schedules_command_lists_every_deployment_in_beijing_time(capsys):
    assert main(["schedules", "--format", "json", "--count", "2"]) == 0
    rows = {r["deployment"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {"daily-plan/每日计划", "dispatch-outbox/消息发送", "escalation-sweep/逾期巡查",
                         "weekly-report/周报", "monthly-coverage-snapshot/月度覆盖快照", "outbox-retention/消息内容清理"}
    assert rows["daily-plan/每日计划"]["timezone"] == "Asia/Shanghai"
    assert all(t.endswith("06:30") for t in rows["daily-plan/每日计划"]["next"]) and len(rows["daily-plan/每日计划"]["next"]) == 2
