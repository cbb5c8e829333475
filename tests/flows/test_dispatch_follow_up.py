"""A message left for a retry gets a `dispatch-outbox` run at its retry time, not at the next sweep.

Real outbox rows (queued, claimed, failed through the outbox service) and a real Prefect server
with the real `dispatch-outbox` deployment registered; the clock is moved, not mocked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pendulum
import pytest

from deployments.schedules import DEFAULT_SPECS
from deployments.serve import build_deployment
from flows.dispatch_follow_up import schedule_follow_up, sweep_comes_first
from models.db import session_scope
from yinhui import clock
from yinhui.services.outbox import claim, enqueue, mark_failed

pytestmark = pytest.mark.prefect

SPEC = next(s for s in DEFAULT_SPECS if s.flow_name == "dispatch-outbox")
MORNING = pendulum.datetime(2026, 11, 30, 10, 5, tz="Asia/Shanghai")  # sweeps at 10:00 and 10:30


def _fail_for_now(key: str, retry_in: dt.timedelta) -> None:
    """Queue a message and record a failed attempt that asks to be retried after `retry_in`."""
    with session_scope() as session:
        enqueue(session, dedupe_key=key, recipient_id=None, channel="console", kind="notice", body="开会通知")
    with session_scope() as session:
        token, rows = claim(session, limit=10)
    with session_scope() as session:
        for row in rows:
            assert mark_failed(session, row.id or 0, token, error="channel away", permanent=False,
                               retry_in=retry_in) == "failed"


@pytest.fixture
def deployment(prefect_harness) -> Iterator[Any]:
    """The `dispatch-outbox` deployment as `yinhui serve` registers it; removed afterwards with its runs."""
    from prefect.client.orchestration import get_client

    deployment_id = build_deployment(SPEC).apply()
    try:
        yield deployment_id
    finally:
        with get_client(sync_client=True) as client:
            for run in client.read_flow_runs():
                if run.deployment_id == deployment_id:
                    client.delete_flow_run(run.id)
            client.delete_deployment(deployment_id)


def _scheduled(deployment_id: Any) -> list[tuple[str, str]]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        runs = [r for r in client.read_flow_runs() if r.deployment_id == deployment_id and r.state_type.value == "SCHEDULED"]
    beijing = dt.timezone(dt.timedelta(hours=8))
    return sorted((r.name, r.next_scheduled_start_time.astimezone(beijing).strftime("%H:%M:%S")) for r in runs)


def test_a_retry_due_before_the_next_sweep_gets_its_own_run_at_its_time_once(database, deployment):
    with clock.frozen_at(MORNING):
        _fail_for_now("notice:a", dt.timedelta(minutes=4))  # due 10:09, the sweep is at 10:30
        assert schedule_follow_up() == MORNING.add(minutes=4).in_timezone("UTC")
        _fail_for_now("notice:b", dt.timedelta(minutes=3, seconds=20))  # 10:08:20: the same 10:09 run
        schedule_follow_up()
    assert _scheduled(deployment) == [("dispatch 2026-11-30 10:09", "10:09:00")]


def test_a_delivery_run_that_leaves_a_retry_waiting_asks_for_its_run(database, deployment):
    from flows.dispatch_outbox import dispatch_outbox

    with clock.frozen_at(MORNING):
        _fail_for_now("notice:e", dt.timedelta(minutes=7))  # 10:12: not due yet, so this run sends nothing
        assert dispatch_outbox()["claimed"] == 0
    assert _scheduled(deployment) == [("dispatch 2026-11-30 10:12", "10:12:00")]


def test_no_run_is_asked_when_the_sweep_comes_first_or_nothing_waits(database, deployment):
    with clock.frozen_at(MORNING.add(minutes=20)):  # 10:25
        assert schedule_follow_up() is None  # nothing failed
        _fail_for_now("notice:c", dt.timedelta(minutes=4))  # 10:29: the 10:30 sweep sends it
        assert schedule_follow_up() is None
    assert _scheduled(deployment) == []


def test_without_a_deployment_the_retry_waits_for_the_next_dispatch(database, prefect_harness):
    with clock.frozen_at(MORNING):
        _fail_for_now("notice:d", dt.timedelta(minutes=4))
        assert schedule_follow_up() is None


def test_the_sweep_comes_first_only_when_it_fires_by_the_minute_after():
    crons = SPEC.crons
    assert sweep_comes_first(MORNING, MORNING.add(minutes=24), crons, "Asia/Shanghai")  # 10:29 → 10:30
    assert not sweep_comes_first(MORNING, MORNING.add(minutes=10), crons, "Asia/Shanghai")
    night = pendulum.datetime(2026, 11, 30, 23, 5, tz="Asia/Shanghai")  # hourly at night: next at 00:00
    assert not sweep_comes_first(night, night.add(minutes=30), crons, "Asia/Shanghai")
    assert sweep_comes_first(night, night.add(minutes=54), crons, "Asia/Shanghai")
