"""Flow run names a leader can find in the run list: `daily-plan 2026-11-29`, `dispatch 2026-11-29 10:05`.

Prefect names a run after two random words ("carrot-beluga") unless told otherwise. Each of our
flows passes one of these as its `flow_run_name`: the flow's short name, then the bureau's day
(from the run's own parameter when it has one, else the day it runs on in the bureau's time
zone), and for flows that run several times a day the time as well. The runs the server
schedules ahead of time get the same names soon after (flows/name_scheduled.py).
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
    return clock.local(run.expected_start_time)


class RunName:
    """A `flow_run_name`: `prefix`, then the day of the run's `parameter` (via `resolve`), then maybe HH:MM.

    A parameter left to its default (a scheduled run) resolves to the bureau's day; without a
    `parameter` the name shows the day (and time) the run is for. Called by Prefect inside the
    run; `for_run` gives the same name ahead of time, for a run the server has only scheduled.
    """

    def __init__(
        self,
        prefix: str,
        parameter: str | None = None,
        resolve: Callable[[Any], object] | None = None,
        *,
        with_time: bool = False,
    ) -> None:
        self.prefix, self.parameter, self.resolve, self.with_time = prefix, parameter, resolve, with_time

    def __call__(self) -> str:
        from prefect.runtime import flow_run

        return self._name(run_moment(), flow_run.parameters)

    def for_run(self, expected_start: dt.datetime, parameters: dict[str, Any]) -> str:
        """The name a run expected to start at `expected_start` with `parameters` gets when it starts on time."""
        from yinhui import clock

        moment = clock.local(expected_start)
        # A parameter left out counts from the run's own day (its default reads the clock), not from today.
        with clock.frozen_at(moment):
            return self._name(moment, parameters)

    def _name(self, moment: pendulum.DateTime, parameters: dict[str, Any]) -> str:
        shown: object = moment.date()
        if self.parameter is not None and self.resolve is not None:
            try:
                shown = self.resolve(parameters.get(self.parameter))
            except ValueError:  # a bad parameter fails the run itself, with a clearer message
                return self.prefix
        if isinstance(shown, dt.date) and not isinstance(shown, dt.datetime):
            shown = shown.isoformat()
        return f"{self.prefix} {shown} {moment.strftime('%H:%M')}" if self.with_time else f"{self.prefix} {shown}"


run_name = RunName  # what the flows write: `flow_run_name=run_name("dispatch", with_time=True)`


def day_of(value: Any) -> dt.date:
    """The day a run's `day` parameter names (the bureau's today when left out)."""
    from flows.planning_context import parse_day

    return parse_day(value)
