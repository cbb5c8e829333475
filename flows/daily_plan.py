"""Prefect flow `daily-plan`: every planning flow for one day, then the digests, then delivery.

Each planning flow only creates tasks; the digest step runs once after all of them, so a
coordinator's one digest of the day lists everything that was planned for them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger

from flows.alerts import on_flow_crashed, on_flow_failure, one_planning_run_at_a_time
from flows.artifacts import day_of, run_name
from flows.calendar_nodes import calendar_nodes
from flows.care import plan_care_day
from flows.contact_cadence import contact_cadence
from flows.digests import write_digests_task
from flows.dispatch_outbox import dispatch_outbox
from flows.planning_context import parse_day
from flows.steps import run_step
from flows.texts import bilingual, say
from flows.today import publish_day_artifacts
from yinhui import clock
from yinhui.i18n import N_
from yinhui.services.planning import check_plan_day


def plan_day(the_day: dt.date, *, dispatch: bool = True, backfill: bool = False) -> dict[str, Any]:
    """Every planning step of one day, then the digests once, then delivery; returns their counts.

    The `daily-plan` flow runs it with each step as its own run; the demo runs it inside
    `inline_steps()`, one task run a simulated day (see flows/steps.py). A day outside the
    planning window (`yinhui.services.planning.plan_window`; ``backfill`` for an older day on
    purpose) is refused before anything is written.
    """
    check_plan_day(the_day, today=clock.today(), backfill=backfill)
    results: dict[str, Any] = {"day": the_day.isoformat()}
    results["contact_cadence"] = run_step(contact_cadence, the_day, write_digests=False, backfill=backfill)
    results["calendar_nodes"] = run_step(calendar_nodes, the_day, write_digests=False)
    results["care_plan"] = plan_care_day(the_day, refresh=False)
    results["digests"] = run_step(write_digests_task, the_day)
    if dispatch:
        results["dispatch"] = run_step(dispatch_outbox)
    get_run_logger().info(say(N_("Daily plan {day} done: {digests} digest(s) written."), day=the_day, digests=results["digests"]))
    get_run_logger().debug("daily plan %s results: %s", the_day, results)
    return results


@flow(
    name="daily-plan",
    flow_run_name=run_name("daily-plan", "day", day_of),
    description=bilingual(N_("plan the day, write digests, deliver them, publish the day's report.")),
    on_failure=[on_flow_failure],
    on_crashed=[on_flow_crashed],
)
@one_planning_run_at_a_time
def daily_plan(day: dt.date | str | None = None, dispatch: bool = True, backfill: bool = False) -> dict[str, Any]:
    the_day = parse_day(day)
    results = plan_day(the_day, dispatch=dispatch, backfill=backfill)
    results["artifacts"] = publish_day_artifacts(the_day)
    return results
