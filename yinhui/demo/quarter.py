"""Prefect flow `demo-quarter`: the demo county's simulated days, one task run a day.

Each simulated day runs the daily plan's own steps (`plan_day`: contact cadence, calendar nodes,
care plan, digests, delivery) inline in its task run, then the simulated coordinators act on
what they were given. The whole quarter holds the planning slot once, like any planning run, so
nothing else plans into the demo's database while it plays. A day's record in the Prefect UI is
its `simulated-day-YYYY-MM-DD` task run with the plan's counts as its result and logs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from prefect import flow, task

from flows.alerts import one_planning_run_at_a_time
from flows.daily_plan import plan_day
from flows.steps import inline_steps
from yinhui import clock
from yinhui.demo import sandbox
from yinhui.demo.people import coordinators_act
from yinhui.demo.words import _

# Who wants to hear of each finished day (a progress bar): not a flow parameter, which Prefect
# would have to store with the run; the flow runs in the caller's thread and context.
_day_done: ContextVar[Callable[[dt.date], None] | None] = ContextVar("demo_day_done", default=None)


@contextlib.contextmanager
def reporting_days(on_day: Callable[[dt.date], None] | None) -> Iterator[None]:
    """Within the block, `demo_quarter` calls `on_day(day)` after each simulated day."""
    token = _day_done.set(on_day)
    try:
        yield
    finally:
        _day_done.reset(token)


@task(name="simulated-day · 模拟一日", task_run_name="simulated-day-{day}")
def simulated_day(day: dt.date, offset: int, seed: int) -> dict[str, Any]:
    """One day: the morning plan and delivery, then what the coordinators do that day."""
    sandbox.check()
    with clock.frozen_at(day):
        with inline_steps():
            plan = plan_day(day)
        acted = coordinators_act(day, offset, seed)
    return {"plan": plan, **acted}


@flow(
    name="demo-quarter",
    flow_run_name="demo-quarter-{start}",
    description="演示：模拟一个季度的每日计划与协管员办理 — the demo county's simulated quarter, a task run a day.",
    log_prints=False,
)
@one_planning_run_at_a_time
def demo_quarter(start: dt.date, days: int, seed: int, progress: bool = True) -> list[dict[str, Any]]:
    """Play `days` days from `start`; returns each day's plan counts and the coordinators' actions."""
    results: list[dict[str, Any]] = []
    on_day = _day_done.get()
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        result = simulated_day(day, offset, seed)
        results.append(result)
        if progress and (offset % 7 == 0 or offset == days - 1):
            cadence, plan = result["plan"]["contact_cadence"], result["plan"]
            print("  " + _("{day}: +{created} task(s), {overdue} newly overdue, {escalated} escalated, "
                           "{digests} digest(s)", day=day, created=cadence["created_total"],
                           overdue=cadence["overdue"], escalated=cadence["escalated"], digests=plan["digests"]),
                  file=sys.stdout, flush=True)
        if on_day is not None:
            on_day(day)
    return results
