"""Prefect flow `care-plan`: must-visits, door-to-door services, organisational life, the staff rhythm.

For one day it records the big birthdays coming up and creates every missing must-visit and
follow-up (四必访), the open windows' door-to-door services for 离休 cadres (六上门), each branch's
theme party day and the visits after repeated absence (组织生活), and the coming lectures and
writing-group meetings (奋进讲堂、信息写作组). Set-based (two planning task runs whatever the county's
size) and idempotent: a second run for the same day changes nothing. Late tasks are escalated by
the contact cadence's step, with each rule's own thresholds (must-visits faster).

`daily-plan` runs the plan inline (`plan_care_day`) rather than as a subflow: its task runs show in
the daily-plan run just the same, and a subflow run cost about 1.5 s of Prefect bookkeeping per
day, which is most of what the care plan would add to a simulated quarter.
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
from yinhui.services.door_services import plan_door_services
from yinhui.services.must_visits import plan_must_visits
from yinhui.services.org_life import plan_absence_visits, plan_theme_days, reassign_meetings
from yinhui.services.planning import plan_leader
from yinhui.services.staff_rhythm import plan_staff_rhythm

ACTOR = "system:care-plan"


def _leader(leader_id: int | None) -> int:
    if leader_id is not None:
        return leader_id
    with session_scope() as session:
        return plan_leader(session)


@task(name=task_name("plan-care-visits", N_("must-visits and door-to-door services")), **TASK_RETRIES)
def plan_care_visits(day: dt.date, leader_id: int | None = None) -> dict[str, Any]:
    ctx = planning_context(day)
    leader = _leader(leader_id)
    with session_scope() as session:
        visits = plan_must_visits(session, playbook=ctx.playbook, calendar=ctx.calendar, day=day,
                                  leader_id=leader, actor=ACTOR)
        services = plan_door_services(session, playbook=ctx.playbook, day=day, shift_due=ctx.shift_due,
                                      leader_id=leader, actor=ACTOR)
    logger = get_run_logger()
    birthdays = visits.pop("birthdays")
    logger.info(say(N_("Must-visits: {created} created or followed up, {birthdays} big birthday(s) recorded."),
                    created=sum(visits.values()), birthdays=birthdays))
    logger.info(say(N_("Door-to-door services: {created} created."), created=sum(services.values())))
    logger.debug("must-visits by rule %s; services by kind %s", visits, services)
    return {"birthdays": birthdays, "must_visits": visits, "services": services}


@task(name=task_name("plan-org-and-staff", N_("organisational life and the staff rhythm")), **TASK_RETRIES)
def plan_org_and_staff(day: dt.date, leader_id: int | None = None) -> dict[str, Any]:
    ctx = planning_context(day)
    leader = _leader(leader_id)
    with session_scope() as session:
        moved = reassign_meetings(session, leader_id=leader, actor=ACTOR)
        meetings = plan_theme_days(session, playbook=ctx.playbook, day=day, shift_due=ctx.shift_due,
                                   leader_id=leader, actor=ACTOR)
        absences = plan_absence_visits(session, playbook=ctx.playbook, day=day, shift_due=ctx.shift_due,
                                       leader_id=leader, actor=ACTOR)
        staff = plan_staff_rhythm(session, playbook=ctx.playbook, calendar=ctx.calendar, day=day, actor=ACTOR)
    logger = get_run_logger()
    for warning in staff.warnings:
        logger.warning(warning)
    logger.info(say(N_("Organisational life: {meetings} theme party day(s), {absences} visit(s) after absence; "
                       "staff: {lectures} lecture(s), {writing} writing-group meeting(s)."),
                    meetings=meetings, absences=absences, lectures=len(staff.lectures), writing=len(staff.writing)))
    logger.debug("lectures %s, writing group %s", [d.isoformat() for d, _ in staff.lectures],
                 [d.isoformat() for d, _ in staff.writing])
    return {
        "meetings": meetings, "meetings_reassigned": moved, "absence_visits": absences,
        "lectures": len(staff.lectures), "lectures_reassigned": len(staff.reassigned),
        "writing_group": len(staff.writing), "warnings": staff.warnings,
    }


def plan_care_day(day: dt.date, *, refresh: bool = True) -> dict[str, Any]:
    """The plan itself, inside a flow run (its own, or daily-plan's). ``refresh=False`` when the
    grid owners were just refreshed (daily-plan's contact cadence did it a moment ago)."""
    leader_id = run_step(refresh_owners)["leader_id"] if refresh else None
    visits = run_step(plan_care_visits, day, leader_id)
    rhythm = run_step(plan_org_and_staff, day, leader_id)
    counts = {
        "day": day.isoformat(),
        "birthdays": visits["birthdays"],
        "must_visits": visits["must_visits"],
        "must_visits_total": sum(visits["must_visits"].values()),
        "services": visits["services"],
        "services_total": sum(visits["services"].values()),
        "meetings_total": rhythm["meetings"],
        "absence_visits_total": rhythm["absence_visits"],
        "staff_total": rhythm["lectures"] + rhythm["writing_group"],
        "reassigned": rhythm["meetings_reassigned"] + rhythm["lectures_reassigned"],
        "warnings": rhythm["warnings"],
    }
    get_run_logger().info(say(
        N_("Care plan {day}: {must_visits} must-visit(s) and follow-up(s), {services} service(s), {meetings} meeting(s), "
           "{absences} visit(s) after absence, {staff} staff task(s)."),
        day=counts["day"], must_visits=counts["must_visits_total"], services=counts["services_total"],
        meetings=counts["meetings_total"], absences=counts["absence_visits_total"], staff=counts["staff_total"],
    ))
    return counts


@flow(
    name="care-plan",
    flow_run_name=run_name("care-plan", "day", day_of),
    description=bilingual(N_("must-visits, door-to-door services, organisational life and the staff rhythm.")),
    log_prints=False,
    on_failure=[on_flow_failure],
)
def care_plan(day: dt.date | str | None = None, write_digests: bool = True) -> dict[str, Any]:
    """Plan one day of care work; returns the counts (every ``*_total`` counts tasks created)."""
    the_day = parse_day(day)
    counts = plan_care_day(the_day)
    counts["digests"] = run_step(write_digests_task, the_day) if write_digests else 0
    return counts
