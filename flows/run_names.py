"""Flow run names a leader can find in the run list: `daily-plan 2026-11-29`, `dispatch 2026-11-29 10:05`.

Prefect names a run after two random words ("carrot-beluga") unless told otherwise. Each of our
flows passes one of these as its `flow_run_name`: the flow's short name, then the bureau's day
(from the run's own parameter when it has one, else the day it runs on in the bureau's time
zone), and for flows that run several times a day the time as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pendulum


def run_moment() -> pendulum.DateTime:
    """When this run is for, in the bureau's time zone: its scheduled time, else now."""
    from prefect.context import FlowRunContext

    from yinhui import clock

    context = FlowRunContext.get()
    run = context.flow_run if context is not None else None
    # A run a schedule created is for its slot (10:05), however late it starts; any other starts now.
    if run is None or run.deployment_id is None or run.expected_start_time is None:
        return clock.now()
    return pendulum.instance(run.expected_start_time).in_timezone(clock.tz())


def run_name(
    prefix: str,
    parameter: str | None = None,
    resolve: Callable[[Any], object] | None = None,
    *,
    with_time: bool = False,
) -> Callable[[], str]:
    """A `flow_run_name`: `prefix`, then the day of the run's `parameter` (via `resolve`), then maybe HH:MM.

    A parameter left to its default (a scheduled run) resolves to the bureau's day; without a
    `parameter` the name shows the day (and time) the run is for.
    """

    def name() -> str:
        from prefect.runtime import flow_run

        moment = run_moment()
        shown: object = moment.date()
        if parameter is not None and resolve is not None:
            try:
                shown = resolve(flow_run.parameters.get(parameter))
            except ValueError:  # a bad parameter fails the run itself, with a clearer message
                return prefix
        if isinstance(shown, dt.date) and not isinstance(shown, dt.datetime):
            shown = shown.isoformat()
        return f"{prefix} {shown} {moment.format('HH:mm')}" if with_time else f"{prefix} {shown}"

    return name


def day_of(value: Any) -> dt.date:
    """The day a run's `day` parameter names (the bureau's today when left out)."""
    from flows.planning_context import parse_day

    return parse_day(value)
