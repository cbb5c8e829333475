"""Prefect flows `weekly-report` (周报, Monday morning) and `monthly-coverage-snapshot` (月度覆盖快照, on the 1st)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger, task

from flows.alerts import on_flow_failure
from flows.artifacts import (
    activity_counts,
    counts_markdown,
    language,
    local_day_bounds,
    publish_coverage,
    publish_deadlines,
    publish_markdown,
    publish_table,
    run_name,
    snapshot_table,
)
from flows.planning_context import parse_day
from flows.retrying import TASK_RETRIES
from flows.texts import bilingual, report_text, say, task_name
from flows.trend import trend_chart, trend_table
from models.db import session_scope
from yinhui import clock
from yinhui.i18n import N_
from yinhui.services.snapshots import (
    activity_between,
    month_period,
    snapshot_history,
    take_snapshot,
)

TREND_MONTHS = 12
ACTOR = "system:monthly-coverage-snapshot"


def week_bounds(week_of: dt.date | str | None) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the week holding `week_of`; by default the week before this one."""
    day = parse_day(week_of) if week_of else clock.today() - dt.timedelta(days=7)
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def previous_month(today: dt.date | None = None) -> str:
    today = today or clock.today()
    return (dt.date(today.year, today.month, 1) - dt.timedelta(days=1)).strftime("%Y-%m")


def month_or_previous(month: str | None) -> str:
    return month or previous_month()


@task(name=task_name("publish-week", N_("publish the weekly report")), tags=["artifacts"], **TASK_RETRIES)
def publish_week(first: dt.date, last: dt.date) -> dict[str, Any]:
    lang = language()
    start, end = local_day_bounds(first, last)
    with session_scope() as session:
        activity = activity_between(session, start=start, end=end, first_day=first, last_day=last)
    title = report_text("week_title", lang, first=first, last=last)
    what = bilingual(N_("created, closed, escalated, contacts"), " ")
    publish_markdown("weekly-report", counts_markdown(title, activity_counts(activity), lang), f"{first}..{last} {what}")
    report = publish_coverage("weekly-coverage-by-township", last, lang)
    record = publish_deadlines("weekly-must-visit-deadlines", first, last, clock.today(), lang)
    return {
        "week": f"{first.isoformat()}..{last.isoformat()}",
        **{key: value for key, value in activity_counts(activity)},
        "coverage_rate": round(report.total.rate, 4) if report.grids and report.total.expected else None,
        "must_visit_kept": record.kept,
        "must_visit_missed": record.missed,
    }


@flow(
    name="weekly-report",
    flow_run_name=run_name("weekly-report", "week_of", lambda value: week_bounds(value)[0]),
    description=bilingual(N_("last week's work, coverage per township, must-visit deadlines.")),
    on_failure=[on_flow_failure],
)
def weekly_report(week_of: dt.date | str | None = None) -> dict[str, Any]:
    """Publish the report of the week holding `week_of` (default: last week) as artifacts."""
    first, last = week_bounds(week_of)
    summary = publish_week(first, last)
    get_run_logger().info(say(
        N_("Weekly report {first} to {last}: {created} created, {done} done, {escalated} escalated, {contacts} contact(s)."),
        first=first, last=last, created=summary["created"], done=summary["done"], escalated=summary["escalated"],
        contacts=summary["contacts"],
    ))
    return summary


@task(name=task_name("freeze-month", N_("freeze the month's coverage")), **TASK_RETRIES)
def freeze_month(month: str, today: dt.date) -> dict[str, Any]:
    with session_scope() as session:
        rows, created = take_snapshot(session, month, today=today, taken_by=ACTOR)
        county = next((r for r in rows if r.level == 1), None)
        return {
            "month": month,
            "created": created,
            "grids": len(rows),
            "cadres": county.cadres if county else 0,
            "contacted": county.contacted if county else 0,
            "via_relative": county.via_relative if county else 0,
            "paused": county.paused if county else 0,
            "unreachable": county.unreachable if county else 0,
        }


@task(name=task_name("publish-month", N_("publish the month's coverage")), tags=["artifacts"], **TASK_RETRIES)
def publish_month(month: str) -> int:
    lang = language()
    with session_scope() as session:
        history = snapshot_history(session, until=month, months=TREND_MONTHS)
    rows = history.get(month, [])
    taken = rows[0].taken_at.astimezone(clock.tz()).strftime("%Y-%m-%d %H:%M") if rows else "—"
    title = report_text("snapshot_title", lang, month=month, taken=taken)
    publish_table("monthly-coverage-snapshot", snapshot_table(rows, lang), title)
    trend = f"{report_text('trend_title', lang)} ≤ {month}"
    publish_table("monthly-coverage-trend", trend_table(history, lang), trend)
    publish_markdown("monthly-coverage-chart", trend_chart(history, lang), trend)
    return len(history)


@flow(
    name="monthly-coverage-snapshot",
    flow_run_name=run_name("monthly-coverage-snapshot", "month", month_or_previous),
    description=bilingual(N_("freeze last month's coverage per grid; publish the month-by-month trend.")),
    on_failure=[on_flow_failure],
)
def monthly_coverage_snapshot(month: str | None = None) -> dict[str, Any]:
    """Freeze `month` (YYYY-MM, default: last month) once, then publish it and the trend before it."""
    key = month_or_previous(month)
    month_period(key)  # a bad month fails here, before anything is written
    result = freeze_month(key, clock.today())
    result["months_in_trend"] = publish_month(key)
    logger = get_run_logger()
    if result["created"]:
        logger.info(say(N_("Coverage of {month} frozen: {contacted} of {cadres} cadres contacted."), month=key,
                        contacted=result["contacted"], cadres=result["cadres"]))
    else:
        logger.info(say(N_("Coverage of {month} was frozen before; published as it stands."), month=key))
    return result
