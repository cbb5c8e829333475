"""The run list a leader scans: every flow and sub-flow run named by what it is and the bureau's day (and time)."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from models.db import session_scope
from tests import factories
from yinhui import clock

pytestmark = pytest.mark.prefect
D = dt.date.fromisoformat


def _at(day: str, hour: int, minute: int) -> pendulum.DateTime:
    return pendulum.datetime(*map(int, day.split("-")), hour, minute, tz=clock.tz())


def _runs(**filters) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterParentFlowRunId,
    )

    if "parent" in filters:
        flow_filter = FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[filters["parent"]]))
    else:
        flow_filter = FlowRunFilter(id=FlowRunFilterId(any_=[filters["id"]]))
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(flow_run_filter=flow_filter)


def _name(state) -> str:
    return _runs(id=state.state_details.flow_run_id)[0].name


def test_runs_are_named_by_flow_and_the_bureaus_day_and_time(database, prefect_harness):
    from flows.daily_plan import daily_plan
    from flows.dispatch_outbox import dispatch_outbox
    from flows.escalation_sweep import escalation_sweep
    from flows.outbox_retention import outbox_retention
    from flows.reports import monthly_coverage_snapshot, weekly_report

    with clock.frozen_at(D("2026-11-20")), session_scope() as s:
        factories.small_county(s)
        factories.cadre(s, "东一")

    # 06:30 in Beijing is 22:30 UTC the evening before: the name shows the bureau's day.
    with clock.frozen_at(_at("2026-11-29", 6, 30)):
        plan = daily_plan(dispatch=False, return_state=True)
    assert plan.is_completed()
    assert _name(plan) == "daily-plan 2026-11-29"
    children = {run.name for run in _runs(parent=plan.state_details.flow_run_id)}
    assert {"contact-cadence 2026-11-29", "calendar-nodes 2026-11-29"} <= children
    assert all(name.endswith(" 2026-11-29") for name in children)

    with clock.frozen_at(_at("2026-11-29", 10, 5)):
        assert _name(dispatch_outbox(return_state=True)) == "dispatch 2026-11-29 10:05"
        # A day off (Sunday): the sweep still names its run by day and time.
        assert _name(escalation_sweep(return_state=True)) == "escalation-sweep 2026-11-29 10:05"
    with clock.frozen_at(_at("2026-11-30", 3, 30)):
        assert _name(outbox_retention(return_state=True)) == "outbox-retention 2026-11-30"
    with clock.frozen_at(_at("2026-11-30", 8, 0)):
        assert _name(weekly_report(return_state=True)) == "weekly-report 2026-11-23"
    with clock.frozen_at(_at("2026-12-01", 7, 0)):
        assert _name(monthly_coverage_snapshot(return_state=True)) == "monthly-coverage-snapshot 2026-11"


def test_a_run_for_another_day_is_named_for_that_day(database, prefect_harness):
    from flows.contact_cadence import contact_cadence

    with clock.frozen_at(D("2026-11-20")), session_scope() as s:
        factories.small_county(s)
    with clock.frozen_at(_at("2026-11-29", 9, 0)):
        state = contact_cadence("2026-11-28", write_digests=False, return_state=True)
    assert state.is_completed() and _name(state) == "contact-cadence 2026-11-28"


def test_a_run_not_yet_started_is_given_the_name_it_will_start_with():
    from flows.daily_plan import daily_plan
    from flows.dispatch_outbox import dispatch_outbox
    from flows.reports import monthly_coverage_snapshot, weekly_report

    # The server holds a run's expected start in UTC: 06:30 in Beijing is 22:30 the evening before.
    plan_at = pendulum.datetime(2026, 11, 28, 22, 30, tz="UTC")
    assert daily_plan.flow_run_name.for_run(plan_at, {}) == "daily-plan 2026-11-29"
    assert daily_plan.flow_run_name.for_run(plan_at, {"day": "2026-11-20"}) == "daily-plan 2026-11-20"
    assert daily_plan.flow_run_name.for_run(plan_at, {"day": "someday"}) == "daily-plan"  # the run will refuse it
    assert dispatch_outbox.flow_run_name.for_run(_at("2026-11-30", 10, 30), {"limit": 500}) == "dispatch 2026-11-30 10:30"
    # A default meaning "last week" or "last month" is counted from the run's day, not from today.
    with clock.frozen_at(D("2026-11-01")):
        assert weekly_report.flow_run_name.for_run(_at("2026-11-30", 8, 0), {}) == "weekly-report 2026-11-23"
        assert monthly_coverage_snapshot.flow_run_name.for_run(_at("2026-12-01", 7, 0), {}) == "monthly-coverage-snapshot 2026-11"
