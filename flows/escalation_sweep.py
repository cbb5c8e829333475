"""Prefect flow `escalation-sweep`: during the working day, mark late tasks, escalate them and close the lapsed (逾期巡查).

The same tasks as the morning plan (`contact-cadence`), so the rules live in one place; the
sweep is the safety net that keeps escalation on time when the morning plan failed or ran late.
Official days off (放假) are skipped and make-up working days (调休上班) are not.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger, task

from flows.alerts import on_flow_crashed, on_flow_failure, one_planning_run_at_a_time
from flows.artifacts import counts_markdown, day_of, language, publish_markdown, run_name
from flows.contact_cadence import mark_and_escalate, refresh_owners
from flows.planning_context import parse_day, planning_context
from flows.texts import bilingual, report_text, say, task_name
from yinhui.i18n import N_

TEXT_KEYS = (("newly_overdue", "overdue"), ("escalated", "escalated"), ("lapsed", "missed"))


@task(name=task_name("publish-sweep-artifacts", N_("publish the sweep's results")), tags=["artifacts"])
def publish_sweep(day: dt.date, counts: dict[str, int] | None) -> None:
    lang = language()
    title = report_text("sweep_title", lang, day=day)
    if counts is None:
        text = f"## {title}\n\n{report_text('sweep_skipped', lang, day=day)}\n"
    else:
        text = counts_markdown(title, [(label, counts[key]) for label, key in TEXT_KEYS], lang)
    what = bilingual(N_("overdue, escalated, lapsed"), " ")
    publish_markdown("escalation-sweep", text, f"{day} {what}")


@flow(
    name="escalation-sweep",
    flow_run_name=run_name("escalation-sweep", "day", day_of, with_time=True),
    description=bilingual(N_("mark overdue, escalate and lapse late tasks during working hours.")),
    on_failure=[on_flow_failure],
    on_crashed=[on_flow_crashed],
)
@one_planning_run_at_a_time
def escalation_sweep(day: dt.date | str | None = None, working_days_only: bool = True) -> dict[str, Any]:
    """Sweep one day's late tasks; on an official day off (unless told otherwise) do nothing."""
    the_day = parse_day(day)
    logger = get_run_logger()
    if working_days_only and planning_context(the_day).calendar.is_day_off(the_day):
        logger.info(say(N_("{day} is an official day off: nothing swept."), day=the_day))
        publish_sweep(the_day, None)
        return {"day": the_day.isoformat(), "skipped": "day_off"}
    owners = refresh_owners()
    late = mark_and_escalate(the_day, owners["leader_id"])
    publish_sweep(the_day, late)
    logger.info(say(
        N_("Overdue sweep {day}: {overdue} newly overdue, {escalated} escalated, {missed} closed as missed."),
        day=the_day, overdue=late["overdue"], escalated=late["escalated"], missed=late["missed"],
    ))
    return {"day": the_day.isoformat(), **late}
