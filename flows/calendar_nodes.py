"""Prefect flow `calendar-nodes`: festival visits and event plans around the "two nodes" (两个节点).

For one day it plans a visit to every active cadre in each open festival window (逢年过节必访),
drops the visits of cadres who have died or moved away, hands event steps of coordinators who left
to the role's owner now, and creates the playbook's yearly events whose time has come
(提早谋划、提前设计). Set-based (four task runs whatever the county's size)
and idempotent: a second run for the same day changes nothing. Tasks land in the same table as
the contact cadence, so the day's one digest lists them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger, task

from flows.alerts import on_flow_failure
from flows.artifacts import day_of, run_name
from flows.contact_cadence import refresh_owners
from flows.digests import write_digests_task
from flows.planning_context import parse_day, planning_context
from flows.retrying import TASK_RETRIES
from flows.steps import run_step
from flows.texts import bilingual, say, task_name
from models.db import session_scope
from yinhui.i18n import N_
from yinhui.services.event_views import step_dates
from yinhui.services.events import plan_yearly_events, reassign_orphaned_steps
from yinhui.services.festivals import plan_festival_visits
from yinhui.settings import get_settings

ACTOR = "system:calendar-nodes"


@task(name=task_name("plan-festival-visits", N_("festival visits")), **TASK_RETRIES)
def plan_visits(day: dt.date, leader_id: int) -> dict[str, Any]:
    ctx = planning_context(day)
    logger = get_run_logger()
    with session_scope() as session:
        plan = plan_festival_visits(
            session, playbook=ctx.playbook, calendar=ctx.calendar, day=day, leader_id=leader_id, actor=ACTOR
        )
    # Warn about each year whose days off had to be guessed for these deadlines (never silently).
    warnings = ctx.warnings_for_days(d for w in plan.windows for _, d in w.dues) + plan.warnings
    for warning in warnings:
        logger.warning(warning)
    for window in plan.windows:
        logger.info(say(
            N_("{node} {date}: {count} visit(s) planned, window {opens} to {closes}."), node=window.node.name_zh,
            date=window.node.date, count=plan.created[f"{window.node.key} {window.period}"], opens=window.opens,
            closes=window.closes,
        ))
    return {"created": plan.created, "dropped": plan.dropped, "warnings": warnings}


@task(name=task_name("plan-node-events", N_("node events")), **TASK_RETRIES)
def plan_node_events(day: dt.date) -> dict[str, Any]:
    ctx = planning_context(day)
    logger = get_run_logger()
    with session_scope() as session:
        reassigned = reassign_orphaned_steps(session, actor=ACTOR)
        created, problems = plan_yearly_events(
            session, playbook=ctx.playbook, calendar=ctx.calendar, day=day, actor=ACTOR,
            language=get_settings().language,
        )
        titles = [f"#{event.id} {event.title} {event.held_on}" for event in created]
        dates = step_dates(session, [event.id for event in created])  # type: ignore[misc]
    for title in titles:
        logger.info(say(N_("Event planned: {event}"), event=title))
    warnings = ctx.warnings_for_days(dates)
    for problem in problems + warnings:
        logger.warning(problem)
    return {"events": titles, "problems": problems, "warnings": warnings, "reassigned": reassigned}


@flow(
    name="calendar-nodes",
    flow_run_name=run_name("calendar-nodes", "day", day_of),
    description=bilingual(N_("festival visits and event plans around calendar nodes.")),
    log_prints=False,
    on_failure=[on_flow_failure],
)
def calendar_nodes(day: dt.date | str | None = None, write_digests: bool = True) -> dict[str, Any]:
    """Plan one day of festival visits and node events; returns the counts."""
    the_day = parse_day(day)
    owners = run_step(refresh_owners)
    visits = run_step(plan_visits, the_day, owners["leader_id"])
    events = run_step(plan_node_events, the_day)
    digests = run_step(write_digests_task, the_day) if write_digests else 0
    counts = {
        "day": the_day.isoformat(),
        "festival_visits": visits["created"],
        "festival_visits_total": sum(visits["created"].values()),
        "dropped": visits["dropped"],
        "events_created": events["events"],
        "steps_reassigned": events["reassigned"],
        "problems": events["problems"],
        "warnings": list(dict.fromkeys(visits["warnings"] + events["warnings"])),
        "digests": digests,
    }
    get_run_logger().info(say(
        N_("Calendar nodes {day}: {visits} festival visit(s) planned, {dropped} dropped, {events} event(s) planned."),
        day=counts["day"], visits=counts["festival_visits_total"], dropped=counts["dropped"],
        events=len(counts["events_created"]),
    ))
    return counts
