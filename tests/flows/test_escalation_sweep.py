"""The daytime escalation sweep under a real Prefect test server: working days only, idempotent, retries, no overlap."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from models.db import session_scope
from models.tasks import Task, TaskEvent
from tests import factories
from tests.flows.test_artifacts import markdown_counts, run_artifacts
from yinhui import clock

pytestmark = pytest.mark.prefect
D = dt.date.fromisoformat


def _planned_september() -> dict[str, int]:
    """Six cadres with September's calls and the third quarter's visits, all due Wed Sep 30."""
    from flows.contact_cadence import contact_cadence

    with session_scope() as s:
        people = factories.small_county(s)
        for i in range(4):
            factories.cadre(s, f"东{i}", village="东街村")
        factories.cadre(s, "西一", village="西街村")
        factories.cadre(s, "上村一", township="河底镇", village="上村")
        ids = {k: v.id for k, v in people.items()}
    with clock.frozen_at(D("2026-09-01")):
        contact_cadence(D("2026-09-01"), write_digests=False)
    return ids


def _statuses() -> dict[str, int]:
    with session_scope() as s:
        return dict(s.execute(select(Task.status, func.count()).group_by(Task.status)).all())


def _events() -> int:
    with session_scope() as s:
        return s.execute(select(func.count()).select_from(TaskEvent)).scalar_one()


def test_sweep_skips_official_days_off_and_works_on_make_up_days(database, prefect_harness):
    from flows.contact_cadence import contact_cadence
    from flows.escalation_sweep import escalation_sweep

    _planned_september()
    before = (_statuses(), _events())
    # Mon Oct 5 is a National Day holiday (放假): nothing happens, and the UI says why.
    skipped = escalation_sweep(D("2026-10-05"), return_state=True)
    assert skipped.result() == {"day": "2026-10-05", "skipped": "day_off"}
    assert (_statuses(), _events()) == before
    assert "休息日" in run_artifacts(skipped.state_details.flow_run_id)["escalation-sweep"].data

    # Sat Oct 10 is a make-up working day (调休上班): six calls and six visits are ten days late.
    swept = escalation_sweep(D("2026-10-10"), return_state=True)
    assert swept.result() == {"day": "2026-10-10", "overdue": 12, "escalated": 12, "missed": 0}
    counts = markdown_counts(run_artifacts(swept.state_details.flow_run_id)["escalation-sweep"].data)
    assert counts == {"新增逾期": 12, "升级上报": 12, "逾期关闭（未办）": 0}
    with session_scope() as s:
        levels = s.execute(select(Task.escalation_level).where(Task.rule == "monthly_call")).scalars().all()
    assert levels == [2] * 6  # seven days and more: straight to the leader, one event each

    # The sweep used the morning plan's own steps: the plan finds nothing left to do, nor does a second sweep.
    assert escalation_sweep(D("2026-10-10")) == {"day": "2026-10-10", "overdue": 0, "escalated": 0, "missed": 0}
    with clock.frozen_at(D("2026-10-10")):
        plan = contact_cadence(D("2026-10-10"), write_digests=False)
    assert (plan["overdue"], plan["escalated"], plan["missed"]) == (0, 0, 0)

    # Fifteen days past due the calls close as missed (what coverage shows); a holiday sweep can be forced.
    assert escalation_sweep(D("2026-10-17"), working_days_only=False)["missed"] == 12
    assert _statuses()["missed"] == 12


def test_a_passing_database_error_is_retried_and_a_data_error_is_not(database, prefect_harness, monkeypatch):
    import yinhui.services.tasks.sweeps as sweeps
    from flows.escalation_sweep import escalation_sweep

    _planned_september()
    real = sweeps.mark_overdue
    calls: list[str] = []

    def locked_once(session, **kwargs):
        calls.append("try")
        if len(calls) == 1:
            raise OperationalError("UPDATE task", {}, Exception("database is locked"))
        return real(session, **kwargs)

    monkeypatch.setattr(sweeps, "mark_overdue", locked_once)
    assert escalation_sweep(D("2026-10-12"))["overdue"] == 12
    assert calls == ["try", "try"]

    def broken(session, **kwargs):
        calls.append("broken")
        raise IntegrityError("UPDATE task", {}, Exception("violates check constraint"))

    monkeypatch.setattr(sweeps, "mark_overdue", broken)
    state = escalation_sweep(D("2026-10-13"), return_state=True)
    assert state.is_failed()
    assert calls.count("broken") == 1  # a permanent error fails at once


def _wait_until_running(run_name: str, timeout: float = 60) -> None:
    """Until a run whose name holds `run_name` is running."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=run_name)))
            if any(r.state and r.state.is_running() for r in runs):
                return
            time.sleep(0.2)
    raise AssertionError(f"{run_name} did not start within {timeout} s")


def test_two_planning_runs_never_overlap(database, prefect_harness):
    from prefect.concurrency.sync import concurrency

    from flows.alerts import PLANNING_LIMIT, ensure_concurrency_limit
    from flows.escalation_sweep import escalation_sweep

    _planned_september()
    ensure_concurrency_limit(PLANNING_LIMIT)
    results: list[dict] = []
    with concurrency(PLANNING_LIMIT, occupy=1, strict=True):  # another planning run holds the slot
        worker = threading.Thread(target=lambda: results.append(escalation_sweep(D("2026-10-12"))))
        worker.start()
        _wait_until_running("escalation-sweep 2026-10-12")  # and the time it started
        time.sleep(3)  # running, yet waiting: without the limit it would be done by now
        assert worker.is_alive() and results == []
        assert _statuses().get("overdue", 0) == 0  # it has not touched a task
    worker.join(timeout=60)
    assert results and results[0]["overdue"] == 12
