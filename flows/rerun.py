"""What a run was for and how an operator redoes it: the day a run covered and its command.

Read by the failure alert (flows.alerts) and the day's summary (flows.today), which lists what
failed with the command that redoes it; below both, so that neither imports the other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from yinhui import clock

RERUN_HINTS = {
    "daily-plan": "yinhui rerun --date {day}",
    "contact-cadence": "yinhui rerun --date {day}",
    "escalation-sweep": "yinhui rerun --date {day}",
    "weekly-report": "yinhui report weekly --week-of {day}",
    "monthly-coverage-snapshot": "yinhui snapshot --month {month}",
    "dispatch-outbox": "yinhui dispatch",
}


def run_day(parameters: dict[str, Any], expected_start: dt.datetime | None) -> dt.date:
    """The day a run was for: its `day` (or `week_of`) parameter, else when it was scheduled."""
    for name in ("day", "week_of"):
        value = parameters.get(name)
        if value:
            try:
                return dt.date.fromisoformat(str(value)[:10])
            except ValueError:
                pass
    moment = expected_start.astimezone(clock.tz()) if expected_start is not None else clock.now()
    return dt.date(moment.year, moment.month, moment.day)  # a plain date, not pendulum's


def deployment_name(flow_name: str) -> str:
    """`daily-plan/每日计划`: the deployment that runs `flow_name` (the flow's own name when it has none)."""
    from deployments.schedules import DEFAULT_SPECS

    return next((spec.full_name for spec in DEFAULT_SPECS if spec.flow_name == flow_name), flow_name)


def rerun_hint(flow_name: str, parameters: dict[str, Any], day: dt.date) -> str:
    hint = RERUN_HINTS.get(flow_name) or f"prefect deployment run '{deployment_name(flow_name)}'"
    previous_month = (day.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    month = str(parameters.get("month") or previous_month)
    return hint.format(day=day.isoformat(), month=month, flow=flow_name)
