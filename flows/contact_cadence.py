"""Prefect flow `contact-cadence`: the daily plan of calls and visits (一月一次电话、一季一次走访).

For one day it creates the tasks whose window has opened, marks and escalates the late ones and
writes each coordinator's digest. Set-based (five task runs whatever the county's size) and
idempotent: a second run for the same day changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger, task

from flows.alerts import on_flow_failure
from flows.digests import write_digests_task
from flows.planning_context import parse_day, planning_context
from flows.retrying import TASK_RETRIES
from flows.run_names import day_of, run_name
from flows.steps import run_step
from flows.texts import bilingual, task_name
from models.db import session_scope
from yinhui import clock
from yinhui.i18n import N_
from yinhui.rules.cadence import due_cadence
from yinhui.services.pauses import apply_pauses
from yinhui.services.planning import check_plan_day, create_cadence_tasks, refresh_grid_owners
from yinhui.services.tasks import reassign_live_tasks, sweep_overdue

ACTOR = "system:contact-cadence"


@task(name=task_name("refresh-grid-owners", N_("confirm the grid owners")), **TASK_RETRIES)
def refresh_owners() -> dict[str, Any]:
    with session_scope() as session:
        assignment = refresh_grid_owners(session)
        moved = reassign_live_tasks(session=session, leader_id=assignment.leader_id, actor=ACTOR)
    return {"leader_id": assignment.leader_id, "uncovered_grids": len(assignment.uncovered), "reassigned": moved}


@task(name=task_name("create-due-tasks", N_("create the tasks falling due")), **TASK_RETRIES)
def create_due_tasks(day: dt.date, leader_id: int) -> dict[str, int]:
    ctx = planning_context(day)
    logger = get_run_logger()
    created: dict[str, int] = {}
    with session_scope() as session:
        for due in due_cadence(ctx.playbook, day, ctx.shift_due):
            for warning in ctx.calendar.warnings_for(due.due.year):
                logger.warning("%s: %s", due.rule, warning)
            created[due.rule] = create_cadence_tasks(
                session, due, day=day, prio=ctx.playbook.priority, leader_id=leader_id, actor=ACTOR
            )
            logger.info("%s %s: %d new tasks, due %s", due.rule, due.period.key, created[due.rule], due.due)
    return created


@task(name=task_name("apply-pauses", N_("pauses: cancel and bring back calls and visits")), **TASK_RETRIES)
def pauses_task(day: dt.date) -> dict[str, int]:
    with session_scope() as session:
        return apply_pauses(session, day=day, actor=ACTOR)


@task(name=task_name("mark-and-escalate-overdue", N_("overdue and escalation")), **TASK_RETRIES)
def mark_and_escalate(day: dt.date, leader_id: int) -> dict[str, int]:
    ctx = planning_context(day)
    with session_scope() as session:
        return sweep_overdue(session=session, playbook=ctx.playbook, day=day, leader_id=leader_id, actor=ACTOR)


@flow(
    name="contact-cadence",
    flow_run_name=run_name("contact-cadence", "day", day_of),
    description=bilingual(N_("daily calls and visits, overdue and escalation, digests.")),
    log_prints=False,
    on_failure=[on_flow_failure],
)
def contact_cadence(
    day: dt.date | str | None = None, write_digests: bool = True, backfill: bool = False
) -> dict[str, Any]:
    """Plan one day of the contact cadence; returns the counts.

    A day outside the planning window is refused before anything is written (``backfill``:
    an older day on purpose; see `yinhui.services.planning.plan_window`).
    """
    the_day = parse_day(day)
    check_plan_day(the_day, today=clock.today(), backfill=backfill)
    owners = run_step(refresh_owners)
    # Pauses before planning: what a paused cadre has open is cancelled, what an ended pause cancelled comes back.
    paused = run_step(pauses_task, the_day)
    created = run_step(create_due_tasks, the_day, owners["leader_id"])
    late = run_step(mark_and_escalate, the_day, owners["leader_id"])
    digests = run_step(write_digests_task, the_day) if write_digests else 0
    counts = {
        "day": the_day.isoformat(),
        "created": created,
        "created_total": sum(created.values()),
        "overdue": late["overdue"],
        "escalated": late["escalated"],
        "missed": late["missed"],
        "digests": digests,
        "uncovered_grids": owners["uncovered_grids"],
        "reassigned": owners["reassigned"],
        **paused,
    }
    get_run_logger().info(
        "contact cadence %s: %d created, %d newly overdue, %d escalated, %d digests",
        counts["day"], counts["created_total"], counts["overdue"], counts["escalated"], digests,
    )
    return counts
